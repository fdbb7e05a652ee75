/**
 * End to end with a real client (imapflow) over STARTTLS, against the real store and
 * directory on a temporary SQLite database.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { sampleMessage, startTestBed, type ImapTestBed } from './testing.js';

let bed: ImapTestBed;
const second = sampleMessage('Résultats d’analyses', 'Les résultats sont normaux.\r\n');

before(async () => {
  bed = await startTestBed();
  await bed.store.deliver([bed.user.mailboxId], sampleMessage('Compte rendu de consultation — été'));
  await bed.store.deliver([bed.user.mailboxId], second);
});
after(async () => {
  await bed.close();
});

function client(overrides: Partial<ImapFlowOptions> = {}): ImapFlow {
  return new ImapFlow({
    host: bed.host, port: bed.port, secure: false, doSTARTTLS: true,
    tls: { ca: [bed.ca], servername: 'localhost' },
    auth: { user: bed.user.login, pass: bed.user.password },
    logger: false, disableAutoIdle: true,
    ...overrides,
  });
}

test('STARTTLS, login, folders with special-use attributes', async () => {
  const imap = client();
  await imap.connect();
  try {
    assert.equal(imap.secureConnection, true);
    const folders = await imap.list();
    const byPath = new Map(folders.map((folder) => [folder.path, folder]));
    assert.deepEqual([...byPath.keys()].sort(), ['Archive', 'Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']);
    assert.equal(byPath.get('Sent')?.specialUse, '\\Sent');
    assert.equal(byPath.get('Trash')?.specialUse, '\\Trash');
    assert.equal(byPath.get('INBOX')?.specialUse, '\\Inbox');
    const status = await imap.status('INBOX', { messages: true, unseen: true, uidNext: true });
    assert.deepEqual({ messages: status && status.messages, unseen: status && status.unseen, uidNext: status && status.uidNext }, { messages: 2, unseen: 2, uidNext: 3 });
  } finally {
    await imap.logout();
  }
});

test('a wrong password is refused', async () => {
  const imap = client({ auth: { user: bed.user.login, pass: 'wrong password!' } });
  await assert.rejects(imap.connect(), (error: Error & { authenticationFailed?: boolean }) => error.authenticationFailed === true);
  imap.close();
});

test('select, fetch envelope / bodystructure / source, flag, search, append, expunge', async () => {
  const imap = client();
  await imap.connect();
  try {
    const mailbox = await imap.mailboxOpen('INBOX');
    assert.equal(mailbox.exists, 2);
    assert.equal(mailbox.uidNext, 3);

    const messages = await imap.fetchAll('1:*', { uid: true, flags: true, envelope: true, bodyStructure: true, size: true, internalDate: true });
    assert.deepEqual(messages.map((m) => m.uid), [1, 2]);
    const first = messages[0]!;
    assert.equal(first.envelope?.subject, 'Compte rendu de consultation — été');
    assert.equal(first.envelope?.from?.[0]?.address, 'jean.martin@esante-demo.test');
    assert.equal(first.envelope?.to?.[0]?.name, 'Hélène Durand');
    assert.equal(first.bodyStructure?.type, 'multipart/mixed');
    assert.deepEqual(first.bodyStructure?.childNodes?.map((node) => `${node.part} ${node.type}`), ['1 text/plain', '2 application/pdf']);
    assert.equal(first.bodyStructure?.childNodes?.[1]?.disposition, 'attachment');
    assert.equal(first.flags?.size, 0);

    // imapflow always fetches with BODY.PEEK: \Seen stays unset (BODY[] without PEEK is in raw-session.test.ts).
    const source = await imap.fetchOne('2', { source: true, flags: true });
    assert.ok(source && source.source?.equals(second), 'the source is the stored bytes, unchanged');
    assert.equal(source && source.flags?.has('\\Seen'), false);
    const part = await imap.fetchOne('2', { bodyParts: ['1'], flags: true });
    assert.equal(part && part.bodyParts?.get('1')?.toString('utf8'), 'Les résultats sont normaux.');
    assert.equal(part && part.flags?.has('\\Seen'), false);
    await imap.messageFlagsAdd('2', ['\\Seen']);

    assert.equal(await imap.messageFlagsAdd('1', ['\\Flagged', '$Urgent']), true);
    assert.deepEqual([...((await imap.fetchOne('1', { flags: true })) || { flags: new Set() }).flags!].sort(), ['$Urgent', '\\Flagged']);
    assert.deepEqual(await imap.search({ flagged: true }), [1]);
    await imap.messageFlagsRemove({ uid: '1' }, ['\\Flagged'], { uid: true });
    assert.deepEqual(await imap.search({ flagged: true }), []);

    assert.deepEqual(await imap.search({ seen: false }), [1]);
    assert.deepEqual(await imap.search({ subject: 'résultats' }, { uid: true }), [2]);
    assert.deepEqual(await imap.search({ from: 'martin' }), [1, 2]);
    assert.deepEqual(await imap.search({ body: 'normaux' }), [2]);
    assert.deepEqual(await imap.search({ uid: '2:*' }, { uid: true }), [2]);

    const sent = Buffer.from('From: helene@esante-demo.test\r\nTo: jean.martin@esante-demo.test\r\nSubject: Réponse\r\n\r\nMerci.\r\n');
    await imap.append('Sent', sent, ['\\Seen'], new Date('2026-11-20T08:30:00Z'));
    const sentBox = await imap.status('Sent', { messages: true, unseen: true });
    assert.equal(sentBox && sentBox.messages, 1);
    assert.equal(sentBox && sentBox.unseen, 0);

    assert.equal(await imap.messageDelete('1'), true);
    assert.equal(imap.mailbox && imap.mailbox.exists, 1);
    assert.deepEqual((await imap.fetchAll('1:*', { uid: true })).map((m) => m.uid), [2]);
  } finally {
    await imap.logout();
  }

  const sentCheck = client();
  await sentCheck.connect();
  try {
    await sentCheck.mailboxOpen('Sent', { readOnly: true });
    const [message] = await sentCheck.fetchAll('1', { envelope: true, internalDate: true, flags: true });
    assert.equal(message?.envelope?.subject, 'Réponse');
    assert.equal((message?.internalDate as Date).toISOString(), '2026-11-20T08:30:00.000Z');
    assert.deepEqual([...message!.flags!], ['\\Seen']);
  } finally {
    await sentCheck.logout();
  }
});

test('IDLE receives EXISTS when another connection appends, and flag changes of others', async () => {
  const watcher = client();
  const writer = client();
  await watcher.connect();
  await writer.connect();
  try {
    await watcher.mailboxOpen('INBOX');
    const before = watcher.mailbox ? watcher.mailbox.exists : 0;
    const exists = new Promise<number>((resolve) => watcher.on('exists', (data: { count: number }) => resolve(data.count)));
    const idling = watcher.idle();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await writer.append('INBOX', sampleMessage('Nouveau message pendant IDLE'));
    assert.equal(await withTimeout(exists, 5000), before + 1);

    const flagged = new Promise<{ flags: Set<string> }>((resolve) => watcher.on('flags', resolve));
    await writer.mailboxOpen('INBOX');
    await writer.messageFlagsAdd('*', ['\\Answered']);
    const update = await withTimeout(flagged, 5000);
    assert.equal(update.flags.has('\\Answered'), true);

    await watcher.noop(); // ends IDLE
    await idling;
    const [last] = await watcher.fetchAll('*', { envelope: true });
    assert.equal(last?.envelope?.subject, 'Nouveau message pendant IDLE');
  } finally {
    await watcher.logout();
    await writer.logout();
  }
});

test('LOGIN (rather than AUTHENTICATE PLAIN with SASL-IR, used above) over implicit TLS', async () => {
  const imaps = await startTestBed({ implicitTls: true });
  try {
    const imap = new ImapFlow({
      host: imaps.host, port: imaps.port, secure: true, tls: { ca: [imaps.ca], servername: 'localhost' },
      auth: { user: imaps.user.login, pass: imaps.user.password, loginMethod: 'LOGIN' }, logger: false,
    });
    await imap.connect();
    assert.equal(imap.authenticated !== false, true);
    await imap.logout();
  } finally {
    await imaps.close();
  }
});

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref())]);
}
