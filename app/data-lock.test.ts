import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { CLI } from '../conformance-tests/harness.js';
import { LOCK_FILE, lockDataFolder } from './data-lock.js';

const dirs: string[] = [];
const freshDir = (): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hygie-lock-'));
  dirs.push(dir);
  return dir;
};
after(() => { for (const dir of dirs) rmSync(dir, { recursive: true, force: true }); });

test('a data folder served by a live process is refused; released, it can be taken again', () => {
  const dir = freshDir();
  const lock = lockDataFolder(dir);
  assert.equal(readFileSync(path.join(dir, LOCK_FILE), 'utf8').trim(), String(process.pid));
  assert.throws(() => lockDataFolder(dir), new RegExp(`already served by hygie start \\(process ${process.pid}\\)`));
  lock.release();
  assert.equal(existsSync(path.join(dir, LOCK_FILE)), false);
  lockDataFolder(dir).release();
});

test('a lock left by a process that is gone (killed, crashed) is taken over', () => {
  const dir = freshDir();
  const gone = spawnSync(process.execPath, ['-e', '']);
  assert.equal(gone.status, 0);
  writeFileSync(path.join(dir, LOCK_FILE), `${gone.pid}\n`);
  const lock = lockDataFolder(dir);
  assert.equal(readFileSync(path.join(dir, LOCK_FILE), 'utf8').trim(), String(process.pid));
  lock.release();
});

test('hygie start on a data folder already served stops at once, saying by which process', () => {
  const dir = freshDir();
  const lock = lockDataFolder(dir);
  try {
    const free = { HYGIE_SMTP_MX_PORT: '0', HYGIE_SMTP_SUBMISSION_PORT: '0', HYGIE_IMAP_PORT: '0', HYGIE_LDAP_PORT: '0', HYGIE_WEBMAIL_PORT: '0', HYGIE_API_PORT: '0' };
    const r = spawnSync(process.execPath, [CLI, 'start'], { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH ?? '', HYGIE_SERVER_DATA_DIR: dir, ...free } });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`hygie: the data folder .* is already served by hygie start \\(process ${process.pid}\\)`));
    assert.equal(existsSync(path.join(dir, 'hygie.sqlite')), false, 'nothing opened');
  } finally {
    lock.release();
  }
});
