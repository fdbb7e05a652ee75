import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CLI } from '../conformance-tests/harness.js';
import { loadConfig } from '../core/config.js';
import { Logger } from '../core/logger.js';
import { openContext } from './context.js';

const quiet = new Logger({ level: 'error', format: 'text', write: () => {} });

test('the queue section of the configuration sets the lifetime and the retry delays of queued messages', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hygie-queue-settings-'));
  const { config } = loadConfig({
    env: { HYGIE_SERVER_DATA_DIR: dir, HYGIE_QUEUE_LIFETIME_HOURS: '2', HYGIE_QUEUE_FIRST_RETRY_SECONDS: '900', HYGIE_QUEUE_MAX_RETRY_SECONDS: '1200' },
  });
  const context = await openContext(config, quiet);
  try {
    const raw = Buffer.from('From: <a@esante-demo.test>\r\nTo: <b@partenaire.test>\r\nSubject: x\r\n\r\nx\r\n');
    await context.queue.enqueue({ raw, envelopeFrom: 'a@esante-demo.test', recipients: [{ address: 'b@partenaire.test' }], route: 'regional' });
    const [entry] = await context.queue.list();
    assert.ok(entry);
    assert.equal(Date.parse(entry.expiresAt) - Date.parse(entry.createdAt), 2 * 3600 * 1000);
    // The operator sees when it will be returned.
    const listed = spawnSync(process.execPath, [CLI, 'queue', 'list'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HYGIE_SERVER_DATA_DIR: dir } });
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`queued +regional a@esante-demo\\.test -> b@partenaire\\.test .* returned ${entry.expiresAt.replaceAll('.', '\\.')}`));

    const delays: number[] = [];
    for (let attempt = 1; attempt <= 2; attempt++) {
      const [claimed] = await context.queue.claim('test', 10, 60);
      assert.ok(claimed, `attempt ${attempt} claims the recipient`);
      const before = Date.now();
      await context.queue.markFailed(claimed.recipients.map((r) => r.id), { permanent: false, text: '451 4.3.0 try later' });
      const [again] = await context.queue.list();
      delays.push((Date.parse(again!.nextAttemptAt) - before) / 1000);
      await context.queue.retryNow({ id: again!.id }, 'test'); // due again, for the next claim
    }
    // 900 s, then 1 800 s capped at 1 200 s; ±10 % jitter.
    assert.ok(delays[0]! >= 800 && delays[0]! <= 1000, `first delay ${delays[0]} s`);
    assert.ok(delays[1]! >= 1070 && delays[1]! <= 1330, `second delay ${delays[1]} s`);
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
