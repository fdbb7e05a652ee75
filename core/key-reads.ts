/**
 * Reads by key outside any transaction (an address, a box by id, a folder by name; also
 * the lifecycle's batches of notices, read ahead of their bookkeeping): on a
 * SQLite file they run on a read-only connection of their own (core/sqlite-readers.ts),
 * statements kept prepared, so that they neither queue behind the application's one
 * knex connection (a writer's transaction holds it) nor pay knex's per-query overhead;
 * elsewhere (PostgreSQL) through knex's pool. Each sees the last committed state, as a
 * read through knex's pool does. The SQL given here is written once for both engines
 * (`?` placeholders, standard SQL).
 */
import type { Knex } from 'knex';
import { databaseKind } from './database.js';
import { ReadOnlySqlite } from './sqlite-readers.js';

export interface KeyReads {
  rows<T>(sql: string, params: readonly unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** Read-only connections on a SQLite file, knex's pool otherwise. */
export function openKeyReads(db: Knex): KeyReads {
  const filename = sqliteFileOf(db);
  if (!filename) return knexKeyReads(db);
  const connections = ReadOnlySqlite.open(filename, 1);
  connections.catch(() => undefined); // a failure to open is reported by the first read
  return {
    rows: async (sql, params) => (await connections).all(sql, params),
    close: async () => { await (await connections.catch(() => undefined))?.close(); },
  };
}

/** The same reads through knex's pool (no connection of their own to close). */
export function knexKeyReads(db: Knex): KeyReads {
  return { rows: (sql, params) => rawRows(db, sql, params), close: async () => {} };
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

