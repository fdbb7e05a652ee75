import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Knex } from 'knex';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { AuditTrail, auditMigrations } from '../../core/audit.js';
import { ManualClock } from '../../core/clock.js';
import { DEFAULT_CONFIG } from '../../core/config.js';
import { openDatabase } from '../../core/database.js';
import { Logger } from '../../core/logger.js';
import { MailboxService } from '../../directory/mailbox-service.js';
import { directoryMigrations } from '../../directory/migrations.js';
import { KnexMessageStore } from '../store/knex-store.js';
import { storeMigrations } from '../store/migrations.js';
import { NoticeDelivery } from './notice-delivery.js';

let dataDir: string;
let db: Knex;
let store: KnexMessageStore;
let audit: AuditTrail;
let mailboxes: MailboxService;
let sink: SMTPServer;
let sinkPort: number;
const received: Array<{ from: string; to: string[]; raw: Buffer }> = [];
const clock = new ManualClock(new Date('2026-11-24T09:00:00Z'));
const logger = new Logger({ level: 'error', format: 'text', write: () => {} });

before(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'hygie-notice-'));
  db = await openDatabase({ url: '', dataDir, migrations: [...auditMigrations, ...directoryMigrations, ...storeMigrations] });
  audit = new AuditTrail(db, clock);
  mailboxes = new MailboxService({ db, clock, audit, domains: DEFAULT_CONFIG.operator.domains, auth: { maxFailures: 3, windowSeconds: 60 } });
  store = new KnexMessageStore({ db, blobDir: path.join(dataDir, 'messages'), clock });
  sink = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({ from: (session.envelope.mailFrom as { address: string }).address, to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks) });
        callback();
      });
    },
  });
  sinkPort = await new Promise<number>((resolve) => sink.listen(0, '127.0.0.1', () => resolve((sink.server.address() as { port: number }).port)));
});
after(async () => {
  await new Promise<void>((resolve) => sink.close(() => resolve()));
  await db.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

test('a notice lands in the box and at the notification address, in French, with no more than its text', async () => {
  const box = await mailboxes.createPersonalMailbox({ firstName: 'Léa', lastName: 'Morvan', password: 'correct horse battery', actor: 't', notificationAddress: 'lea@perso.example' });
  const delivery = new NoticeDelivery({
    store, from: '"Plateforme e-santé" <ne-pas-repondre@esante-demo.test>', hostname: 'mail.esante-demo.test',
    relay: { host: '127.0.0.1', port: sinkPort, secure: false }, audit, clock, logger,
  });
  await delivery.deliver([{
    mailboxId: box.id, boxAddress: box.addresses[0]!.address, notificationAddress: box.notificationAddress,
    subject: 'Votre boîte sera retirée de l’annuaire le 8 janvier 2027', text: 'Connectez-vous avant le 8 janvier 2027.', topic: 'lifecycle.unpublish.notice',
  }]);
  delivery.close();

  const inbox = await store.getFolder(box.id, 'INBOX');
  const messages = await store.listMessages(inbox!.id);
  assert.equal(messages.length, 1);
  const stored = await simpleParser(await store.readMessage(inbox!.id, messages[0]!.uid));
  assert.equal(stored.subject, 'Votre boîte sera retirée de l’annuaire le 8 janvier 2027');
  assert.equal(stored.headers.get('auto-submitted'), 'auto-generated');
  assert.equal((stored.to as { text: string }).text, 'lea.morvan@esante-demo.test');

  assert.equal(received.length, 1);
  assert.deepEqual(received[0]!.to, ['lea@perso.example']);
  assert.equal(received[0]!.from, 'ne-pas-repondre@esante-demo.test');
  const outside = await simpleParser(received[0]!.raw);
  assert.equal(outside.text?.trim(), 'Connectez-vous avant le 8 janvier 2027.');
  assert.deepEqual((await audit.list({ action: 'notice.send' })).map((e) => e.outcome), ['success']);
});

test('a relay that is down: the box copy stays, the failure is audited', async () => {
  const box = await mailboxes.createPersonalMailbox({ firstName: 'Yves', lastName: 'Tanguy', password: 'correct horse battery', actor: 't', notificationAddress: 'yves@perso.example' });
  const delivery = new NoticeDelivery({
    store, from: 'ne-pas-repondre@esante-demo.test', hostname: 'mail.esante-demo.test',
    relay: { host: '127.0.0.1', port: 1, secure: false }, audit, clock, logger,
  });
  await delivery.deliver([{ mailboxId: box.id, boxAddress: box.addresses[0]!.address, notificationAddress: 'yves@perso.example', subject: 'Avis', text: 'Texte', topic: 't' }]);
  delivery.close();
  const inbox = await store.getFolder(box.id, 'INBOX');
  assert.equal((await store.listMessages(inbox!.id)).length, 1);
  const failures = (await audit.list({ action: 'notice.send' })).filter((e) => e.outcome === 'failure');
  assert.equal(failures.length, 1);
  assert.equal(failures[0]!.details.to, 'yves@perso.example');
});
