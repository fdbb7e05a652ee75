/**
 * knex's SQLite client, with each connection's prepared statements kept and reused.
 *
 * knex's own client prepares every query anew and finalizes it as soon as it has run.
 * Preparing costs the database thread (SQLite's one writer: the serial resource of the
 * whole gateway), and the finalization runs on the main thread under the connection's
 * mutex, so it waits for whatever the database thread runs at that moment — often the
 * next query's commit and its fsync. A kept statement is bound, run and reset on the
 * database thread only.
 */
import { createRequire } from 'node:module';
import type { Knex } from 'knex';

const require = createRequire(import.meta.url);
const KnexSqliteClient = require('knex/lib/dialects/sqlite3/index.js') as new (config: Knex.Config) => KnexSqliteClientShape;

/** Distinct statements kept per connection; the least recently used is finalized beyond. */
export const STATEMENTS_KEPT = 256;

interface KnexSqliteClientShape {
  driver: { Statement: new (db: SqliteDatabase, sql: string, callback: (error: Error | null) => void) => SqliteStatement };
  _query(connection: SqliteDatabase, query: KnexQuery): Promise<KnexQuery>;
  destroyRawConnection(connection: SqliteDatabase): Promise<void>;
}

interface SqliteDatabase {
  close(callback: (error: Error | null) => void): void;
}

interface SqliteStatement {
  run(params: readonly unknown[], callback: (this: SqliteStatement, error: Error | null) => void): void;
  all(params: readonly unknown[], callback: (this: SqliteStatement, error: Error | null, rows: unknown[]) => void): void;
  finalize(callback?: () => void): void;
}

interface KnexQuery {
  sql?: string;
  bindings?: readonly unknown[];
  method?: string;
  returning?: unknown;
  response?: unknown;
  context?: unknown;
}

/** A connection's statements, most recently used last. */
class StatementCache {
  private readonly statements = new Map<string, Promise<SqliteStatement>>();

  constructor(private readonly driver: KnexSqliteClientShape['driver'], private readonly db: SqliteDatabase) {}

  get(sql: string): Promise<SqliteStatement> {
    let statement = this.statements.get(sql);
    if (statement) {
      this.statements.delete(sql);
    } else {
      statement = this.prepare(sql);
      statement.catch(() => this.statements.delete(sql));
      if (this.statements.size >= STATEMENTS_KEPT) this.evictOldest();
    }
    this.statements.set(sql, statement);
    return statement;
  }

  /** Forgets a statement whose run failed: a failure may come from a schema it no longer fits. */
  forget(sql: string): void {
    const statement = this.statements.get(sql);
    this.statements.delete(sql);
    void statement?.then((s) => s.finalize(), () => undefined);
  }

  /** Finalizes every statement (SQLite refuses to close a connection that still has some). */
  async finalizeAll(): Promise<void> {
    const statements = [...this.statements.values()];
    this.statements.clear();
    await Promise.all(statements.map((p) => p.then((s) => new Promise<void>((resolve) => s.finalize(resolve)), () => undefined)));
  }

  private prepare(sql: string): Promise<SqliteStatement> {
    return new Promise((resolve, reject) => {
      const statement = new this.driver.Statement(this.db, sql, (error) => (error ? reject(error) : resolve(statement)));
    });
  }

  private evictOldest(): void {
    const oldest = this.statements.keys().next();
    if (!oldest.done) this.forget(oldest.value);
  }
}

/**
 * Per connection, not per client object: knex runs a transaction's queries through a copy
 * of the client made with Object.create, which has none of the instance's own fields.
 */
const caches = new WeakMap<SqliteDatabase, StatementCache>();

/** knex's `_query` for SQLite (same choice of run/all, same response and context), on kept statements. */
export class CachingSqliteClient extends KnexSqliteClient {

  override async _query(connection: SqliteDatabase, query: KnexQuery): Promise<KnexQuery> {
    if (!query.sql) throw new Error('The query is empty');
    const sql = query.sql;
    const cache = this.cacheOf(connection);
    const statement = await cache.get(sql);
    const all = !(query.method === 'counter' || query.method === 'del' || ((query.method === 'insert' || query.method === 'update') && !query.returning));
    return new Promise((resolve, reject) => {
      const done = function (this: SqliteStatement, error: Error | null, rows?: unknown[]): void {
        if (error) {
          cache.forget(sql);
          reject(error);
          return;
        }
        query.response = all ? rows : undefined;
        // knex reads lastID and changes from the statement, as node-sqlite3 sets them there.
        query.context = this;
        resolve(query);
      };
      if (all) statement.all(query.bindings ?? [], done);
      else statement.run(query.bindings ?? [], done);
    });
  }

  override async destroyRawConnection(connection: SqliteDatabase): Promise<void> {
    await caches.get(connection)?.finalizeAll();
    caches.delete(connection);
    await super.destroyRawConnection(connection);
  }

  private cacheOf(connection: SqliteDatabase): StatementCache {
    let cache = caches.get(connection);
    if (!cache) {
      cache = new StatementCache(this.driver, connection);
      caches.set(connection, cache);
    }
    return cache;
  }
}
