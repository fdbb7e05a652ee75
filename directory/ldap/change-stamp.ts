/**
 * Whether a SQLite database in WAL mode has changed, read synchronously in about a
 * microsecond: the header of its WAL index (the `-shm` file that every connection to
 * the database, in any process, maps and updates on each commit). Asking SQLite itself
 * (`PRAGMA data_version`) would be one more trip through node-sqlite3's thread pool,
 * which is what the answer cache exists to avoid.
 *
 * The header's layout is SQLite's documented WAL-index format
 * (https://sqlite.org/walformat.html §2.1), shared by every SQLite version that can
 * open the file: two copies of 48 bytes — format version 3007000, a transaction
 * counter, the number of committed frames, the WAL's salts and checksums. A writer
 * updates the second copy, then the first; every commit changes them, and so does a
 * restart of the WAL after a checkpoint (new salts). Two equal copies are a stable
 * state; unequal copies (a commit in progress), or a header that is not initialised,
 * count as a change.
 *
 * The `-shm` file stays the same file while the stamp is open: it is opened only after
 * the read-only connections of sql-reader.ts have read the database (so they hold it
 * mapped), and SQLite deletes it only when it is the last connection to the database,
 * which it cannot be while those are open.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const HEADER_BYTES = 48;
const WAL_INDEX_VERSION = 3007000;

export interface ChangeStamp {
  /**
   * The current state of the database: a new value after every commit, `undefined` when
   * it cannot be read or a commit is in progress. The buffer is reused by the next call.
   */
  read(): Buffer | undefined;
  close(): void;
}

/** The stamp of this SQLite file in WAL mode, or `undefined` when it has no WAL index to read. */
export function openWalChangeStamp(databaseFile: string): ChangeStamp | undefined {
  let fd: number;
  try {
    fd = openSync(`${databaseFile}-shm`, 'r');
  } catch {
    return undefined;
  }
  const stamp = new WalIndexStamp(fd);
  if (stamp.read() === undefined) {
    stamp.close();
    return undefined;
  }
  return stamp;
}

class WalIndexStamp implements ChangeStamp {
  private readonly both = Buffer.alloc(2 * HEADER_BYTES);
  private readonly first = this.both.subarray(0, HEADER_BYTES);
  private readonly second = this.both.subarray(HEADER_BYTES);
  private fd: number | undefined;

  constructor(fd: number) {
    this.fd = fd;
  }

  read(): Buffer | undefined {
    if (this.fd === undefined) return undefined;
    let length: number;
    try {
      length = readSync(this.fd, this.both, 0, this.both.length, 0);
    } catch {
      return undefined;
    }
    if (length < this.both.length) return undefined;
    // iVersion (native byte order, as SQLite writes it), then isInit at byte 12.
    const version = this.first.readUInt32LE(0) === WAL_INDEX_VERSION || this.first.readUInt32BE(0) === WAL_INDEX_VERSION;
    if (!version || this.first[12] !== 1 || !this.first.equals(this.second)) return undefined;
    return this.first;
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}
