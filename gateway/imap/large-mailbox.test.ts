/**
 * A 10 000-message mailbox through imapflow, within bounded time: SELECT, FETCH of the
 * whole folder's metadata (ENVELOPE and BODYSTRUCTURE from the store's cache), a text
 * SEARCH answered from the index, a range of bodies, and flags on all of it.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { sampleMessage, startTestBed, type ImapTestBed } from './testing.js';

const TARGET = 10_000;
let bed: ImapTestBed;

before(async () => {
  bed = await startTestBed();
  for (let i = 0; i < 10; i++) {
    await bed.store.deliver([bed.user.mailboxId], sampleMessage(`Bilan ${i}`, i === 3 ? 'Référence xyzzy à garder.\r\n' : 'Rien à signaler.\r\n'));
  }
  // Doubling by copies inside the folder: distinct UIDs, shared bodies, one transaction each.
  const inbox = (await bed.store.getFolder(bed.user.mailboxId, 'INBOX'))!;
  for (let count = 10; count < TARGET; count *= 2) {
    const uids = (await bed.store.listMessages(inbox.id)).map((m) => m.uid).slice(0, Math.min(count, TARGET - count));
    await bed.store.copy(inbox.id, uids, inbox.id);
  }
});
after(async () => bed.close());

test(`${TARGET} messages: SELECT + FETCH metadata, SEARCH TEXT, bodies and STORE in bounded time`, { timeout: 120_000 }, async () => {
  const imap = new ImapFlow({
    host: bed.host, port: bed.port, secure: false, doSTARTTLS: true, tls: { ca: [bed.ca], servername: 'localhost' },
    auth: { user: bed.user.login, pass: bed.user.password }, logger: false, disableAutoIdle: true,
  });
  await imap.connect();
  try {
    let t0 = performance.now();
    const mailbox = await imap.mailboxOpen('INBOX');
    assert.equal(mailbox.exists, TARGET);
    let count = 0;
    let lastSubject = '';
    for await (const message of imap.fetch('1:*', { uid: true, flags: true, size: true, envelope: true, bodyStructure: true })) {
      count++;
      lastSubject = message.envelope?.subject ?? '';
      assert.equal(message.bodyStructure?.childNodes?.length, 2);
    }
    const metadataMs = performance.now() - t0;
    assert.equal(count, TARGET);
    assert.match(lastSubject, /^Bilan \d$/);

    t0 = performance.now();
    const found = await imap.search({ body: 'xyzzy' });
    const searchMs = performance.now() - t0;
    // Every tenth message is a copy of the one that says it (copies keep the period of 10).
    assert.equal((found || []).length, TARGET / 10);

    t0 = performance.now();
    let bytes = 0;
    for await (const message of imap.fetch('1:2000', { source: true })) bytes += message.source?.length ?? 0;
    const bodiesMs = performance.now() - t0;
    assert.ok(bytes > 2000 * 500);

    t0 = performance.now();
    await imap.messageFlagsAdd('1:*', ['\\Seen']);
    const storeMs = performance.now() - t0;
    const status = await imap.status('INBOX', { unseen: true, messages: true });
    assert.deepEqual([status && status.messages, status && status.unseen], [TARGET, 0]);
    // Generous bounds for a shared 2-core machine; the bench gives the real figures.
    assert.ok(metadataMs < 30_000, `metadata ${metadataMs} ms`);
    assert.ok(searchMs < 10_000, `search ${searchMs} ms`);
    assert.ok(bodiesMs < 20_000, `bodies ${bodiesMs} ms`);
    assert.ok(storeMs < 30_000, `store ${storeMs} ms`);
  } finally {
    await imap.logout();
  }
});
