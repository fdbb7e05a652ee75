/**
 * Read-only connections to a SQLite file, on node-sqlite3 (the process's one copy of
 * SQLite: a second copy, such as better-sqlite3's, would not see this one's locks, and its
 * checkpoints could change pages under a reader's feet), each keeping its statements
 * prepared. WAL mode lets them read beside the application's writer; each statement sees
 * the last committed state. Measured on this code base: a query through knex costs about
 * 140 µs (pool, query object, promise chain), the same prepared statement here about 15 µs.
 */
import sqlite3 from 'sqlite3';
import { SQLITE_BUSY_TIMEOUT_MS } from './database.js';
import { STATEMENTS_KEPT } from './sqlite-client.js';

/** Most of the database file a read-only connection maps (address space: the pages are the OS's file cache). */
export const READ_MMAP_BYTES = 4 * 1024 ** 3;

/**
 * A few read-only connections, each running one statement at a time. One connection
 * shared by concurrent statements makes node-sqlite3's worker threads queue on its
 * mutex, and on a loaded machine a thread preempted while holding it stalls the others
 * (measured: 20 ms per exact lookup instead of 0.1 ms); a queue in front of each
 * connection avoids that, and two of them let reads overlap.
 */
export class ReadOnlySqlite {
  private readonly idle: SqliteConnection[];
  private readonly waiting: Array<(connection: SqliteConnection) => void> = [];

  private constructor(private readonly connections: readonly SqliteConnection[]) {
    this.idle = [...connections];
  }

  static async open(filename: string, size: number): Promise<ReadOnlySqlite> {
    const connections = await Promise.all(Array.from({ length: size }, () => SqliteConnection.open(filename)));
    // A first read maps the WAL index, and each connection keeps it until it closes (see directory/ldap/change-stamp.ts).
    await Promise.all(connections.map((c) => c.all('SELECT 1 FROM sqlite_master LIMIT 1', [])));
    return new ReadOnlySqlite(connections);
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
    await Promise.all(this.connections.map((c) => c.close()));
  }
}

/** One read-only connection and its prepared statements. */
class SqliteConnection {
  private readonly statements = new Map<string, Promise<sqlite3.Statement>>();

  private constructor(private readonly connection: sqlite3.Database) {}

  static open(filename: string): Promise<SqliteConnection> {
    return new Promise((resolve, reject) => {
      const connection = new sqlite3.Database(filename, sqlite3.OPEN_READONLY, (error) => {
        if (error) return reject(error);
        connection.configure('busyTimeout', SQLITE_BUSY_TIMEOUT_MS);
        // Pages read through a memory map rather than a read() each: an exact lookup touches
        // a dozen pages, mostly outside this connection's page cache on a national directory.
        connection.exec(`PRAGMA mmap_size = ${READ_MMAP_BYTES}`, (pragmaError) => (pragmaError ? reject(pragmaError) : resolve(new SqliteConnection(connection))));
      });
    });
  }

  async all<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
    const statement = await this.statement(sql);
    return new Promise((resolve, reject) => {
      statement.all(params as unknown[], (error: Error | null, rows: T[]) => {
        if (!error) return resolve(rows);
        this.forget(sql, statement);
        reject(error);
      });
    });
  }

  /**
   * The statement once prepared. node-sqlite3 reports a failed prepare (a syntax error, or
   * SQLITE_BUSY while the writer changes the WAL index) only to the prepare's callback and
   * silently drops the calls queued on that statement: a read issued before the prepare
   * is known to have succeeded would never be answered.
   */
  private statement(sql: string): Promise<sqlite3.Statement> {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= STATEMENTS_KEPT) this.evictOldest();
      statement = new Promise<sqlite3.Statement>((resolve, reject) => {
        const made = this.connection.prepare(sql, (error) => (error ? reject(error) : resolve(made)));
      });
      this.statements.set(sql, statement);
      statement.catch(() => { if (this.statements.get(sql) === statement) this.statements.delete(sql); });
    }
    return statement;
  }

  private forget(sql: string, statement: sqlite3.Statement): void {
    void this.statements.get(sql)?.then((kept) => {
      if (kept !== statement) return;
      this.statements.delete(sql);
      statement.finalize();
    }, () => undefined);
  }

  async close(): Promise<void> {
    const statements = [...this.statements.values()];
    this.statements.clear();
    await Promise.all(statements.map((p) => p.then((s) => new Promise<void>((resolve) => s.finalize(() => resolve())), () => undefined)));
    await new Promise<void>((resolve, reject) => this.connection.close((error) => (error ? reject(error) : resolve())));
  }

  private evictOldest(): void {
    const [sql, statement] = this.statements.entries().next().value as [string, Promise<sqlite3.Statement>];
    this.statements.delete(sql);
    void statement.then((s) => s.finalize(), () => undefined);
  }
}
