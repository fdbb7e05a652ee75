import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Knex } from 'knex';
import { AuditTrail, auditMigrations } from '../../core/audit.js';
import { ManualClock } from '../../core/clock.js';
import { openDatabase } from '../../core/database.js';
import { Logger } from '../../core/logger.js';
import { createTestPostgresDatabase, postgresUnavailable } from '../../core/testing-postgres.js';
import { queueMigrations } from './migrations.js';
import { OutboundQueue } from './outbound-queue.js';
import { QueueRunner } from './queue-runner.js';
import { SmtpTransport } from './smtp-transport.js';
import { startTestPeer, type TestPeer } from './testing.js';

/** What the runner logged, as an operator tailing the log reads it. */
const logLines: string[] = [];
const logger = new Logger({ level: 'info', format: 'text', write: (line) => logLines.push(line) });
const MESSAGE = Buffer.from('From: <dr.house@esante-demo.test>\r\nTo: <a@peer.test>\r\nSubject: Compte rendu\r\nMessage-ID: <m1@esante-demo.test>\r\n\r\nCorps du message\r\n');

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`outbound queue (${engine})`, async () => {
    const skip = engine === 'postgres' ? await postgresUnavailable() : undefined;
    let dataDir: string;
    let db: Knex;
    let drop: (() => Promise<void>) | undefined;
    let peer: TestPeer;
    const clock = new ManualClock(new Date('2026-11-24T10:00:00Z'));
    const dsns: Array<{ raw: string; to: string }> = [];

    function makeQueue(): OutboundQueue {
      return new OutboundQueue({ db, blobDir: path.join(dataDir, 'queue'), clock, audit: new AuditTrail(db, clock), backoff: { firstDelaySeconds: 60, factor: 2, maxDelaySeconds: 3600, jitter: 0 } });
    }
    function makeRunner(queue: OutboundQueue): QueueRunner {
      return new QueueRunner({
        queue, clock, logger, hostname: 'mail.esante-demo.test', dsnFrom: 'Mail Delivery System <mailer-daemon@esante-demo.test>',
        transport: new SmtpTransport({ hostname: 'mail.esante-demo.test', route: () => ({ host: '127.0.0.1', port: peer.port, requireTls: false }), timeoutMs: 5000 }),
        dsn: async (raw, to) => { dsns.push({ raw: raw.toString('utf8'), to }); },
        delayWarningSeconds: 4 * 3600,
      });
    }

    before(async () => {
      if (skip) return;
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'hygie-queue-'));
      let url = '';
      if (engine === 'postgres') ({ url, drop } = await createTestPostgresDatabase('hygie_queue'));
      db = await openDatabase({ url, dataDir, migrations: [...auditMigrations, ...queueMigrations] });
      peer = await startTestPeer();
    });
    after(async () => {
      if (skip) return;
      await peer.close();
      await db.destroy();
      await drop?.();
      rmSync(dataDir, { recursive: true, force: true });
    });

    test('delivers, and reports a permanent refusal to the sender in a DSN while the other recipient gets it', { skip }, async () => {
      logLines.length = 0;
      peer.behaviour = { recipient: (a) => (a === 'nobody@peer.test' ? { code: 550, message: '5.1.1 No such user here' } : undefined) };
      const queue = makeQueue();
      await queue.enqueue({ raw: MESSAGE, envelopeFrom: 'dr.house@esante-demo.test', recipients: [{ address: 'a@peer.test' }, { address: 'nobody@peer.test' }], route: 'mssante', messageId: '<m1@esante-demo.test>' });
      const runner = makeRunner(queue);
      assert.equal(await runner.tick(), 1);
      await runner.idle();
      assert.equal(peer.received.length, 1);
      assert.deepEqual(peer.received[0]!.to, ['a@peer.test']);
      assert.ok(peer.received[0]!.raw.includes(Buffer.from('Corps du message')));
      const entries = await queue.list();
      assert.deepEqual(entries.map((e) => [e.recipient, e.status]), [['a@peer.test', 'delivered'], ['nobody@peer.test', 'failed']]);
      // Each outcome is in the audit trail, with the message and the recipients it concerns.
      const records = await new AuditTrail(db, clock).list({ subject: '<m1@esante-demo.test>' });
      const delivered = records.find((r) => r.action === 'queue.delivered');
      assert.deepEqual(delivered?.details.recipients, ['a@peer.test']);
      assert.equal(delivered?.outcome, 'success');
      assert.deepEqual(records.find((r) => r.action === 'queue.failed')?.details.recipients, ['nobody@peer.test']);
      assert.equal(dsns.length, 1);
      assert.equal(dsns[0]!.to, 'dr.house@esante-demo.test');
      assert.match(dsns[0]!.raw, /Content-Type: multipart\/report; report-type=delivery-status/);
      assert.match(dsns[0]!.raw, /Final-Recipient: rfc822; nobody@peer\.test\r\nAction: failed\r\nStatus: 5\.1\.1/);
      assert.match(dsns[0]!.raw, /Diagnostic-Code: smtp; 550 5\.1\.1 No such user here/);
      assert.match(dsns[0]!.raw, /Content-Type: text\/rfc822-headers\r\n\r\nFrom: <dr\.house@esante-demo\.test>/);
      assert.doesNotMatch(dsns[0]!.raw, /Corps du message/, 'headers only unless RET=FULL');
      // And in the log, as an MTA's: the delivery and the refusal, with the message and the reason.
      assert.ok(logLines.some((l) => /INFO .*delivered .*messageId=<m1@esante-demo\.test>.*to=a@peer\.test .*relay=127\.0\.0\.1/.test(l)), logLines.join('\n'));
      assert.ok(logLines.some((l) => /WARN .*delivery refused, returned to the sender .*to=nobody@peer\.test .*550 5\.1\.1 No such user here/.test(l)), logLines.join('\n'));
    });

    test('a peer that is down: retried with back-off, one delay DSN, then a failure DSN when the lifetime runs out', { skip }, async () => {
      dsns.length = 0;
      logLines.length = 0;
      peer.received.length = 0;
      peer.behaviour = { data: () => ({ code: 451, message: '4.3.0 Try again later' }) };
      const queue = makeQueue();
      await queue.enqueue({ raw: MESSAGE, envelopeFrom: 'dr.house@esante-demo.test', recipients: [{ address: 'b@peer.test' }], route: 'mssante' });
      const runner = makeRunner(queue);
      await runner.tick();
      await runner.idle();
      let [entry] = await queue.list({ status: 'queued' });
      assert.equal(entry?.attempts, 1);
      assert.equal(entry?.nextAttemptAt, '2026-11-24T10:01:00.000Z');
      assert.equal(await runner.tick(), 0, 'not due yet');
      clock.advance(61_000);
      await runner.tick();
      await runner.idle();
      [entry] = await queue.list({ status: 'queued' });
      assert.equal(entry?.attempts, 2);
      assert.equal(entry?.nextAttemptAt, '2026-11-24T10:03:01.000Z', 'twice the first delay');
      clock.advance(5 * 3600_000);
      await runner.tick();
      await runner.idle();
      assert.equal(dsns.length, 1);
      assert.match(dsns[0]!.raw, /Action: delayed/);
      assert.match(dsns[0]!.raw, /Will-Retry-Until: /);
      clock.advance(5 * 24 * 3600_000);
      await runner.tick();
      await runner.idle();
      assert.equal((await queue.list({ status: 'expired' })).length, 1);
      assert.equal(dsns.length, 2);
      assert.match(dsns[1]!.raw, /Action: failed\r\nStatus: 4\.4\.7/);
      assert.equal(peer.received.length, 0);
      assert.equal(logLines.filter((l) => /INFO .*delivery deferred, will be tried again .*to=b@peer\.test .*451 4\.3\.0 Try again later/.test(l)).length >= 2, true, logLines.join('\n'));
      assert.ok(logLines.some((l) => /WARN .*delivery abandoned \(queue lifetime\), returned to the sender .*to=b@peer\.test/.test(l)), logLines.join('\n'));
    });

    test('a process that dies mid-delivery: the lease runs out and another runner delivers; the queue survives a restart', { skip }, async () => {
      peer.behaviour = {};
      peer.received.length = 0;
      const first = makeQueue();
      await first.enqueue({ raw: MESSAGE, envelopeFrom: 'dr.house@esante-demo.test', recipients: [{ address: 'c@peer.test' }], route: 'mssante' });
      const claimed = await first.claim('dead-runner', 10, 300);
      assert.equal(claimed.length, 1);
      const restarted = makeQueue();
      const runner = makeRunner(restarted);
      assert.equal(await runner.tick(), 0, 'leased to the dead runner');
      clock.advance(301_000);
      assert.equal(await runner.tick(), 1);
      await runner.idle();
      assert.deepEqual(peer.received.map((m) => m.to), [['c@peer.test']]);
    });

    test('a restart on SQLite delivers at once what the dead process was delivering (PostgreSQL waits for the lease)', { skip }, async () => {
      peer.behaviour = {};
      peer.received.length = 0;
      const first = makeQueue();
      await first.enqueue({ raw: MESSAGE, envelopeFrom: 'dr.house@esante-demo.test', recipients: [{ address: 'd@peer.test' }], route: 'mssante' });
      assert.equal((await first.claim('killed-process', 10, 600)).length, 1);
      const restarted = makeQueue();
      const recovered = await restarted.recoverInterruptedDeliveries();
      const runner = makeRunner(restarted);
      if (engine === 'sqlite') {
        assert.equal(recovered, 1);
        assert.equal(await runner.tick(), 1, 'due again without waiting for the lease');
        await runner.idle();
        assert.deepEqual(peer.received.map((m) => m.to), [['d@peer.test']]);
      } else {
        assert.equal(recovered, 0, 'another gateway may hold the lease');
        assert.equal(await runner.tick(), 0);
        clock.advance(601_000);
        assert.equal(await runner.tick(), 1);
        await runner.idle();
      }
    });

    test('operators list, retry now and purge', { skip }, async () => {
      peer.behaviour = { data: () => ({ code: 451, message: 'busy' }) };
      const queue = makeQueue();
      await queue.enqueue({ raw: MESSAGE, envelopeFrom: 'dr.house@esante-demo.test', recipients: [{ address: 'd@other.test' }, { address: 'e@other.test' }], route: 'mssante' });
      const runner = makeRunner(queue);
      await runner.tick();
      await runner.idle();
      const queued = await queue.list({ domain: 'other.test', status: 'queued' });
      assert.equal(queued.length, 2);
      assert.equal(await queue.retryNow({ domain: 'other.test' }, 'operator:test'), 2);
      assert.ok((await queue.list({ domain: 'other.test' })).every((e) => e.nextAttemptAt === clock.now().toISOString()));
      await queue.purge(queued[0]!.id, 'operator:test');
      assert.equal((await queue.list({ domain: 'other.test', status: 'queued' })).length, 1);
      await assert.rejects(queue.purge(queued[0]!.id, 'operator:test'), /is failed, not queued/);
    });
  });
}
