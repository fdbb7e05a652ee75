/**
 * Shared and delegated boxes: an organisational box's member and a time-limited delegate
 * see the boxes under `Partagés/` with the rights of their delegation, expressed as ACL;
 * the owner (or a manager) changes them with SETACL, which goes through the directory's
 * delegations; every access to a shared box is in the audit trail.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { createColleague, loginRaw, sampleMessage, startTestBed, type ImapTestBed, type TestUser } from './testing.js';

let bed: ImapTestBed;
let secretary: TestUser;
let colleague: TestUser;
let orgAddress: string;
let orgId: number;

before(async () => {
  bed = await startTestBed();
  secretary = await createColleague(bed, 'Sophie', 'Leroy');
  colleague = await createColleague(bed, 'Luc', 'Moreau');
  const org = await bed.mailboxes.createServiceMailbox({ type: 'ORG', localPart: 'cardiologie', displayName: 'Cardiologie', actor: 'test' });
  orgAddress = org.addresses[0]!.address;
  orgId = org.id;
  await bed.store.deliver([org.id], sampleMessage('Demande d’avis cardiologique'));
  await bed.store.deliver([bed.user.mailboxId], sampleMessage('Pour le docteur'));
  // The secretary is a member of the service box with read and send; she covers the doctor's box, read only.
  await bed.delegations.grant({ mailbox: org.id, delegate: secretary.mailboxId, role: 'member', rights: ['read', 'send'], actor: 'test' });
  await bed.delegations.grant({
    mailbox: bed.user.mailboxId, delegate: secretary.mailboxId, role: 'delegate', rights: ['read'], actor: 'test', validUntil: new Date(Date.now() + 86_400_000),
  });
});
after(async () => bed.close());

/** The raw client reads bytes as latin1: status texts in UTF-8 are compared the same way. */
function wire(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

function client(user: TestUser): ImapFlow {
  return new ImapFlow({
    host: bed.host, port: bed.port, secure: false, doSTARTTLS: true, tls: { ca: [bed.ca], servername: 'localhost' },
    auth: { user: user.login, pass: user.password }, logger: false, disableAutoIdle: true,
  });
}

test('imapflow: the delegate sees the shared namespace and reads a shared box; writing is refused', async () => {
  const imap = client(secretary);
  await imap.connect();
  try {
    const namespaces = imap.namespaces as { shared?: Array<{ prefix: string }> | false } | undefined;
    assert.equal(Array.isArray(namespaces?.shared) ? namespaces.shared[0]?.prefix : undefined, 'Partag&AOk-s/');
    const paths = (await imap.list()).map((folder) => folder.path);
    assert.ok(paths.includes(`Partagés/${orgAddress}/INBOX`), paths.join(', '));
    assert.ok(paths.includes(`Partagés/${bed.user.login}/Sent`), paths.join(', '));
    const box = await imap.mailboxOpen(`Partagés/${orgAddress}/INBOX`);
    assert.equal(box.exists, 1);
    assert.equal(box.readOnly, false, 'read gives s: \\Seen may be kept');
    const message = await imap.fetchOne('1', { envelope: true, source: true });
    assert.ok(message);
    assert.equal(message.envelope?.subject, 'Demande d’avis cardiologique');
    assert.equal(await imap.messageFlagsAdd('1', ['\\Seen']), true);
    assert.equal(await imap.messageFlagsAdd('1', ['\\Flagged']), false, 'w is not granted');
    await imap.mailboxOpen(`Partagés/${bed.user.login}/INBOX`);
    assert.equal(await imap.messageDelete('1'), false, 't is not granted');
  } finally {
    await imap.logout();
  }
});

test('raw: MYRIGHTS, GETACL, LISTRIGHTS, SETACL through the directory, refusals and the audit trail', async () => {
  const owner = await loginRaw(bed);
  const delegate = await loginRaw(bed, secretary);
  try {
    assert.deepEqual(await delegate.command('d1', `MYRIGHTS "Partag&AOk-s/${orgAddress}/INBOX"`), [`* MYRIGHTS "Partag&AOk-s/${orgAddress}/INBOX" lrspi`, 'd1 OK MYRIGHTS completed']);
    assert.deepEqual(await delegate.command('d2', `GETACL "Partag&AOk-s/${orgAddress}/INBOX"`),
      [wire(`d2 NO [NOPERM] Permission denied: this needs the a right on Partagés/${orgAddress}/INBOX`)]);
    assert.deepEqual(await delegate.command('d3', `APPEND "Partag&AOk-s/${orgAddress}/Sent" {7+}\r\nSent: x`).then((lines) => lines.at(-1)!.replace(/\d+ 1\]/, 'V 1]')),
      'd3 OK [APPENDUID V 1] APPEND completed');
    assert.deepEqual(await delegate.command('d4', `CREATE "Partag&AOk-s/${orgAddress}/Nouveau"`),
      [wire(`d4 NO [NOPERM] Permission denied: this needs the k right on Partagés/${orgAddress}/Nouveau`)]);
    assert.deepEqual(await delegate.command('d5', 'SELECT "Partag&AOk-s/inconnu@nulle.part/INBOX"'), ['d5 NO [NONEXISTENT] Mailbox does not exist']);

    assert.deepEqual(await owner.command('o1', 'MYRIGHTS INBOX'), ['* MYRIGHTS "INBOX" lrswipkxtea', 'o1 OK MYRIGHTS completed']);
    assert.deepEqual(await owner.command('o2', 'GETACL INBOX'), [`* ACL "INBOX" "${bed.user.login}" lrswipkxtea "${secretary.login}" lrs`, 'o2 OK GETACL completed']);
    assert.deepEqual(await owner.command('o3', `LISTRIGHTS INBOX ${secretary.login}`), [`* LISTRIGHTS "INBOX" "${secretary.login}" "" lrs pi wkxtea`, 'o3 OK LISTRIGHTS completed']);
    // The owner lets the secretary manage flags and folders too: the directory now says read + manage, same end date.
    assert.deepEqual(await owner.command('o4', `SETACL INBOX ${secretary.login} +w`), ['o4 OK SETACL completed']);
    const rights = await bed.delegations.rightsOf(secretary.mailboxId);
    assert.deepEqual(rights.find((r) => r.mailboxId === bed.user.mailboxId)?.rights, ['read', 'manage']);
    const current = (await bed.delegations.list(bed.user.mailboxId)).filter((d) => d.revokedAt === null);
    assert.equal(current.length, 1);
    assert.ok(current[0]!.validUntil, 'the end date of the delegation is kept');
    assert.deepEqual(await owner.command('o5', 'GETACL INBOX'), [`* ACL "INBOX" "${bed.user.login}" lrswipkxtea "${secretary.login}" lrswkxtea`, 'o5 OK GETACL completed']);
    assert.deepEqual(await owner.command('o6', `SETACL INBOX ${bed.user.login} lr`), ['o6 NO [CANNOT] The owner\'s rights cannot change']);
    assert.deepEqual(await owner.command('o7', 'SETACL INBOX anyone lr'), ['o7 NO [CANNOT] Rights are given to named people only (an address of their personal box)']);
    assert.deepEqual(await owner.command('o8', `SETACL INBOX ${secretary.login} lrz`), ['o8 BAD SETACL: unknown rights in "lrz"']);
    assert.deepEqual(await owner.command('o9', `SETACL INBOX ${orgAddress} lr`), ['o9 NO [CANNOT] Rights are given to active personal boxes only']);

    // With manage (a) the secretary may now delegate the doctor's box herself, to a colleague.
    assert.deepEqual(await delegate.command('d6', `SETACL "Partag&AOk-s/${bed.user.login}/INBOX" ${colleague.login} lrs`), ['d6 OK SETACL completed']);
    const colleagueRights = await bed.delegations.rightsOf(colleague.mailboxId);
    assert.deepEqual(colleagueRights, [{ mailboxId: bed.user.mailboxId, rights: ['read'] }]);
    assert.deepEqual(await owner.command('o10', `DELETEACL INBOX ${colleague.login}`), ['o10 OK DELETEACL completed']);
    assert.deepEqual(await bed.delegations.rightsOf(colleague.mailboxId), []);
    assert.deepEqual(await owner.command('o11', `SETACL INBOX ${secretary.login} -wa`), ['o11 OK SETACL completed']);

    const audited = await bed.audit.list({ action: 'imap.shared-access' });
    assert.ok(audited.some((event) => event.actor === secretary.login && event.subject === String(orgId) && event.details.command === 'APPEND'));
    assert.ok(audited.some((event) => event.outcome === 'failure' && event.details.command === 'GETACL'));
    assert.ok((await bed.audit.list({ action: 'delegation.grant' })).some((event) => event.actor === `imap:${secretary.login}`));
  } finally {
    owner.close();
    delegate.close();
  }
});

