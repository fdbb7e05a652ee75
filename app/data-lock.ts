/**
 * One `hygie start` per data folder. Two would share its SQLite file with separate group
 * commits, caches and queue runners, each delivering the other's queue. The lock is a
 * file holding the process id, created exclusively; one left by a process that is gone
 * (killed, crashed) is taken over. Commands such as `hygie mailbox create` take no lock:
 * they are meant to run beside the operator.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { HygieError } from '../core/errors.js';

export interface DataFolderLock {
  release(): void;
}

export const LOCK_FILE = 'hygie.pid';

export function lockDataFolder(dataDir: string): DataFolderLock {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = ownerOf(file);
      if (owner !== undefined && isRunning(owner)) {
        throw new HygieError('CONFIG_INVALID', `the data folder ${dataDir} is already served by hygie start (process ${owner}): stop that one first, or give this one its own server.dataDir`);
      }
      removeIfPresent(file); // left by a process that is gone
      continue;
    }
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return { release: () => { if (ownerOf(file) === process.pid) removeIfPresent(file); } };
  }
  throw new HygieError('CONFIG_INVALID', `the data folder ${dataDir} could not be locked: another start took it at the same moment`);
}

function ownerOf(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Signal 0 checks that the process exists; EPERM means it does, under another user. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removeIfPresent(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
