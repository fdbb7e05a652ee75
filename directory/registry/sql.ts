/**
 * Raw SQL inside the import's transaction, below knex: the import sends tens of thousands
 * of multi-row statements, and going through the driver directly (prepared statements
 * reused on SQLite, one round trip each on PostgreSQL) is what makes a national file fit
 * in a minute. A statement awaited before the next is issued runs before it; statements
 * issued together (on SQLite, each on its own driver thread, one at a time) run in either
 * order. Each resolves to the number of rows it changed.
 */
import type { Knex } from 'knex';
import { databaseKind } from '../../core/database.js';

export interface SqlRunner {
  readonly engine: 'sqlite' | 'postgres';
  /** `?` placeholders on both engines. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** A parameter holding `value` as a JSON document, for a `jsonText` placeholder. */
  json(value: unknown): JsonParam;
  /** Releases what the runner prepared; call before the transaction ends. */
  close(): Promise<void>;
}

/**
 * Runs `work` in one transaction. On SQLite the transaction gets the connection with
 * foreign key checks off, a larger page cache and in-memory statement journals, all put
 * back after:
 * - the import only writes references it has just looked up by natural key (an existing
 *   id or NULL), so the check per row would verify what the statement itself guarantees,
 *   at a cost per row (SQLite ignores `PRAGMA foreign_keys` inside a transaction, hence
 *   the dedicated connection);
 * - every multi-row upsert inside a transaction keeps the original of each page it
 *   modifies in a statement journal, a temporary file beyond 64 KiB: a 4 KiB write (and
 *   system call) per page per statement, most of the system time of a national import.
 *   `temp_store = MEMORY`, read when the write transaction begins, keeps these journals in
 *   memory (a few hundred pages each, freed at the statement's end). The same setting
 *   would also keep index sorts in memory: the index rebuild (indexes.ts) turns it back
 *   to FILE before sorting.
 */
export async function importTransaction<T>(db: Knex, cacheMiB: number, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  if (databaseKind(db) !== 'sqlite') return db.transaction(work);
  const connection = await db.client.acquireConnection() as SqliteConnection;
  const [{ cache_size: previousCache }] = await sqliteAll<{ cache_size: number }>(connection, 'PRAGMA cache_size');
  const [{ temp_store: previousTempStore }] = await sqliteAll<{ temp_store: number }>(connection, 'PRAGMA temp_store');
  try {
    await sqliteExec(connection, `PRAGMA foreign_keys = OFF; PRAGMA temp_store = MEMORY; PRAGMA cache_size = ${-Math.round(cacheMiB * 1024)}`);
    return await db.transaction(work, { connection });
  } finally {
    await sqliteExec(connection, `PRAGMA foreign_keys = ON; PRAGMA temp_store = ${Number(previousTempStore)}; PRAGMA cache_size = ${Number(previousCache)}`);
    await db.client.releaseConnection(connection);
  }
}

interface SqliteConnection {
  exec(sql: string, callback: (error: Error | null) => void): void;
  all(sql: string, callback: (error: Error | null, rows: unknown[]) => void): void;
}

function sqliteExec(connection: SqliteConnection, sql: string): Promise<void> {
  return new Promise((resolve, reject) => connection.exec(sql, (error) => (error ? reject(error) : resolve())));
}

function sqliteAll<T>(connection: SqliteConnection, sql: string): Promise<[T]> {
  return new Promise((resolve, reject) => connection.all(sql, (error, rows) => (error ? reject(error) : resolve(rows as [T]))));
}

/** The runner over the connection `trx` holds. */
export async function runnerFor(trx: Knex.Transaction): Promise<SqlRunner> {
  const connection: unknown = await trx.client.acquireConnection();
  return databaseKind(trx) === 'postgres'
    ? new PostgresRunner(connection as PgClient)
    : new SqliteRunner(connection as SqliteDatabase);
}

/** A NULL-safe "differs" test, written the way each engine wants it. */
export function differs(engine: SqlRunner['engine'], a: string, b: string): string {
  return engine === 'postgres' ? `${a} IS DISTINCT FROM ${b}` : `${a} IS NOT ${b}`;
}

/** A value to send as JSON, serialised by the runner when the statement is bound. */
export class JsonParam {
  constructor(readonly value: unknown) {}
}

/** The placeholder for a parameter made by `SqlRunner#json`, as JSON text. */
export function jsonText(engine: SqlRunner['engine']): string {
  return engine === 'postgres' ? 'CAST(? AS jsonb)' : 'CAST(? AS TEXT)';
}

/** A subquery over the strings of a JSON array given as one parameter: `x IN (${jsonStrings(engine)})`. */
export function jsonStrings(engine: SqlRunner['engine']): string {
  return engine === 'postgres' ? `SELECT jsonb_array_elements_text(${jsonText(engine)})` : `SELECT value FROM json_each(${jsonText(engine)})`;
}

/** The ids of the rows of `table` whose `key` column holds one of `keys`. */
export async function idsByKey(runner: SqlRunner, table: string, key: string, keys: readonly string[]): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  if (keys.length === 0) return ids;
  const rows = await runner.all<Record<string, unknown>>(`SELECT id, ${key} FROM ${table} WHERE ${key} IN (${jsonStrings(runner.engine)})`, [runner.json(keys)]);
  for (const row of rows) ids.set(row[key] as string, Number(row.id));
  return ids;
}

