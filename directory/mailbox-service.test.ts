import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Knex } from 'knex';
import { AuditTrail, auditMigrations } from '../core/audit.js';
import { ManualClock } from '../core/clock.js';
import { DEFAULT_CONFIG } from '../core/config.js';
import { openDatabase } from '../core/database.js';
import { isHygieError } from '../core/errors.js';
import { MailboxService } from './mailbox-service.js';
import { directoryMigrations } from './migrations.js';

let dataDir: string;
let db: Knex;
let service: MailboxService;
let audit: AuditTrail;
const clock = new ManualClock(new Date('2026-11-24T09:00:00Z'));

before(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'hygie-dir-'));
  db = await openDatabase({ url: '', dataDir, migrations: [...auditMigrations, ...directoryMigrations] });
  audit = new AuditTrail(db, clock);
  service = new MailboxService({ db, clock, audit, domains: DEFAULT_CONFIG.operator.domains, auth: { maxFailures: 3, windowSeconds: 60 } });
});
after(async () => {
  await db.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

test('creating a personal mailbox for a doctor creates three addresses and audits it', async () => {
  const box = await service.createPersonalMailbox({ firstName: 'Hélène', lastName: 'Durand', rpps: '99700218896', profession: 'Médecin', password: 'correct horse battery', actor: 'operator:test' });
  assert.equal(box.type, 'PER');
  assert.equal(box.isHealthProfessional, true);
  assert.deepEqual(box.addresses.map((a) => a.network), ['regional', 'apicrypt', 'mssante']);
  const events = await audit.list({ action: 'mailbox.create' });
  assert.equal(events[0]?.subject, String(box.id));
});

test('the same RPPS twice is refused', async () => {
  await assert.rejects(service.createPersonalMailbox({ firstName: 'Autre', lastName: 'Nom', rpps: '99700218896', password: 'correct horse battery', actor: 't' }),
    (e: unknown) => isHygieError(e, 'MAILBOX_DUPLICATE') && /RPPS 99700218896/.test(e.message));
});

test('the same names again are refused unless declared a namesake, which gets numbered addresses', async () => {
  await assert.rejects(service.createPersonalMailbox({ firstName: 'Helene', lastName: 'Durand', password: 'another long secret', actor: 't' }),
    (e: unknown) => isHygieError(e, 'ADDRESS_TAKEN') && /helene\.durand@esante-demo\.test already belongs to mailbox \d+/.test(e.message));
  const box = await service.createPersonalMailbox({ firstName: 'Helene', lastName: 'Durand', password: 'another long secret', namesake: true, actor: 't' });
  assert.equal(box.isHealthProfessional, false);
  assert.deepEqual(box.addresses.map((a) => a.address), ['helene.durand2@esante-demo.test', 'helene.durand2.demo@apicrypt.test']);
});

test('invalid identifiers and weak passwords are refused', async () => {
  await assert.rejects(service.createPersonalMailbox({ firstName: 'A', lastName: 'B', rpps: '12345678901', password: 'correct horse battery', actor: 't' }),
    (e: unknown) => isHygieError(e, 'INVALID_RPPS'));
  await assert.rejects(service.createPersonalMailbox({ firstName: 'A', lastName: 'B', password: 'short', actor: 't' }),
    (e: unknown) => isHygieError(e, 'INVALID_INPUT') && /10 characters/.test(e.message));
});

test('login with any alias records the connection time; failures are refused then rate-limited', async () => {
  const user = await service.authenticate('HELENE.DURAND.demo@medical.apicrypt.test', 'correct horse battery', { channel: 'imap', remoteAddress: '127.0.0.9' });
  assert.equal(user.displayName, 'Hélène Durand');
  const box = await service.requireMailbox('helene.durand@demo.mssante.test');
  assert.equal(box.lastLoginAt, '2026-11-24T09:00:00.000Z');

  for (let i = 0; i < 3; i++) {
    await assert.rejects(service.authenticate('helene.durand@esante-demo.test', 'wrong password!', { channel: 'imap', remoteAddress: '127.0.0.8' }),
      (e: unknown) => isHygieError(e, 'AUTH_FAILED'));
  }
  await assert.rejects(service.authenticate('helene.durand@esante-demo.test', 'correct horse battery', { channel: 'imap', remoteAddress: '127.0.0.7' }),
    (e: unknown) => isHygieError(e, 'AUTH_RATE_LIMITED'));
  clock.advance(61_000);
  await service.authenticate('helene.durand@esante-demo.test', 'correct horse battery', { channel: 'imap', remoteAddress: '127.0.0.7' });
  const failures = await audit.list({ action: 'auth.login' });
  assert.ok(failures.some((e) => e.outcome === 'failure' && e.details.reason === 'wrong password'));
});

test('password reset replaces the old password', async () => {
  await service.resetPassword('helene.durand2@esante-demo.test', 'a brand new secret', 'operator:test');
  await assert.rejects(service.authenticate('helene.durand2@esante-demo.test', 'another long secret', { channel: 'cli' }), (e: unknown) => isHygieError(e, 'AUTH_FAILED'));
  await service.authenticate('helene.durand2@esante-demo.test', 'a brand new secret', { channel: 'cli' });
});
