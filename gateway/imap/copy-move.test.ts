/**
 * COPY, MOVE and UIDPLUS with imapflow — what a mail client does to delete (move to
 * Trash) or file a message — and the raw COPYUID / APPENDUID / UID EXPUNGE responses.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { RawClient, sampleMessage, startTestBed, type ImapTestBed } from './testing.js';

let bed: ImapTestBed;

before(async () => {
  bed = await startTestBed();
  for (const subject of ['Premier', 'Deuxième', 'Troisième']) await bed.store.deliver([bed.user.mailboxId], sampleMessage(subject));
});
after(async () => bed.close());

function client(): ImapFlow {
  return new ImapFlow({
    host: bed.host, port: bed.port, secure: false, doSTARTTLS: true, tls: { ca: [bed.ca], servername: 'localhost' },
    auth: { user: bed.user.login, pass: bed.user.password }, logger: false, disableAutoIdle: true,
  });
}

test('MOVE to Trash removes from INBOX and keeps flags; COPY to Archive keeps the source', async () => {
  const imap = client();
  await imap.connect();
  try {
    assert.ok(imap.capabilities.has('MOVE') && imap.capabilities.has('UIDPLUS'));
    await imap.mailboxOpen('INBOX');
    await imap.messageFlagsAdd({ uid: '1' }, ['\\Flagged'], { uid: true });
    const moved = await imap.messageMove({ uid: '1' }, 'Trash', { uid: true });
    assert.ok(moved);
    assert.deepEqual([...(moved.uidMap ?? new Map()).entries()], [[1, 1]]);
    assert.equal((imap.mailbox as { exists: number }).exists, 2);
    const copied = await imap.messageCopy('1:2', 'Archive');
    assert.ok(copied);
    assert.equal(copied.uidMap?.size, 2);
    assert.equal((imap.mailbox as { exists: number }).exists, 2);

    await imap.mailboxOpen('Trash');
    const inTrash = await imap.fetchOne('1', { envelope: true, flags: true });
    assert.ok(inTrash);
    assert.equal(inTrash.envelope?.subject, 'Premier');
    assert.ok(inTrash.flags?.has('\\Flagged'));
    const archive = await imap.status('Archive', { messages: true });
    assert.equal(archive && archive.messages, 2);
    assert.equal(await imap.messageCopy('1', 'Nowhere'), false);
  } finally {
    await imap.logout();
  }
});

test('raw: COPYUID, APPENDUID, TRYCREATE and UID EXPUNGE of only deleted messages', async () => {
  const raw = await RawClient.connect(bed.port);
  try {
    await raw.readLine();
    await raw.command('t0', 'STARTTLS');
    await raw.startTls(bed.ca);
    assert.match((await raw.command('l0', `LOGIN ${bed.user.login} "${bed.user.password}"`)).at(-1) ?? '', /^l0 OK/);
    await raw.command('a1', 'SELECT INBOX');
    const copy = await raw.command('a2', 'UID COPY 2:3 Junk');
    assert.match(copy.at(-1) ?? '', /^a2 OK \[COPYUID \d+ 2:3 1:2\] /);
    const missing = await raw.command('a3', 'COPY 1 Nowhere');
    assert.match(missing.at(-1) ?? '', /^a3 NO \[TRYCREATE\]/);
    const appended = await raw.command('a4', 'APPEND Drafts (\\Draft) {20+}\r\nSubject: brouillon\r\n\r\n');
    assert.match(appended.at(-1) ?? '', /^a4 OK \[APPENDUID \d+ 1\] /);
    await raw.command('a5', 'UID STORE 2 +FLAGS.SILENT (\\Deleted)');
    const expunged = await raw.command('a6', 'UID EXPUNGE 2:3');
    assert.match(expunged.at(-1) ?? '', /^a6 OK/);
    assert.deepEqual(expunged.filter((line) => /EXPUNGE$/.test(line)), ['* 1 EXPUNGE']);
    const inbox = await bed.store.getFolder(bed.user.mailboxId, 'INBOX');
    assert.deepEqual((await bed.store.listMessages(inbox!.id)).map((m) => m.uid), [3]);
  } finally {
    raw.close();
  }
});
