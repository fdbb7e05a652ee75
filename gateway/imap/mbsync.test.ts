/**
 * mbsync (isync), a real synchronising client nobody here wrote: it mirrors the box into a
 * local Maildir and back, with flags, new messages on both sides and expunges, using
 * UIDPLUS, UIDNEXT and UIDVALIDITY the way a sync tool depends on them. Runs when
 * `mbsync` is installed (Debian package isync).
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { sampleMessage, startTestBed, type ImapTestBed } from './testing.js';

const run = promisify(execFile);
const hasMbsync = spawnSync('mbsync', ['--version']).status === 0;
let bed: ImapTestBed;
let dir: string;

before(async () => {
  bed = await startTestBed();
  dir = mkdtempSync(path.join(os.tmpdir(), 'hygie-mbsync-'));
  mkdirSync(path.join(dir, 'mail'));
  await bed.store.deliver([bed.user.mailboxId], sampleMessage('Premier compte rendu'));
  await bed.store.deliver([bed.user.mailboxId], sampleMessage('Second compte rendu'));
});
after(async () => {
  await bed.close();
  rmSync(dir, { recursive: true, force: true });
});

function config(): string {
  const file = path.join(dir, 'mbsyncrc');
  writeFileSync(file, [
    'IMAPAccount hygie',
    'Host localhost', // the certificate names localhost (mbsync checks DNS names, not IP addresses)
    `Port ${bed.port}`,
    `User ${bed.user.login}`,
    `Pass "${bed.user.password}"`,
    'SSLType STARTTLS',
    `CertificateFile ${bed.caFile}`,
    'AuthMechs LOGIN',
    '',
    'IMAPStore remote',
    'Account hygie',
    '',
    'MaildirStore local',
    `Path ${path.join(dir, 'mail')}/`,
    `Inbox ${path.join(dir, 'mail', 'INBOX')}`,
    'SubFolders Verbatim',
    '',
    'Channel box',
    'Far :remote:',
    'Near :local:',
    'Patterns INBOX Archive',
    'Create Both',
    'Expunge Both',
    'SyncState *',
    '',
  ].join('\n'));
  return file;
}

async function sync(): Promise<void> {
  await run('mbsync', ['-c', config(), '-a', '-q'], { timeout: 30_000 });
}

function local(folder: string): string[] {
  const base = path.join(dir, 'mail', folder);
  return ['cur', 'new'].flatMap((sub) => readdirSync(path.join(base, sub)).map((name) => path.join(base, sub, name)));
}

test('mbsync mirrors the box both ways: messages, flags, new mail on either side, expunges', { skip: !hasMbsync && 'mbsync (isync) is not installed' }, async () => {
  await sync();
  assert.equal(local('INBOX').length, 2);
  assert.equal(local('Archive').length, 0);

  // Locally: read one message, write a new one. On the server: a new delivery.
  const first = local('INBOX').sort()[0]!;
  renameSync(first, first.replace(/\/new\//, '/cur/').replace(/(:2,[A-Z]*)?$/, ':2,S'));
  writeFileSync(path.join(dir, 'mail', 'INBOX', 'new', `${Date.now()}.local.hygie`), 'Subject: écrit hors ligne\r\nFrom: me@example.test\r\n\r\nBrouillon.\r\n');
  await bed.store.deliver([bed.user.mailboxId], sampleMessage('Troisième, arrivé entre-temps'));
  await sync();

  const inbox = (await bed.store.getFolder(bed.user.mailboxId, 'INBOX'))!;
  const remote = await bed.store.listMessages(inbox.id);
  assert.deepEqual(remote.map((m) => m.subject).sort(), ['Premier compte rendu', 'Second compte rendu', 'Troisième, arrivé entre-temps', 'écrit hors ligne'].sort());
  assert.equal(remote.filter((m) => m.flags.includes('\\Seen')).length, 1);
  assert.equal(local('INBOX').length, 4);

  // Deleted on the server: gone locally after the next sync; deleted locally: expunged on the server.
  const gone = remote.find((m) => m.subject === 'Second compte rendu')!;
  await bed.store.expunge(inbox.id, [gone.uid]);
  await sync();
  assert.equal(local('INBOX').length, 3);
  const victim = local('INBOX').sort()[0]!;
  renameSync(victim, victim.replace(/:2,([A-Z]*)$/, (_, flags: string) => `:2,${[...new Set([...flags, 'T'])].sort().join('')}`));
  await sync();
  assert.equal((await bed.store.listMessages(inbox.id)).length, 2);
  assert.equal(local('INBOX').length, 2);
});
