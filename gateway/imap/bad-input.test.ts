/**
 * Bad input, each answered with the right BAD / NO and a clear text, within per-connection
 * limits of memory and time, while the server keeps serving everybody else: malformed
 * commands, unbalanced parentheses, invalid sequence sets, unknown mailboxes, a literal
 * that never arrives, a line that never ends, a client that never reads.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loginRaw, RawClient, sampleMessage, startTestBed, type ImapTestBed } from './testing.js';

let bed: ImapTestBed;

before(async () => {
  bed = await startTestBed({ limits: { commandTimeoutMs: 400, writeTimeoutMs: 600 } });
  for (let i = 0; i < 3; i++) await bed.store.deliver([bed.user.mailboxId], sampleMessage(`Message ${i}`));
});
after(async () => bed.close());

test('malformed commands and unbalanced parentheses get BAD with the reason, and the session goes on', async () => {
  const client = await loginRaw(bed);
  try {
    await client.command('a0', 'SELECT INBOX');
    const cases: Array<[string, string]> = [
      ['FETCH 1 (FLAGS', 'BAD Unterminated list at byte N'],
      ['FETCH 1 FLAGS)', 'BAD Expected a space at byte N'],
      ['FETCH 1 ((FLAGS) UID', 'BAD Unterminated list at byte N'],
      ['FETCH 1 BODY[1.HEADER', 'BAD Unterminated section at byte N'],
      ['FETCH 1 BODY[]<5', 'BAD Unterminated partial at byte N'],
      ['FETCH 1 (FLAGS BOGUS)', 'BAD Unknown FETCH item BOGUS'],
      ['FETCH 1 BODY[9.FOO]', 'BAD Invalid section 9.FOO'],
      ['STORE 1 +FLAGS "unterminated', 'BAD Unterminated quoted string at byte N'],
      ['SEARCH (OR SEEN)', 'BAD Missing SEARCH criterion'],
      ['SEARCH SINCE 31-Feb-2026x', 'BAD Invalid date for SINCE: 31-Feb-2026x'],
      ['LOGIN', 'BAD LOGIN is not allowed once authenticated'],
      ['SELECT', 'BAD SELECT: missing mailbox name'],
      ['STATUS INBOX MESSAGES', 'BAD STATUS: expected status items, got atom MESSAGES'],
      ['LIST "" "*" RETURN (BOGUS)', 'BAD LIST: unknown return option BOGUS'],
      ['APPEND INBOX (\\Seen) "bad date" {1+}\r\nx', 'BAD APPEND: invalid date-time "bad date"'],
      ['ENABLE', 'BAD ENABLE: missing capability'],
    ];
    for (const [index, [command, answer]] of cases.entries()) {
      // Byte offsets count from the start of the line, tag included.
      const reply = (await client.command(`m${index}`, command)).map((line) => line.replace(/at byte \d+$/, 'at byte N'));
      assert.deepEqual(reply, [`m${index} ${answer}`], command);
    }
    client.write('(((\r\n');
    assert.equal(await client.readLine(), '* BAD Missing or invalid tag');
    assert.deepEqual(await client.command('m99', 'NOOP'), ['m99 OK NOOP completed']);
  } finally {
    client.close();
  }
});

test('invalid sequence sets, unknown mailboxes and commands in the wrong state', async () => {
  const client = await loginRaw(bed);
  try {
    assert.deepEqual(await client.command('n1', 'FETCH 1 FLAGS'), ['n1 BAD FETCH requires a selected mailbox: SELECT first']);
    assert.deepEqual(await client.command('n2', 'SELECT Nowhere'), ['n2 NO [NONEXISTENT] Mailbox does not exist']);
    assert.deepEqual(await client.command('n3', 'SELECT "&Jjo-bad&"'), ['n3 BAD SELECT: invalid mailbox name encoding']);
    await client.command('n4', 'SELECT INBOX');
    const cases: Array<[string, string]> = [
      ['FETCH 0 FLAGS', 'BAD FETCH: Invalid number in sequence set: 0'],
      ['FETCH 1:x FLAGS', 'BAD FETCH: invalid sequence set'],
      ['FETCH 4 FLAGS', 'BAD Invalid message sequence number 4'],
      ['FETCH 4294967296 FLAGS', 'BAD FETCH: Invalid number in sequence set: 4294967296'],
      ['UID FETCH 1,,2 FLAGS', 'BAD UID FETCH: invalid sequence set'],
      ['STORE -1 +FLAGS (\\Seen)', 'BAD STORE: invalid sequence set'],
      ['COPY 1 Nowhere', 'NO [TRYCREATE] Mailbox does not exist'],
      ['MOVE 1:2 ""', 'NO [TRYCREATE] Mailbox does not exist'],
      ['STARTTLS', 'BAD STARTTLS is not allowed once authenticated'],
    ];
    for (const [index, [command, answer]] of cases.entries()) {
      assert.deepEqual(await client.command(`p${index}`, command), [`p${index} ${answer}`], command);
    }
    assert.deepEqual(await client.command('p99', 'UID FETCH 90:99 FLAGS'), ['p99 OK UID FETCH completed']);
  } finally {
    client.close();
  }
});

test('a literal that never arrives, and a line that never ends, time out with BYE', async () => {
  const literal = await loginRaw(bed);
  const line = await loginRaw(bed);
  const bystander = await loginRaw(bed);
  try {
    literal.write('w1 APPEND INBOX {100+}\r\nonly a few bytes');
    line.write('w2 FETCH 1 (FLA');
    assert.equal(await literal.readUntilClosed(3000), '* BYE Timed out waiting for the rest of the command\r\n');
    assert.equal(await line.readUntilClosed(3000), '* BYE Timed out waiting for the rest of the command\r\n');
    assert.deepEqual(await bystander.command('w3', 'STATUS INBOX (MESSAGES)'), ['* STATUS "INBOX" (MESSAGES 3)', 'w3 OK STATUS completed']);
  } finally {
    literal.close();
    line.close();
    bystander.close();
  }
});

test('a client that never reads is cut off; the others are served meanwhile', async () => {
  const big = Buffer.concat([Buffer.from('Subject: lourd\r\n\r\n'), Buffer.alloc(2 * 1024 * 1024, 'a')]);
  for (let i = 0; i < 8; i++) await bed.store.deliver([bed.user.mailboxId], Buffer.concat([big, Buffer.from(`${i}\r\n`)]));
  const sessions = bed.server.sessionCount;
  const stuck = await loginRaw(bed);
  const bystander = await loginRaw(bed);
  try {
    await stuck.command('r1', 'SELECT INBOX');
    stuck.pause();
    stuck.write('r2 FETCH 1:* BODY.PEEK[]\r\n');
    assert.deepEqual(await bystander.command('b1', 'STATUS INBOX (MESSAGES)'), ['* STATUS "INBOX" (MESSAGES 11)', 'b1 OK STATUS completed']);
    const deadline = Date.now() + 5000;
    while (bed.server.sessionCount > sessions + 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(bed.server.sessionCount, sessions + 1, 'the session that does not read is gone');
    assert.deepEqual(await bystander.command('b2', 'NOOP'), ['b2 OK NOOP completed']);
  } finally {
    stuck.close();
    bystander.close();
  }
});

test('before login: a huge literal announcement is refused, the unauthenticated line limit holds', async () => {
  const client = await RawClient.connect(bed.port);
  try {
    await client.readLine();
    assert.deepEqual(await client.command('z1', 'LOGIN {99999999999}'), ['z1 NO [TOOBIG] Literal of 99999999999 bytes exceeds the limit']);
    assert.deepEqual(await client.command('z2', 'LOGIN {12345678901234}'), ['z2 BAD Invalid literal length at byte 24']);
    assert.deepEqual(await client.command('z3', 'CAPABILITY'), [
      '* CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UNSELECT CHILDREN SPECIAL-USE UIDPLUS MOVE STARTTLS LOGINDISABLED',
      'z3 OK CAPABILITY completed',
    ]);
  } finally {
    client.close();
  }
});
