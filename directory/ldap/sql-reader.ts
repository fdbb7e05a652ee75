/**
 * How the LDAP read model runs its SQL. On SQLite it opens its own read-only
 * connections to the database file and keeps their statements prepared: measured on
 * this code base, a query through knex costs about 140 µs (pool, query object, promise
 * chain) and the same prepared statement on its own connection about 15 µs. WAL mode
 * lets these readers run beside the application's writer, and each statement sees the
 * last committed state (an unpublished box vanishes from the next search). On
 * PostgreSQL (or an in-memory SQLite) the queries go through knex's pool.
 *
 * Two kinds of reads: `all` may scan (text index, LIKE) and runs on node-sqlite3's
 * thread pool, off the event loop; `read` fetches by unique keys or by ids, bounded
 * work, and runs inline on a better-sqlite3 connection. The trip through the thread
 * pool costs more than such a read itself (measured on the 100 000-entry bench
 * directory: an exact lookup's statement 245 µs of CPU through node-sqlite3, 97 µs on
 * better-sqlite3; a trivial statement 42 µs and 5.6 µs).
 */
import type { Knex } from 'knex';
import sqlite3 from 'sqlite3';
import { databaseKind } from '../../core/database.js';
import { InlineSqliteConnection, rawRows, READ_MMAP_BYTES, sqliteFileOf } from '../../core/key-reads.js';
import { STATEMENTS_KEPT } from '../../core/sqlite-client.js';
import { openWalChangeStamp, type ChangeStamp } from './change-stamp.js';

export type SqlDialect = 'sqlite' | 'postgres';

export interface SqlReader {
  readonly dialect: SqlDialect;
  /** A statement that may scan: run off the event loop where the driver allows. */
  all<T>(sql: string, params: readonly unknown[]): Promise<T[]>;
  /** A statement reading by unique keys or listed ids (bounded work): run inline where the driver allows. */
  read<T>(sql: string, params: readonly unknown[]): Promise<T[]>;
  /** What tells, without a query, that the database changed (SQLite files only). */
  openChangeStamp(): ChangeStamp | undefined;
  close(): Promise<void>;
}

/** Read-only node-sqlite3 connections (for statements that may scan). */
const READERS = 2;

export async function openSqlReader(db: Knex): Promise<SqlReader> {
  const filename = sqliteFileOf(db);
  if (filename) return SqliteReader.open(filename, READERS);
  return new KnexReader(db, databaseKind(db));
}

/**
 * A few read-only connections, each running one statement at a time. One connection
 * shared by concurrent statements makes node-sqlite3's worker threads queue on its
 * mutex, and on a loaded machine a thread preempted while holding it stalls the others
 * (measured: 20 ms per exact lookup instead of 0.1 ms); a queue in front of each
 * connection avoids that, and two of them let reads overlap.
 */
class SqliteReader implements SqlReader {
  readonly dialect = 'sqlite';
  private readonly idle: SqliteConnection[];
  private readonly waiting: Array<(connection: SqliteConnection) => void> = [];

  private constructor(private readonly filename: string, private readonly connections: readonly SqliteConnection[], private readonly inline: InlineSqliteConnection) {
    this.idle = [...connections];
  }

  static async open(filename: string, size: number): Promise<SqliteReader> {
    const connections = await Promise.all(Array.from({ length: size }, () => SqliteConnection.open(filename)));
    const inline = InlineSqliteConnection.open(filename);
    // A first read maps the WAL index, and each connection keeps it until it closes (see change-stamp.ts).
    await Promise.all(connections.map((c) => c.all('SELECT 1 FROM sqlite_master LIMIT 1', [])));
    inline.read('SELECT 1 FROM sqlite_master LIMIT 1', []);
    return new SqliteReader(filename, connections, inline);
  }

  async read<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
    return this.inline.read<T>(sql, params);
  }

  openChangeStamp(): ChangeStamp | undefined {
    return openWalChangeStamp(this.filename);
  }

  async all<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
    const connection = this.idle.pop() ?? await new Promise<SqliteConnection>((resolve) => this.waiting.push(resolve));
    try {
      return await connection.all<T>(sql, params);
    } finally {
      const next = this.waiting.shift();
      if (next) next(connection);
      else this.idle.push(connection);
    }
  }

  async close(): Promise<void> {
    this.inline.close();
    await Promise.all(this.connections.map((c) => c.close()));
  }
}

/** One read-only connection and its prepared statements. */
class SqliteConnection {
  private readonly statements = new Map<string, sqlite3.Statement>();

  private constructor(private readonly connection: sqlite3.Database) {}

  static open(filename: string): Promise<SqliteConnection> {
    return new Promise((resolve, reject) => {
      const connection = new sqlite3.Database(filename, sqlite3.OPEN_READONLY, (error) => {
        if (error) return reject(error);
        connection.configure('busyTimeout', 5000);
        // Pages read through a memory map rather than a read() each: an exact lookup touches
        // a dozen pages, mostly outside this connection's page cache on a national directory.
        connection.exec(`PRAGMA mmap_size = ${READ_MMAP_BYTES}`, (pragmaError) => (pragmaError ? reject(pragmaError) : resolve(new SqliteConnection(connection))));
      });
    });
  }

  all<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= STATEMENTS_KEPT) this.evictOldest();
      // Without a callback, a statement that fails to prepare is an 'error' event nobody listens to: a crash.
      statement = this.connection.prepare(sql, () => { /* its error reaches the all() below */ });
      this.statements.set(sql, statement);
    }
    const prepared = statement;
    return new Promise((resolve, reject) => {
      prepared.all(params as unknown[], (error: Error | null, rows: T[]) => {
        if (!error) return resolve(rows);
        if (this.statements.get(sql) === prepared) this.statements.delete(sql);
        reject(error);
      });
    });
  }

  close(): Promise<void> {
    for (const statement of this.statements.values()) statement.finalize();
    this.statements.clear();
    return new Promise((resolve, reject) => this.connection.close((error) => (error ? reject(error) : resolve())));
  }

  private evictOldest(): void {
    const [sql, statement] = this.statements.entries().next().value as [string, sqlite3.Statement];
    statement.finalize();
    this.statements.delete(sql);
  }
}

class KnexReader implements SqlReader {
  constructor(private readonly db: Knex, readonly dialect: SqlDialect) {}

  all<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
    return rawRows<T>(this.db, sql, params);
  }

  read<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
    return this.all<T>(sql, params);
  }

  openChangeStamp(): undefined {
    return undefined; // PostgreSQL (or an in-memory SQLite database): no cache of answers
  }

  async close(): Promise<void> { /* the pool belongs to the application */ }
}
