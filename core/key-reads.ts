/**
 * Reads by key outside any transaction (an address, a box by id, a folder by name): on a
 * SQLite file they run inline, on a read-only better-sqlite3 connection; elsewhere
 * (PostgreSQL, an in-memory SQLite) through knex. Each sees the last committed state, as
 * a read through knex's pool does.
 *
 * Why inline: through node-sqlite3, a statement is handed to libuv's thread pool and its
 * answer comes back on the event loop. Measured in the relay bench on a 2-core VM, that
 * hand-off alone took 104–162 µs of the event loop per statement (the woken pool thread
 * preempts it), more than such a read costs done in place (5–30 µs). Writes stay on
 * node-sqlite3: a write may wait for another process's lock, which must not block the
 * event loop. The SQL given here is written once for both engines (`?` placeholders,
 * standard SQL).
 */
import Database from 'better-sqlite3';
import type { Knex } from 'knex';
import { databaseKind } from './database.js';
import { STATEMENTS_KEPT } from './sqlite-client.js';

export interface KeyReads {
  rows<T>(sql: string, params: readonly unknown[]): Promise<T[]>;
  close(): void;
}

/** Most of the database file an inline connection maps (address space: the pages are the OS's file cache). */
export const READ_MMAP_BYTES = 4 * 1024 ** 3;

/** Inline reads on a SQLite file, knex's pool otherwise. */
export function openKeyReads(db: Knex): KeyReads {
  const filename = sqliteFileOf(db);
  if (filename) {
    const connection = InlineSqliteConnection.open(filename);
    return { rows: async (sql, params) => connection.read(sql, params), close: () => connection.close() };
  }
  return knexKeyReads(db);
}

/** The same reads through knex's pool (no connection of their own to close). */
export function knexKeyReads(db: Knex): KeyReads {
  return { rows: (sql, params) => rawRows(db, sql, params), close: () => {} };
}

/** The file of a SQLite database (not an in-memory one), or undefined. */
export function sqliteFileOf(db: Knex): string | undefined {
  if (databaseKind(db) !== 'sqlite') return undefined;
  const filename = (db.client.config.connection as { filename?: string } | undefined)?.filename;
  return filename && filename !== ':memory:' ? filename : undefined;
}

/** A raw statement through knex, its rows whatever the engine. */
export async function rawRows<T>(db: Knex, sql: string, params: readonly unknown[]): Promise<T[]> {
  const result = await db.raw(sql, params as Knex.RawBinding[]);
  return (databaseKind(db) === 'postgres' ? (result as { rows: T[] }).rows : result) as T[];
}

/**
 * One read-only better-sqlite3 connection: statements run synchronously on the calling
 * thread. Numbered placeholders (`?1`, which better-sqlite3 does not bind from an array)
 * become named ones; booleans are bound as 1 and 0, as node-sqlite3 does.
 */
export class InlineSqliteConnection {
  private readonly statements = new Map<string, { statement: Database.Statement; numbered: boolean }>();

  private constructor(private readonly connection: Database.Database) {}

  static open(filename: string): InlineSqliteConnection {
    const connection = new Database(filename, { readonly: true, fileMustExist: true, timeout: 5000 });
    connection.pragma(`mmap_size = ${READ_MMAP_BYTES}`);
    return new InlineSqliteConnection(connection);
  }

  read<T>(sql: string, params: readonly unknown[]): T[] {
    let prepared = this.statements.get(sql);
    if (!prepared) {
      if (this.statements.size >= STATEMENTS_KEPT) this.statements.delete(this.statements.keys().next().value!);
      const numbered = /\?\d/.test(sql);
      prepared = { statement: this.connection.prepare(numbered ? sql.replace(/\?(\d+)/g, '@p$1') : sql), numbered };
      this.statements.set(sql, prepared);
    }
    const values = params.map(bindable);
    if (!prepared.numbered) return prepared.statement.all(...values) as T[];
    const named: Record<string, unknown> = {};
    values.forEach((value, i) => { named[`p${i + 1}`] = value; });
    return prepared.statement.all(named) as T[];
  }

  close(): void {
    this.statements.clear();
    if (this.connection.open) this.connection.close();
  }
}

function bindable(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value === undefined ? null : value;
}
