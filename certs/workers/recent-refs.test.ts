/**
 * The held-refs bookkeeping both sides of a worker channel keep, and the worker's answer
 * when it is asked for a ref it does not hold.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { refsOf, type JobRequest, type JobResponse } from './protocol.js';
import { RecentRefs } from './recent-refs.js';

test('least recently used goes first; touching keeps a ref', () => {
  const refs = new RecentRefs<string>(2);
  refs.add(1, 'a');
  refs.add(2, 'b');
  assert.equal(refs.touch(1), true);
  refs.add(3, 'c'); // 2 is now the least recent
  assert.equal(refs.get(2), undefined);
  assert.equal(refs.get(1), 'a');
  assert.equal(refs.touch(2), false);
  refs.add(1, 'a2'); // re-adding a held ref replaces it without evicting
  assert.equal(refs.get(3), 'c');
  assert.equal(refs.get(1), 'a2');
  refs.clear();
  assert.equal(refs.touch(1), false);
  assert.throws(() => new RecentRefs(0));
});

test('a job lists its refs signer first, then recipients, in one order', () => {
  const signer = { certificate: 1, key: 2, chain: [3, 4], encryptionCertificate: 5 };
  const message = new Uint8Array(0);
  assert.deepEqual(refsOf({ kind: 'sign-encrypt', message, signer, recipients: [6, 1], options: {} }), [1, 2, 3, 4, 5, 6, 1]);
  assert.deepEqual(refsOf({ kind: 'decrypt', message, keys: [{ certificate: 7, key: 8 }] }), [7, 8]);
});

test('a worker asked for refs it does not hold says which, and gives the messages back, several requests in one message', async () => {
  const worker = new Worker(new URL('./smime-worker.js', import.meta.url), { workerData: { cacheSize: 4 } });
  try {
    const messages = ['Subject: x\r\n\r\nbody', 'Subject: y\r\n\r\nbody'].map((text) => new Uint8Array(Buffer.from(text)));
    const requests: JobRequest[] = messages.map((message, i) => ({ id: 7 + i, job: { kind: 'encrypt', message, recipients: [42 + i], options: {} }, materials: [] }));
    const answer = new Promise<JobResponse[]>((resolve) => worker.once('message', resolve));
    worker.postMessage(requests, messages.map((message) => message.buffer as ArrayBuffer));
    // Answered in order, in one message: both were done in the same turn of the worker's loop.
    const responses = await answer;
    assert.equal(responses.length, 2);
    responses.forEach((response, i) => {
      assert.ok('missing' in response);
      assert.equal(response.id, 7 + i);
      assert.deepEqual(response.missing, [42 + i]);
      assert.equal(Buffer.from(response.message).toString(), i === 0 ? 'Subject: x\r\n\r\nbody' : 'Subject: y\r\n\r\nbody');
    });
  } finally {
    await worker.terminate();
  }
});
