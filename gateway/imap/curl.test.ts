/** curl as an independent IMAP client: STARTTLS required, SASL-IR login, LIST, SEARCH, FETCH. */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { sampleMessage, startTestBed, type ImapTestBed } from './testing.js';

const run = promisify(execFile);
const hasCurl = spawnSync('curl', ['--version']).status === 0;
let bed: ImapTestBed;
const message = sampleMessage('Lettre de liaison');

before(async () => {
  bed = await startTestBed();
  await bed.store.deliver([bed.user.mailboxId], message);
  await bed.store.deliver([bed.user.mailboxId], sampleMessage('Ordonnance'));
});
after(async () => {
  await bed.close();
});

/** curl must run asynchronously: the server lives in this process. */
async function curl(path: string, ...extra: string[]): Promise<string> {
  const { stdout } = await run('curl', [
    '--silent', '--show-error', '--ssl-reqd', '--cacert', bed.caFile, '--max-time', '10',
    '--user', `${bed.user.login}:${bed.user.password}`, ...extra, `imap://127.0.0.1:${bed.port}${path}`,
  ], { encoding: 'buffer' });
  return stdout.toString('utf8');
}

test('curl lists folders and messages, and fetches a message by UID', { skip: !hasCurl && 'curl is not installed' }, async () => {
  const folders = await curl('/');
  assert.match(folders, /^\* LIST \(\\HasNoChildren\) "\/" "INBOX"\r\n/);
  assert.match(folders, /\* LIST \(\\HasNoChildren \\Sent\) "\/" "Sent"\r\n/);
  assert.equal(await curl('/INBOX?ALL'), '* SEARCH 1 2\r\n');
  assert.equal(await curl('/INBOX', '--request', 'UID SEARCH SUBJECT ordonnance'), '* SEARCH 2\r\n');
  const fetched = await curl('/INBOX;UID=1');
  assert.equal(fetched, message.toString('utf8'));
});

test('curl without the password is refused', { skip: !hasCurl && 'curl is not installed' }, async () => {
  await assert.rejects(run('curl', [
    '--silent', '--show-error', '--ssl-reqd', '--cacert', bed.caFile, '--max-time', '10',
    '--user', `${bed.user.login}:wrong password`, `imap://127.0.0.1:${bed.port}/INBOX?ALL`,
  ]), /Login denied|67/);
});