test('a revoked delegation takes effect at once, and a box shared with nobody is not listed', async () => {
  const imap = client(colleague);
  await imap.connect();
  try {
    assert.ok(!(await imap.list()).some((folder) => folder.path.startsWith('Partagés')));
    const raw = await loginRaw(bed, colleague);
    assert.deepEqual(await raw.command('x1', `SELECT "Partag&AOk-s/${bed.user.login}/INBOX"`), ['x1 NO [NONEXISTENT] Mailbox does not exist']);
    assert.deepEqual(await raw.command('x2', 'NAMESPACE'), ['* NAMESPACE (("" "/")) NIL (("Partag&AOk-s/" "/"))', 'x2 OK NAMESPACE completed']);
    raw.close();
  } finally {
    await imap.logout();
  }
});

test('two sessions on a shared box: the owner sees what the delegate did', async () => {
  const owner = await loginRaw(bed);
  const delegate = await loginRaw(bed, secretary);
  try {
    await owner.command('p1', 'SELECT INBOX');
    await delegate.command('q1', `SELECT "Partag&AOk-s/${bed.user.login}/INBOX"`);
    await delegate.command('q2', 'STORE 1 +FLAGS.SILENT (\\Seen)');
    assert.deepEqual(await owner.command('p2', 'NOOP'), ['* 1 FETCH (UID 1 FLAGS (\\Seen))', 'p2 OK NOOP completed']);
  } finally {
    owner.close();
    delegate.close();
  }
});
