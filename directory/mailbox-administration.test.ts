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
import { DelegationService } from './delegations.js';
import { MailboxService } from './mailbox-service.js';
import { directoryMigrations } from './migrations.js';
import { PublicationService } from './publication.js';

let dataDir: string;
let db: Knex;
let mailboxes: MailboxService;
let publication: PublicationService;
let delegations: DelegationService;
let audit: AuditTrail;
const clock = new ManualClock(new Date('2026-11-24T09:00:00Z'));
const PASSWORD = 'correct horse battery';

before(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'hygie-admin-'));
  db = await openDatabase({ url: '', dataDir, migrations: [...auditMigrations, ...directoryMigrations] });
  audit = new AuditTrail(db, clock);
  mailboxes = new MailboxService({ db, clock, audit, domains: DEFAULT_CONFIG.operator.domains, auth: { maxFailures: 3, windowSeconds: 60 } });
  publication = new PublicationService({ db, clock, audit, mailboxes });
  delegations = new DelegationService({ db, clock, audit, mailboxes });
  const updated_at = '2026-11-01T00:00:00.000Z';
  await db('professionals').insert({
    national_id: '810003456786', id_type: '8', identifier: '10003456786', last_name: 'LE GALL', first_name: 'Maïwenn',
    profession: 'Médecin', profession_code: '10', search_name: 'le gall maiwenn', source: 'registry', updated_at,
  });
  await db('structures').insert({ technical_id: 'R10100000012345', finess_site: '290000017', name: 'CHU de Brest', source: 'registry', updated_at });
});
after(async () => {
  await db.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

test('a personal box created from a registry entry takes its names and identifier and is linked to it', async () => {
  const box = await mailboxes.createPersonalMailbox({ professional: '10003456786', password: PASSWORD, actor: 'operator:test', notificationAddress: 'Maiwenn@Example.org' });
  assert.equal(box.displayName, 'Maïwenn LE GALL');
  assert.equal(box.rpps, '10003456786');
  assert.equal(box.profession, 'Médecin');
  assert.ok(box.professionalId);
  assert.equal(box.notificationAddress, 'maiwenn@example.org');
  assert.deepEqual(box.addresses.map((a) => a.address), ['maiwenn.le-gall@esante-demo.test', 'maiwenn.le-gall.demo@medical.apicrypt.test', 'maiwenn.le-gall@demo.mssante.test']);
  await assert.rejects(mailboxes.createPersonalMailbox({ professional: '10101010105', password: PASSWORD, actor: 't' }),
    (e: unknown) => isHygieError(e, 'PROFESSIONAL_NOT_FOUND') && /10101010105/.test(e.message));
});

test('organisational and applicative boxes get one local part in the regional and MSSanté domains, linked to their structure', async () => {
  const org = await mailboxes.createServiceMailbox({
    type: 'ORG', localPart: 'Cardiologie.CHU-Brest', displayName: 'Cardiologie — CHU de Brest', description: 'Secrétariat de cardiologie',
    structure: '290000017', responsible: '810003456786', actor: 'operator:test',
  });
  assert.equal(org.type, 'ORG');
  assert.deepEqual(org.addresses.map((a) => a.address), ['cardiologie.chu-brest@esante-demo.test', 'cardiologie.chu-brest@demo.mssante.test']);
  assert.ok(org.structureId && org.professionalId);
  const app = await mailboxes.createServiceMailbox({
    type: 'APP', localPart: 'noreply-biologie', displayName: 'Laboratoire — résultats', structure: 'R10100000012345',
    clientCertificateSha256: 'AB:'.repeat(31) + 'AB', actor: 'operator:test',
  });
  const credential = await db('credentials').where({ mailbox_id: app.id, kind: 'client-certificate' }).first();
  assert.equal(credential.secret, 'ab'.repeat(32));
  await assert.rejects(mailboxes.createServiceMailbox({ type: 'ORG', localPart: 'cardiologie.chu-brest', displayName: 'x', actor: 't' }), (e: unknown) => isHygieError(e, 'ADDRESS_TAKEN'));
  await assert.rejects(mailboxes.createServiceMailbox({ type: 'ORG', localPart: 'bad local@part', displayName: 'x', actor: 't' }), (e: unknown) => isHygieError(e, 'INVALID_INPUT'));
  await assert.rejects(mailboxes.createServiceMailbox({ type: 'ORG', localPart: 'x', displayName: 'x', structure: '999999999', actor: 't' }), (e: unknown) => isHygieError(e, 'STRUCTURE_NOT_FOUND'));
});

test('members and time-limited delegates: rights now, expiry, revocation, wrong inputs', async () => {
  const org = await mailboxes.requireMailbox('cardiologie.chu-brest@esante-demo.test');
  const owner = await mailboxes.requireMailbox('maiwenn.le-gall@esante-demo.test');
  const secretary = await mailboxes.createPersonalMailbox({ firstName: 'Anne', lastName: 'Secrétaire', password: PASSWORD, actor: 't' });
  const member = await delegations.grant({ mailbox: org.id, delegate: owner.addresses[0]!.address, role: 'member', rights: ['read', 'send', 'manage'], actor: 'operator:test' });
  assert.deepEqual(member.rights, ['read', 'send', 'manage']);
  const cover = await delegations.grant({
    mailbox: owner.id, delegate: secretary.id, role: 'delegate', rights: ['send,read'], validUntil: new Date('2026-12-01T00:00:00Z'), actor: 'operator:test',
  });
  assert.deepEqual(cover.rights, ['read', 'send']);
  assert.deepEqual(await delegations.rightsOf(secretary.id), [{ mailboxId: owner.id, rights: ['read', 'send'] }]);
  clock.set(new Date('2026-12-02T00:00:00Z'));
  assert.deepEqual(await delegations.rightsOf(secretary.id), [], 'the delegation has ended');
  assert.deepEqual((await delegations.rightsOf(owner.id)).map((r) => r.mailboxId), [org.id]);
  // A member sending for the box counts as a connection to it (an organisational box has no login of its own).
  const { SendingRights } = await import('./sending-rights.js');
  const rights = new SendingRights({ mailboxes, delegations, audit });
  const ownerUser = { mailboxId: owner.id, login: owner.addresses[0]!.address, displayName: owner.displayName, addresses: owner.addresses };
  const sendingAs = await rights.sendingBox(ownerUser, 'cardiologie.chu-brest@demo.mssante.test');
  assert.equal(sendingAs.mailboxId, org.id);
  assert.equal((await mailboxes.requireMailbox(org.id)).lastLoginAt, clock.now().toISOString());
  await assert.rejects(rights.sendingBox(ownerUser, 'noreply-biologie@esante-demo.test'), (e: unknown) => isHygieError(e, 'SENDER_NOT_OWNED'));
  await delegations.revoke(member.id, 'operator:test');
  assert.deepEqual(await delegations.rightsOf(owner.id), []);
  await assert.rejects(delegations.revoke(member.id, 't'), (e: unknown) => isHygieError(e, 'INVALID_INPUT') && /already revoked/.test(e.message));
  await assert.rejects(delegations.grant({ mailbox: owner.id, delegate: secretary.id, role: 'member', rights: ['read'], actor: 't' }), /only organisational boxes have members/);
  await assert.rejects(delegations.grant({ mailbox: owner.id, delegate: secretary.id, role: 'delegate', rights: ['fly'], actor: 't' }), /unknown right/);
  await assert.rejects(delegations.revoke(9999, 't'), (e: unknown) => isHygieError(e, 'DELEGATION_NOT_FOUND'));
});

test('unpublish, publish and delete by hand, with reasons, in the history; a deleted box cannot log in nor receive', async () => {
  const box = await mailboxes.createPersonalMailbox({ firstName: 'Paul', lastName: 'Quéré', rpps: '10101010105', password: PASSWORD, actor: 't' });
  await assert.rejects(publication.unpublish(box.id, { reason: ' ', actor: 'operator:test' }), /reason is required/);
  let changed = await publication.unpublish(box.id, { reason: 'demande du titulaire', unlisted: true, actor: 'operator:test' });
  assert.equal(changed.published, false);
  assert.equal(changed.unpublishedReason, 'unlisted');
  assert.equal(changed.unlisted, true);
  assert.deepEqual((await mailboxes.listPublished()).filter((e) => e.mailboxId === box.id), []);
  changed = await publication.publish(box.id, { reason: 'le titulaire accepte la publication', actor: 'operator:test' });
  assert.equal(changed.published, true);
  await assert.rejects(publication.publish(box.id, { reason: 'encore', actor: 't' }), (e: unknown) => isHygieError(e, 'MAILBOX_STATE'));
  changed = await publication.delete('paul.quere@esante-demo.test', { reason: 'départ à la retraite', actor: 'operator:test' });
  assert.equal(changed.status, 'deleted');
  assert.equal(changed.published, false);
  await assert.rejects(mailboxes.authenticate('paul.quere@esante-demo.test', PASSWORD, { channel: 'imap' }), (e: unknown) => isHygieError(e, 'AUTH_FAILED'));
  assert.equal((await mailboxes.resolveAddress('paul.quere@esante-demo.test'))?.deleted, true);
  await assert.rejects(publication.publish(box.id, { reason: 'x', actor: 't' }), (e: unknown) => isHygieError(e, 'MAILBOX_DELETED'));
  const { events } = await publication.history(box.id);
  assert.deepEqual(events.map((e) => e.kind), ['created', 'unpublished', 'published', 'deleted']);
  assert.equal(events[3]?.reason, 'départ à la retraite');
  const audited = await audit.list({ action: 'mailbox.delete' });
  assert.equal(audited[0]?.details.reason, 'départ à la retraite');
});
