/**
 * The database: knex over an embedded SQLite file by default, PostgreSQL when
 * `database.url` is set. Each module owns its tables and hands its migrations to
 * `openDatabase`; they run in name order (names start with a date) on both engines.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { CachingSqliteClient } from './sqlite-client.js';

export type Database = Knex;

export interface Migration {
  /** Unique, sortable name: `YYYYMMDD_NN_module_what`. */
  readonly name: string;
  up(db: Knex): Promise<void>;
  down(db: Knex): Promise<void>;
}

export interface DatabaseOptions {
  /** postgres://… or empty for SQLite. */
  url: string;
  /** Folder of the SQLite file. */
  dataDir: string;
  migrations: readonly Migration[];
}

export const SQLITE_FILE = 'hygie.sqlite';
/** The main connection's page cache, in KiB. */
const SQLITE_CACHE_KIB = 64 * 1024;
/** How long a connection waits for another's write lock before failing with SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

export function databaseKind(db: Knex): 'sqlite' | 'postgres' {
  return db.client.config.client === 'pg' ? 'postgres' : 'sqlite';
}

/** Where the data lives, for logs: the SQLite file or the PostgreSQL URL without its password. */
export function describeDatabase(options: Pick<DatabaseOptions, 'url' | 'dataDir'>): string {
  if (!options.url) return path.resolve(options.dataDir, SQLITE_FILE);
  const url = new URL(options.url);
  if (url.password) url.password = '***';
  return url.toString();
}

export async function openDatabase(options: DatabaseOptions): Promise<Knex> {
  const db = options.url ? openPostgres(options.url) : openSqlite(options.dataDir);
  try {
    await db.migrate.latest({ migrationSource: new ModuleMigrationSource(options.migrations) });
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}

function openPostgres(url: string): Knex {
  return knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 10 } });
}

function openSqlite(dataDir: string): Knex {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  return knexFactory({
    client: CachingSqliteClient as unknown as typeof Knex.Client,
    connection: { filename: path.join(dataDir, SQLITE_FILE) },
    useNullAsDefault: true,
    // One connection: SQLite has one writer, and a single connection keeps transactions simple.
    pool: {
      min: 1,
      max: 1,
      afterCreate(connection: SqliteConnection, done: (error: Error | null, connection: SqliteConnection) => void) {
        // WAL with synchronous=FULL: a committed transaction survives a power loss. A page
        // cache of 64 MiB (SQLite's default is 2 MiB) keeps the indexes that mass updates
        // walk — a lifecycle sweep over a million boxes — from being read back again and again.
        connection.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS};
          PRAGMA cache_size = ${-SQLITE_CACHE_KIB};`,
          (error) => done(error, connection));
      },
    },
  });
}

interface SqliteConnection {
  exec(sql: string, callback: (error: Error | null) => void): void;
}

class ModuleMigrationSource implements Knex.MigrationSource<Migration> {
  private readonly migrations: readonly Migration[];

  constructor(migrations: readonly Migration[]) {
    // A migration shared by two modules' lists (the same object) runs once; two different ones with one name are a mistake.
    const byName = new Map<string, Migration>();
    for (const migration of migrations) {
      const known = byName.get(migration.name);
      if (known && known !== migration) throw new Error(`two migrations are named ${migration.name}`);
      byName.set(migration.name, migration);
    }
    this.migrations = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async getMigrations(): Promise<Migration[]> { return [...this.migrations]; }
  getMigrationName(migration: Migration): string { return migration.name; }
  async getMigration(migration: Migration): Promise<Knex.Migration> {
    return { up: (db) => migration.up(db), down: (db) => migration.down(db) };
  }
}

/** Booleans come back as 0/1 from SQLite and true/false from PostgreSQL. */
export function toBoolean(value: unknown): boolean {
  return value === true || value === 1 || value === '1';
}

/** Timestamps are stored as ISO strings on both engines (sortable, unambiguous, UTC). */
export function toIso(date: Date): string {
  return date.toISOString();
}
