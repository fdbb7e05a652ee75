/**
 * How the LDAP read model runs its SQL. On SQLite it opens its own read-only connections
 * to the database file (core/sqlite-readers.ts), statements kept prepared, off the
 * application's one knex connection; on PostgreSQL the queries go through knex's pool.
 *
 * (An inline better-sqlite3 connection served the reads by key for a while, 2.5 times
 * cheaper per lookup, until it turned out that two copies of SQLite in one process do not
 * see each other's locks: see core/sqlite-readers.ts.)
 */
import type { Knex } from 'knex';
import { databaseKind } from '../../core/database.js';
import { rawRows, sqliteFileOf } from '../../core/key-reads.js';
import { ReadOnlySqlite } from '../../core/sqlite-readers.js';
import { openWalChangeStamp, type ChangeStamp } from './change-stamp.js';

export type SqlDialect = 'sqlite' | 'postgres';

export interface SqlReader {
  readonly dialect: SqlDialect;
  all<T>(sql: string, params: readonly unknown[]): Promise<T[]>;
  /** What tells, without a query, that the database changed (SQLite files only). */
  openChangeStamp(): ChangeStamp | undefined;
  close(): Promise<void>;
}

/** Read-only connections: two let reads overlap. */
const READERS = 2;

export async function openSqlReader(db: Knex): Promise<SqlReader> {
  const filename = sqliteFileOf(db);
  if (filename) return new SqliteReader(filename, await ReadOnlySqlite.open(filename, READERS));
  return new KnexReader(db, databaseKind(db));
}

class SqliteReader implements SqlReader {
  readonly dialect = 'sqlite';

  constructor(private readonly filename: string, private readonly connections: ReadOnlySqlite) {}

  all<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
    return this.connections.all<T>(sql, params);
  }

  openChangeStamp(): ChangeStamp | undefined {
    return openWalChangeStamp(this.filename);
  }

  close(): Promise<void> {
    return this.connections.close();
  }
}

class KnexReader implements SqlReader {
  constructor(private readonly db: Knex, readonly dialect: SqlDialect) {}

  all<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
    return rawRows<T>(this.db, sql, params);
  }

  openChangeStamp(): undefined {
    return undefined; // PostgreSQL (or an in-memory SQLite database): no cache of answers
  }

  async close(): Promise<void> { /* the pool belongs to the application */ }
}