interface SqliteStatement {
  run(params: readonly unknown[], callback: (this: { changes: number }, error: Error | null) => void): void;
  all(params: readonly unknown[], callback: (error: Error | null, rows: unknown[]) => void): void;
  finalize(callback: (error: Error | null) => void): void;
}

interface SqliteDatabase {
  prepare(sql: string, callback: (error: Error | null) => void): SqliteStatement;
}

interface PgClient {
  query(config: { text: string; values: readonly unknown[] }): Promise<{ rowCount: number | null; rows: unknown[] }>;
}

/** Rows of JSON made into one string at a time: a few kilobytes each. */
const JSON_PIECE = 64;

/**
 * Statements prepared once and reused: parsing a 500-row INSERT costs as much as running
 * it. JSON parameters go to the driver as UTF-8 bytes (it copies a Buffer as is, where it
 * would re-encode a string character by character), written into one scratch buffer that
 * is reused: the driver copies a parameter when the statement is called, so no buffer per
 * statement waits for the garbage collector.
 */
class SqliteRunner implements SqlRunner {
  readonly engine = 'sqlite';
  private readonly prepared = new Map<string, SqliteStatement>();
  private scratch = Buffer.alloc(1 << 20);

  constructor(private readonly db: SqliteDatabase) {}

  private async statement(sql: string): Promise<SqliteStatement> {
    const ready = this.prepared.get(sql);
    if (ready) return ready;
    const statement = await new Promise<SqliteStatement>((resolve, reject) => {
      const made = this.db.prepare(sql, (error) => (error ? reject(error) : resolve(made)));
    });
    this.prepared.set(sql, statement);
    return statement;
  }

  /** Called synchronously right before the driver copies the parameters. The scratch buffer holds one of them. */
  private bind(params: readonly unknown[]): unknown[] {
    let scratchUsed = false;
    return params.map((p) => {
      if (!(p instanceof JsonParam)) return p;
      if (scratchUsed) return Buffer.from(JSON.stringify(p.value), 'utf8');
      scratchUsed = true;
      return this.bytes(p.value);
    });
  }

  private bytes(value: unknown): Buffer {
    let length = 0;
    const write = (text: string): void => {
      const needed = length + Buffer.byteLength(text, 'utf8');
      if (needed > this.scratch.length) {
        const larger = Buffer.alloc(Math.max(needed, this.scratch.length * 2));
        this.scratch.copy(larger, 0, 0, length);
        this.scratch = larger;
      }
      length += this.scratch.write(text, length, 'utf8');
    };
    if (!Array.isArray(value) || value.length <= JSON_PIECE) {
      write(JSON.stringify(value));
      return this.scratch.subarray(0, length);
    }
    // By pieces, so that no single string is large enough for V8's large-object space (see
    // line-reader.ts): each piece "[a,b]" is written over the previous one's closing bracket.
    for (let i = 0; i < value.length; i += JSON_PIECE) {
      const start = length;
      write(JSON.stringify(value.slice(i, i + JSON_PIECE)));
      if (i > 0) this.scratch[start] = 0x2c; // ','
      if (i + JSON_PIECE < value.length) length--; // drop ']' but after the last piece
    }
    return this.scratch.subarray(0, length);
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    const statement = await this.statement(sql);
    return new Promise((resolve, reject) => {
      statement.run(this.bind(params), function done(error) { if (error) reject(error); else resolve(this.changes); });
    });
  }

  async all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    const statement = await this.statement(sql);
    return new Promise((resolve, reject) => {
      statement.all(this.bind(params), (error, rows) => (error ? reject(error) : resolve(rows as T[])));
    });
  }

  json(value: unknown): JsonParam {
    return new JsonParam(value);
  }

  async close(): Promise<void> {
    const statements = [...this.prepared.values()];
    this.prepared.clear();
    for (const statement of statements) await new Promise<void>((resolve) => statement.finalize(() => resolve()));
  }
}

class PostgresRunner implements SqlRunner {
  readonly engine = 'postgres';
  private readonly texts = new Map<string, string>();

  constructor(private readonly client: PgClient) {}

  /** `?` → `$n`, cached: the import repeats the same few statement shapes. */
  private text(sql: string): string {
    let text = this.texts.get(sql);
    if (text === undefined) {
      let n = 0;
      text = sql.replace(/\?/g, () => `$${++n}`);
      if (this.texts.size > 1000) this.texts.clear();
      this.texts.set(sql, text);
    }
    return text;
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    const result = await this.client.query({ text: this.text(sql), values: this.bind(params) });
    return result.rowCount ?? 0;
  }

  async all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    const result = await this.client.query({ text: this.text(sql), values: this.bind(params) });
    return result.rows as T[];
  }

  private bind(params: readonly unknown[]): unknown[] {
    return params.map((p) => (p instanceof JsonParam ? JSON.stringify(p.value) : p));
  }

  json(value: unknown): JsonParam {
    return new JsonParam(value);
  }

  async close(): Promise<void> {
    this.texts.clear();
  }
}
