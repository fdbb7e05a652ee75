/**
 * Python's imaplib (standard library, nobody here wrote it) as an independent client:
 * STARTTLS, LOGIN, LIST, NAMESPACE, STATUS, APPEND, SELECT, SEARCH with CHARSET UTF-8,
 * FETCH, STORE, COPY, MYRIGHTS, GETQUOTAROOT, EXPUNGE, CLOSE — run when python3 is there.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sampleMessage, startTestBed, type ImapTestBed } from './testing.js';

const run = promisify(execFile);
const hasPython = spawnSync('python3', ['-c', 'import imaplib, ssl']).status === 0;
// The script lives with the sources (it is not compiled): dist/gateway/imap → gateway/imap/clients.
const SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../gateway/imap/clients/imaplib_session.py');
let bed: ImapTestBed;

before(async () => {
  bed = await startTestBed();
  await bed.store.deliver([bed.user.mailboxId], sampleMessage('Résultats d’analyses', 'Les résultats sont normaux.\r\n'));
  await bed.store.deliver([bed.user.mailboxId], sampleMessage('À supprimer'));
});
after(async () => bed.close());

test('Python imaplib runs a whole session', { skip: !hasPython && 'python3 is not installed' }, async () => {
  const { stdout } = await run('python3', [SCRIPT, bed.host, String(bed.port), bed.caFile, bed.user.login, bed.user.password], { timeout: 30_000 });
  const out = JSON.parse(stdout) as Record<string, unknown>;
  assert.equal(out.starttls, 'OK');
  assert.equal(out.login, 'OK');
  for (const capability of ['CONDSTORE', 'QRESYNC', 'ACL', 'QUOTA', 'ESEARCH', 'LIST-STATUS', 'MOVE', 'UIDPLUS']) {
    assert.ok((out.capabilities as string[]).includes(capability), capability);
  }
  assert.ok((out.list as string[]).includes('(\\HasNoChildren \\Sent) "/" "Sent"'));
  assert.deepEqual(out.namespace, ['(("" "/")) NIL (("Partag&AOk-s/" "/"))']);
  assert.deepEqual(out.status, ['"INBOX" (MESSAGES 2 UNSEEN 2 UIDNEXT 3)']);
  assert.match((out.append as string[][])[1]![0]!, /^\[APPENDUID \d+ 1\] APPEND completed$/);
  assert.equal(out.select, 'OK');
  assert.deepEqual(out.search, ['1']);
  assert.deepEqual(out.uid_search, ['1 2']);
  const fetched = out.fetch as Array<string | string[]>;
  assert.match((fetched[0] as string[])[0]!, /^1 \(UID 1 FLAGS \(\) RFC822.SIZE \d+ BODY\[HEADER.FIELDS \(SUBJECT\)\] \{\d+\}$/);
  assert.match((fetched[0] as string[])[1]!, /^Subject: =\?UTF-8\?B\?/);
  assert.deepEqual(out.store, ['1 (FLAGS (\\Flagged))']);
  assert.equal(out.copy, 'OK');
  assert.deepEqual(out.myrights, ['"INBOX" lrswipkxtea']);
  assert.match((out.getquotaroot as string[])[0]!, /^"" \(STORAGE \d+ 2097152\)$/);
  assert.deepEqual(out.expunge, ['2']);
  assert.equal(out.close, 'OK');
  assert.equal(out.logout, 'BYE');
});
