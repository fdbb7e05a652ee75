/**
 * The wire, byte for byte: greeting, refusals before TLS, state and syntax errors, limits,
 * STARTTLS injection, literals, and untagged updates between two sessions.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RawClient, sampleMessage, startTestBed, type ImapTestBed } from './testing.js';

let bed: ImapTestBed;

before(async () => {
  bed = await startTestBed();
  await bed.store.deliver([bed.user.mailboxId], sampleMessage('Premier'));
  await bed.store.deliver([bed.user.mailboxId], Buffer.from('Subject: court\r\n\r\nHello world\r\n'));
});
after(async () => {
  await bed.close();
});

const PRE_TLS_CAPS = 'IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UNSELECT CHILDREN SPECIAL-USE UIDPLUS MOVE STARTTLS LOGINDISABLED';
const AUTHED_CAPS = 'IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UNSELECT CHILDREN SPECIAL-USE UIDPLUS MOVE '
  + 'CONDSTORE QRESYNC ESEARCH LIST-EXTENDED LIST-STATUS STATUS=SIZE QUOTA QUOTA=RES-STORAGE ACL RIGHTS=texk COMPRESS=DEFLATE APPENDLIMIT=1048576';

async function connectTls(): Promise<RawClient> {
  const client = await RawClient.connect(bed.port);
  await client.readLine();
  assert.deepEqual(await client.command('t0', 'STARTTLS'), ['t0 OK Begin TLS negotiation now']);
  await client.startTls(bed.ca);
  return client;
}

async function loggedIn(): Promise<RawClient> {
  const client = await connectTls();
  const reply = await client.command('l0', `LOGIN ${bed.user.login} "${bed.user.password}"`);
  assert.deepEqual(reply, [`l0 OK [CAPABILITY ${AUTHED_CAPS}] Logged in`]);
  return client;
}

test('before TLS: greeting, LOGINDISABLED, and LOGIN / AUTHENTICATE refused', async () => {
  const client = await RawClient.connect(bed.port);
  try {
    assert.equal(await client.readLine(), `* OK [CAPABILITY ${PRE_TLS_CAPS}] imap.test Hygie IMAP ready`);
    assert.deepEqual(await client.command('a1', `LOGIN ${bed.user.login} "${bed.user.password}"`),
      ['a1 NO [PRIVACYREQUIRED] Plaintext authentication is disallowed without TLS: issue STARTTLS first']);
    assert.deepEqual(await client.command('a2', 'AUTHENTICATE PLAIN'),
      ['a2 NO [PRIVACYREQUIRED] Plaintext authentication is disallowed without TLS: issue STARTTLS first']);
    assert.deepEqual(await client.command('a3', 'ID NIL'), ['* ID ("name" "Hygie" "vendor" "Hygie")', 'a3 OK ID completed']);
  } finally {
    client.close();
  }
});

test('commands in the wrong state, unknown commands and malformed lines get BAD with a reason', async () => {
  const client = await RawClient.connect(bed.port);
  try {
    await client.readLine();
    assert.deepEqual(await client.command('b1', 'SELECT INBOX'), ['b1 BAD SELECT requires authentication: LOGIN first']);
    assert.deepEqual(await client.command('b2', 'FROBNICATE'), ['b2 BAD Unknown command FROBNICATE']);
    assert.deepEqual(await client.command('b3', 'LOGIN "unterminated'), ['b3 BAD Unterminated quoted string at byte 22']);
    assert.deepEqual(await client.command('b4', 'ID (a b'), ['b4 BAD Unterminated list at byte 10']);
    client.write('\r\n');
    assert.equal(await client.readLine(), '* BAD Missing or invalid tag');
    assert.deepEqual(await client.command('b5', 'NOOP extra'), ['b5 BAD NOOP: unexpected extra arguments']);
  } finally {
    client.close();
  }
});

test('STARTTLS: commands pipelined in clear after it are discarded, not run', async () => {
  const client = await RawClient.connect(bed.port);
  try {
    await client.readLine();
    client.write(`c1 STARTTLS\r\nc2 LOGIN ${bed.user.login} "${bed.user.password}"\r\n`);
    assert.deepEqual(await client.readUntilTagged('c1'), ['c1 OK Begin TLS negotiation now']);
    await client.startTls(bed.ca);
    assert.deepEqual(await client.command('c3', 'CAPABILITY'), [
      '* CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UNSELECT CHILDREN SPECIAL-USE UIDPLUS MOVE AUTH=PLAIN',
      'c3 OK CAPABILITY completed',
    ]);
    assert.deepEqual(await client.command('c4', 'STARTTLS'), ['c4 BAD TLS is already active']);
  } finally {
    client.close();
  }
});

test('wrong password, then AUTHENTICATE PLAIN through a continuation', async () => {
  const client = await connectTls();
  try {
    assert.deepEqual(await client.command('d1', `LOGIN ${bed.user.login} "not the password"`),
      ['d1 NO [AUTHENTICATIONFAILED] Authentication failed: wrong login or password']);
    assert.deepEqual(await client.command('d2', 'AUTHENTICATE CRAM-MD5'), ['d2 NO [CANNOT] Unsupported authentication mechanism CRAM-MD5']);
    client.write('d3 AUTHENTICATE PLAIN\r\n');
    assert.equal(await client.readLine(), '+ ');
    client.write(`${Buffer.from(`\0${bed.user.login}\0${bed.user.password}`).toString('base64')}\r\n`);
    assert.deepEqual(await client.readUntilTagged('d3'), [`d3 OK [CAPABILITY ${AUTHED_CAPS}] Logged in`]);
    assert.deepEqual(await client.command('d4', 'LOGIN a b'), ['d4 BAD LOGIN is not allowed once authenticated']);
    assert.deepEqual(await client.command('d5', 'FETCH 1 FLAGS'), ['d5 BAD FETCH requires a selected mailbox: SELECT first']);
  } finally {
    client.close();
  }
});

test('exact responses: SELECT, FETCH sections and partials, BODY[] sets \\Seen, STORE, SEARCH', async () => {
  const client = await loggedIn();
  try {
    const selected = await client.command('e1', 'SELECT inbox');
    assert.deepEqual(selected.filter((line) => !line.includes('UIDVALIDITY') && !line.includes('HIGHESTMODSEQ')), [
      '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)',
      '* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted',
      '* 2 EXISTS',
      '* 0 RECENT',
      '* OK [UNSEEN 1] First unseen',
      '* OK [UIDNEXT 3] Predicted next UID',
      'e1 OK [READ-WRITE] SELECT completed',
    ]);
    assert.deepEqual(await client.command('e2', 'UID FETCH 2 (RFC822.SIZE BODY.PEEK[HEADER] BODY.PEEK[TEXT]<6.5>)'), [
      '* 2 FETCH (UID 2 RFC822.SIZE 31 BODY[HEADER] {18}',
      'Subject: court',
      '',
      ' BODY[TEXT]<6> {5}',
      'world)',
      'e2 OK UID FETCH completed',
    ]);
    assert.deepEqual(await client.command('e3', 'FETCH 2 (BODY[TEXT])'), [
      '* 2 FETCH (BODY[TEXT] {13}',
      'Hello world',
      ' FLAGS (\\Seen))',
      'e3 OK FETCH completed',
    ]);
    assert.deepEqual(await client.command('e4', 'FETCH 2 RFC822.HEADER'), ['* 2 FETCH (RFC822.HEADER {18}', 'Subject: court', '', ')', 'e4 OK FETCH completed']);
    assert.deepEqual(await client.command('e5', 'STORE 1:2 +FLAGS (\\Flagged)'), [
      '* 1 FETCH (FLAGS (\\Flagged))',
      '* 2 FETCH (FLAGS (\\Seen \\Flagged))',
      'e5 OK STORE completed',
    ]);
    assert.deepEqual(await client.command('e6', 'UID STORE 1 -FLAGS.SILENT (\\Flagged)'), ['e6 OK UID STORE completed']);
    assert.deepEqual(await client.command('e7', 'SEARCH FLAGGED'), ['* SEARCH 2', 'e7 OK SEARCH completed']);
    assert.deepEqual(await client.command('e8', 'UID SEARCH OR SUBJECT premier TEXT world'), ['* SEARCH 1 2', 'e8 OK UID SEARCH completed']);
    assert.deepEqual(await client.command('e9', 'SEARCH CHARSET KOI8-R ALL'), ['e9 NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset']);
    assert.deepEqual(await client.command('e10', 'FETCH 3 FLAGS'), ['e10 BAD Invalid message sequence number 3']);
    assert.deepEqual(await client.command('e11', 'STORE 1 FLAGS (\\Bogus)'), ['e11 BAD Unknown system flag \\Bogus']);
    assert.deepEqual(await client.command('e12', 'FETCH 1 (BODY[1.MIME] BODY[9])'), [
      '* 1 FETCH (BODY[1.MIME] {76}',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      ' BODY[9] NIL FLAGS (\\Seen))',
      'e12 OK FETCH completed',
    ]);
  } finally {
    client.close();
  }
});

test('APPEND with a synchronising literal, flags and date; EXAMINE is read-only; TRYCREATE; TOOBIG', async () => {
  const client = await loggedIn();
  try {
    const message = 'Subject: brouillon\r\n\r\nà finir\r\n';
    const size = Buffer.byteLength(message);
    client.write(`f1 APPEND Drafts (\\Draft) "24-Nov-2026 10:00:00 +0100" {${size}}\r\n`);
    assert.equal(await client.readLine(), '+ Ready for literal data');
    client.write(`${message}\r\n`);
    const draftsFolder = await bed.store.getFolder(bed.user.mailboxId, 'Drafts');
    assert.deepEqual(await client.readUntilTagged('f1'), [`f1 OK [APPENDUID ${draftsFolder!.uidValidity} 1] APPEND completed`]);
    assert.deepEqual(await client.command('f2', 'STATUS Drafts (MESSAGES UNSEEN UIDNEXT)'), ['* STATUS "Drafts" (MESSAGES 1 UNSEEN 1 UIDNEXT 2)', 'f2 OK STATUS completed']);
    const drafts = await bed.store.getFolder(bed.user.mailboxId, 'Drafts');
    assert.deepEqual(await client.command('f3', 'EXAMINE Drafts'), [
      '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)',
      '* OK [PERMANENTFLAGS ()] No permanent flags permitted',
      '* 1 EXISTS',
      '* 0 RECENT',
      '* OK [UNSEEN 1] First unseen',
      `* OK [UIDVALIDITY ${drafts!.uidValidity}] UIDs valid`,
      '* OK [UIDNEXT 2] Predicted next UID',
      `* OK [HIGHESTMODSEQ ${drafts!.highestModseq}] Highest`,
      'f3 OK [READ-ONLY] EXAMINE completed',
    ]);
    // Read-only: BODY[TEXT] does not set \Seen, STORE is refused.
    assert.deepEqual(await client.command('f4', 'FETCH 1 (FLAGS INTERNALDATE BODY[TEXT])'), [
      `* 1 FETCH (FLAGS (\\Draft) INTERNALDATE "24-Nov-2026 09:00:00 +0000" BODY[TEXT] {10}`,
      Buffer.from('à finir').toString('latin1'),
      ')',
      'f4 OK FETCH completed',
    ]);
    assert.deepEqual(await client.command('f5', 'STORE 1 +FLAGS (\\Seen)'), ['f5 NO Mailbox is read-only']);
    client.write('f6 APPEND Nowhere {3+}\r\nabc\r\n');
    assert.deepEqual(await client.readUntilTagged('f6'), ['f6 NO [TRYCREATE] Mailbox does not exist']);
    assert.deepEqual(await client.command('f7', 'APPEND INBOX {2000000}'), ['f7 NO [TOOBIG] Literal of 2000000 bytes exceeds the limit']);
    assert.deepEqual(await client.command('f8', 'APPEND INBOX "not-a-date" {1+}\r\nx'), ['f8 BAD APPEND: invalid date-time "not-a-date"']);
    assert.deepEqual(await client.command('f9', 'NOOP'), ['f9 OK NOOP completed']);
  } finally {
    client.close();
  }
});

test('literals are small before login; an oversized non-synchronising literal ends the connection', async () => {
  const client = await connectTls();
  try {
    assert.deepEqual(await client.command('g1', 'LOGIN {9000}'), ['g1 NO [TOOBIG] Literal of 9000 bytes exceeds the limit']);
    client.write(`g2 LOGIN {9000+}\r\n${'x'.repeat(100)}`);
    assert.equal(await client.readUntilClosed(), '* BYE Literal too large\r\n');
  } finally {
    client.close();
  }
});

test('an overlong line gets BYE and the connection closes', async () => {
  const client = await RawClient.connect(bed.port);
  try {
    await client.readLine();
    client.write(`h1 LOGIN ${'x'.repeat(70 * 1024)} y\r\n`);
    assert.equal(await client.readUntilClosed(), '* BYE Line too long\r\n');
  } finally {
    client.close();
  }
});

test('too many bad commands get BYE', async () => {
  const client = await RawClient.connect(bed.port);
  try {
    await client.readLine();
    for (let i = 1; i < 20; i++) assert.deepEqual(await client.command(`x${i}`, 'BOGUS'), [`x${i} BAD Unknown command BOGUS`]);
    client.write('x20 BOGUS\r\n');
    assert.equal(await client.readUntilClosed(), 'x20 BAD Unknown command BOGUS\r\n* BYE Too many invalid commands\r\n');
  } finally {
    client.close();
  }
});

test('LIST patterns, LSUB, NAMESPACE, ENABLE', async () => {
  const client = await loggedIn();
  try {
    assert.deepEqual(await client.command('i1', 'LIST "" ""'), ['* LIST (\\Noselect) "/" ""', 'i1 OK LIST completed']);
    assert.deepEqual(await client.command('i2', 'LIST "" inbox'), ['* LIST (\\HasNoChildren) "/" "INBOX"', 'i2 OK LIST completed']);
    assert.deepEqual(await client.command('i3', 'LIST "" "%r%"'), [
      '* LIST (\\HasNoChildren \\Drafts) "/" "Drafts"',
      '* LIST (\\HasNoChildren \\Trash) "/" "Trash"',
      '* LIST (\\HasNoChildren \\Archive) "/" "Archive"',
      'i3 OK LIST completed',
    ]);
    assert.equal((await client.command('i4', 'LSUB "" "*"')).filter((line) => line.startsWith('* LSUB')).length, 6);
    assert.deepEqual(await client.command('i5', 'NAMESPACE'), ['* NAMESPACE (("" "/")) NIL (("Partag&AOk-s/" "/"))', 'i5 OK NAMESPACE completed']);
    assert.deepEqual(await client.command('i6', 'ENABLE CONDSTORE X-UNKNOWN'), ['* ENABLED CONDSTORE', 'i6 OK ENABLE completed']);
    assert.deepEqual(await client.command('i6b', 'ENABLE CONDSTORE'), ['* ENABLED', 'i6b OK ENABLE completed']);
    assert.deepEqual(await client.command('i7', 'CREATE Dossiers'), ['i7 OK CREATE completed']);
    assert.deepEqual(await client.command('i8', 'STATUS Nowhere (MESSAGES)'), ['i8 NO [NONEXISTENT] Mailbox does not exist']);
  } finally {
    client.close();
  }
});

test('other sessions\' changes: EXISTS during IDLE, EXPUNGE held back during FETCH and sent on NOOP', async () => {
  const watcher = await loggedIn();
  const other = await loggedIn();
  try {
    await bed.store.deliver([bed.user.mailboxId], Buffer.from('Subject: a supprimer\r\n\r\nx\r\n'));
    assert.ok((await watcher.command('j1', 'SELECT INBOX')).includes('* 3 EXISTS'));
    assert.ok((await other.command('k1', 'SELECT INBOX')).includes('* 3 EXISTS'));

    watcher.write('j2 IDLE\r\n');
    assert.equal(await watcher.readLine(), '+ idling');
    await bed.store.deliver([bed.user.mailboxId], Buffer.from('Subject: pendant IDLE\r\n\r\ny\r\n'));
    assert.equal(await watcher.readLine(), '* 4 EXISTS');
    watcher.write('DONE\r\n');
    assert.deepEqual(await watcher.readUntilTagged('j2'), ['j2 OK IDLE terminated']);

    // The other session learns of message 4 after its own command, and is not told its own change again.
    assert.deepEqual(await other.command('k2', 'STORE 3 +FLAGS.SILENT (\\Deleted)'), ['* 4 EXISTS', 'k2 OK STORE completed']);
    assert.deepEqual(await other.command('k3', 'EXPUNGE'), ['* 3 EXPUNGE', 'k3 OK EXPUNGE completed']);

    // During FETCH the flag change is told but the expunge must wait (RFC 3501 7.4.1).
    assert.deepEqual(await watcher.command('j3', 'FETCH 3 (FLAGS)'), ['* 3 FETCH (UID 3 FLAGS (\\Deleted))', 'j3 OK FETCH completed']);
    assert.deepEqual(await watcher.command('j4', 'NOOP'), ['* 3 EXPUNGE', 'j4 OK NOOP completed']);
    assert.deepEqual(await watcher.command('j5', 'UID FETCH 4 (UID)'), ['* 3 FETCH (UID 4)', 'j5 OK UID FETCH completed']);
    assert.deepEqual(await watcher.command('j6', 'CLOSE'), ['j6 OK CLOSE completed']);
    assert.deepEqual(await watcher.command('j7', 'LOGOUT'), ['* BYE Logging out', 'j7 OK LOGOUT completed']);
    assert.equal(await watcher.readUntilClosed(), '');
  } finally {
    watcher.close();
    other.close();
  }
});

test('limits before login: inactivity timeout and number of commands', async () => {
  const quick = await startTestBed({ limits: { unauthenticatedTimeoutMs: 300, maxCommandsBeforeLogin: 2 } });
  const idle = await RawClient.connect(quick.port);
  const chatty = await RawClient.connect(quick.port);
  try {
    await chatty.readLine();
    assert.deepEqual(await chatty.command('n1', 'NOOP'), ['n1 OK NOOP completed']);
    assert.deepEqual(await chatty.command('n2', 'NOOP'), ['n2 OK NOOP completed']);
    chatty.write('n3 NOOP\r\n');
    assert.equal(await chatty.readUntilClosed(), '* BYE Too many commands before login\r\n');
    await idle.readLine();
    assert.equal(await idle.readUntilClosed(), '* BYE Autologout: idle for too long\r\n');
  } finally {
    idle.close();
    chatty.close();
    await quick.close();
  }
});

test('server close says BYE to connected sessions', async () => {
  const closing = await startTestBed();
  const client = await RawClient.connect(closing.port);
  await client.readLine();
  await closing.close();
  assert.equal(await client.readUntilClosed(), '* BYE Server shutting down\r\n');
});
