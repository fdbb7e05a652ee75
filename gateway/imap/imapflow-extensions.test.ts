/**
 * The extensions as a real client uses them (imapflow): CONDSTORE and QRESYNC
 * resynchronisation, ESEARCH, LIST-STATUS, STATUS items, QUOTA; and two concurrent
 * sessions seeing each other's changes, pushed during IDLE.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { ImapFlow, type ExistsEvent, type ExpungeEvent, type FlagsEvent, type ImapFlowOptions } from 'imapflow';
import { sampleMessage, startTestBed, type ImapTestBed } from './testing.js';

let bed: ImapTestBed;

before(async () => {
  bed = await startTestBed();
  for (const subject of ['Un', 'Deux', 'Trois']) await bed.store.deliver([bed.user.mailboxId], sampleMessage(subject));
});
after(async () => bed.close());

function client(overrides: Partial<ImapFlowOptions> = {}): ImapFlow {
  return new ImapFlow({
    host: bed.host, port: bed.port, secure: false, doSTARTTLS: true, tls: { ca: [bed.ca], servername: 'localhost' },
    auth: { user: bed.user.login, pass: bed.user.password }, logger: false, disableAutoIdle: true, ...overrides,
  });
}

test('CONDSTORE and QRESYNC: a client resynchronises from its last HIGHESTMODSEQ', async () => {
  const first = client();
  await first.connect();
  let highest: bigint;
  let uidValidity: bigint;
  try {
    assert.ok(first.enabled.has('CONDSTORE') || first.capabilities.has('CONDSTORE'));
    const mailbox = await first.mailboxOpen('INBOX');
    assert.ok(mailbox.highestModseq && mailbox.highestModseq > 0n);
    highest = mailbox.highestModseq!;
    uidValidity = mailbox.uidValidity;
    await first.messageFlagsAdd({ uid: '2' }, ['\\Flagged'], { uid: true });
    const changed = await first.fetchAll('1:*', { uid: true, flags: true }, { changedSince: highest });
    assert.deepEqual(changed.map((m) => m.uid), [2]);
    assert.ok(changed[0]!.modseq && changed[0]!.modseq > highest);
    // A conditional store on a stale modseq changes nothing.
    assert.equal(await first.messageFlagsAdd({ uid: '2' }, ['\\Seen'], { uid: true, unchangedSince: highest }), true);
    const after = await first.fetchOne('2', { flags: true });
    assert.equal(after && after.flags?.has('\\Seen'), false);
    await first.messageDelete({ uid: '3' }, { uid: true });
  } finally {
    await first.logout();
  }

  const second = client({ qresync: true });
  await second.connect();
  try {
    const vanished: ExpungeEvent[] = [];
    const flags: FlagsEvent[] = [];
    second.on('expunge', (event: ExpungeEvent) => vanished.push(event));
    second.on('flags', (event: FlagsEvent) => flags.push(event));
    await second.mailboxOpen('INBOX', { changedSince: highest, uidValidity });
    assert.deepEqual(vanished.map((e) => [e.uid, e.vanished, e.earlier]), [[3, true, true]]);
    assert.deepEqual(flags.map((e) => [e.uid, [...e.flags]]), [[2, ['\\Flagged']]]);
  } finally {
    await second.logout();
  }
});

test('ESEARCH, STATUS with SIZE and HIGHESTMODSEQ, LIST-STATUS, QUOTA', async () => {
  const imap = client();
  await imap.connect();
  try {
    await imap.mailboxOpen('INBOX');
    const uids = await imap.search({ all: true }, { uid: true });
    assert.deepEqual(uids, [1, 2]);
    const status = await imap.status('INBOX', { messages: true, unseen: true, highestModseq: true, size: true } as Parameters<ImapFlow['status']>[1]);
    assert.equal(status && status.messages, 2);
    assert.ok(status && (status as { highestModseq?: bigint }).highestModseq);
    const folders = await imap.list({ statusQuery: { messages: true, unseen: true } });
    const inbox = folders.find((f) => f.path === 'INBOX');
    assert.equal(inbox?.status?.messages, 2);
    // imapflow turns COMPRESS=DEFLATE on by itself: everything above ran compressed.
    assert.ok(imap.capabilities.has('COMPRESS=DEFLATE'));
    assert.ok((imap as unknown as { _deflate?: unknown })._deflate, 'the session is compressed');
    const quota = await imap.getQuota('INBOX');
    assert.ok(quota && quota.storage);
    assert.ok((quota.storage.usage ?? 0) > 0);
    assert.equal(quota.storage.limit, 2 * 1024 ** 3);
  } finally {
    await imap.logout();
  }
});

test('two sessions: new mail, flag changes and expunges reach the other one during IDLE', async () => {
  const watcher = client({ disableAutoIdle: false, qresync: false });
  const actor = client();
  await watcher.connect();
  await actor.connect();
  try {
    await watcher.mailboxOpen('INBOX');
    await actor.mailboxOpen('INBOX');
    const idling = watcher.idle();

    const exists = once(watcher, 'exists') as Promise<[ExistsEvent]>;
    await actor.append('INBOX', sampleMessage('Nouveau pendant IDLE'));
    const [existsEvent] = await exists;
    assert.equal(existsEvent.count, 3);

    const flagged = once(watcher, 'flags') as Promise<[FlagsEvent]>;
    await actor.messageFlagsAdd({ uid: '1' }, ['$Urgent'], { uid: true });
    const [flagsEvent] = await flagged;
    assert.deepEqual([flagsEvent.seq, [...flagsEvent.flags]], [1, ['$Urgent']]);

    const expunged = once(watcher, 'expunge') as Promise<[ExpungeEvent]>;
    await actor.messageDelete({ uid: '1' }, { uid: true });
    const [expungeEvent] = await expunged;
    assert.equal(expungeEvent.seq, 1);
    void idling.catch(() => undefined);
    const seen = await watcher.fetchAll('1:*', { uid: true });
    assert.deepEqual(seen.map((m) => m.uid), [2, 4]);
  } finally {
    await watcher.logout();
    await actor.logout();
  }
});
