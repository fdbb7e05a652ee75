/**
 * Folder management as a mail client does it: create (with parents), file a message,
 * rename with children, subscribe/unsubscribe, delete — and the refusals with their codes.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { RawClient, sampleMessage, startTestBed, type ImapTestBed } from './testing.js';

let bed: ImapTestBed;

before(async () => {
  bed = await startTestBed();
  await bed.store.deliver([bed.user.mailboxId], sampleMessage('À classer'));
});
after(async () => bed.close());

test('imapflow: create a nested folder, move a message into it, rename the parent, delete', async () => {
  const imap = new ImapFlow({
    host: bed.host, port: bed.port, secure: false, doSTARTTLS: true, tls: { ca: [bed.ca], servername: 'localhost' },
    auth: { user: bed.user.login, pass: bed.user.password }, logger: false, disableAutoIdle: true,
  });
  await imap.connect();
  try {
    await imap.mailboxCreate(['Patients', 'Dupont Élodie']);
    let names = (await imap.list()).map((f) => f.path);
    assert.ok(names.includes('Patients') && names.includes('Patients/Dupont Élodie'), names.join(', '));
    await imap.mailboxOpen('INBOX');
    await imap.messageMove('1', 'Patients/Dupont Élodie');
    await imap.mailboxRename('Patients', 'Dossiers patients');
    names = (await imap.list()).map((f) => f.path);
    assert.ok(names.includes('Dossiers patients/Dupont Élodie') && !names.includes('Patients'), names.join(', '));
    const status = await imap.status('Dossiers patients/Dupont Élodie', { messages: true });
    assert.equal(status && status.messages, 1, 'the message followed the rename');
    await imap.mailboxOpen('INBOX');
    await imap.mailboxDelete('Dossiers patients/Dupont Élodie');
    await imap.mailboxDelete('Dossiers patients');
    names = (await imap.list()).map((f) => f.path);
    assert.ok(!names.some((n) => n.startsWith('Dossiers')), names.join(', '));
  } finally {
    await imap.logout();
  }
});

test('raw: refusals carry RFC 5530 codes; LSUB follows SUBSCRIBE/UNSUBSCRIBE', async () => {
  const raw = await RawClient.connect(bed.port);
  try {
    await raw.readLine();
    await raw.command('t0', 'STARTTLS');
    await raw.startTls(bed.ca);
    await raw.command('l0', `LOGIN ${bed.user.login} "${bed.user.password}"`);
    assert.deepEqual(await raw.command('a1', 'CREATE Sent'), ['a1 NO [ALREADYEXISTS] folder "Sent" already exists']);
    assert.deepEqual(await raw.command('a2', 'CREATE inbox'), ['a2 NO [ALREADYEXISTS] INBOX already exists']);
    assert.deepEqual(await raw.command('a3', 'DELETE INBOX'), ['a3 NO [CANNOT] INBOX cannot be deleted']);
    assert.deepEqual(await raw.command('a4', 'DELETE Nowhere'), ['a4 NO [NONEXISTENT] no folder "Nowhere"']);
    assert.deepEqual(await raw.command('a5', 'CREATE Projets/2026'), ['a5 OK CREATE completed']);
    assert.deepEqual(await raw.command('a6', 'DELETE Projets'), ['a6 NO [INUSE] folder "Projets" has sub-folders: delete them first']);
    assert.deepEqual(await raw.command('a7', 'RENAME Projets Projets/Dedans'), ['a7 NO [CANNOT] a folder cannot be moved inside itself']);
    assert.deepEqual(await raw.command('a8', 'UNSUBSCRIBE Junk'), ['a8 OK UNSUBSCRIBE completed']);
    const lsub = (await raw.command('a9', 'LSUB "" "*"')).filter((line) => line.startsWith('* LSUB'));
    assert.ok(!lsub.some((line) => line.endsWith('"Junk"')), lsub.join('\n'));
    assert.deepEqual(await raw.command('b1', 'SUBSCRIBE Junk'), ['b1 OK SUBSCRIBE completed']);
    assert.ok((await raw.command('b2', 'LSUB "" Junk')).some((line) => line.endsWith('"Junk"')));
    assert.match((await raw.command('b3', 'SELECT Projets/2026')).at(-1) ?? '', /^b3 OK/);
    assert.deepEqual(await raw.command('b4', 'DELETE Projets/2026'), ['b4 NO [INUSE] Close the folder before deleting it']);
  } finally {
    raw.close();
  }
});
