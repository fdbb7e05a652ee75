/**
 * The SQLite trigram index behind substring searches (`(cn=*dup*)`, `(mail=*dup*)`),
 * kept up to date from the registry tables instead of by triggers: a trigger would
 * cost every imported row about 6 µs (8 s on a national Personne_activite import,
 * measured), while a refresh after the import indexes only what changed.
 *
 * A refresh starts when a table's signature moves (a new highest id, or a new or
 * finished import) and re-indexes, in small id windows so that other writers keep
 * getting the connection, the rows added or updated since the last refresh (by id and
 * `updated_at`). Searches never wait for it: between an import and the end of its
 * refresh, substring searches see the previous names; exact lookups are unaffected,
 * and every candidate is checked against the current rows anyway. An edit of a name
 * that is neither an import nor a new row shows in substring searches at the next
 * refresh that an import triggers. PostgreSQL needs none of this (pg_trgm indexes the
 * source tables directly, see migrations.ts).
 */
import type { Knex } from 'knex';
import { toIso } from '../../core/database.js';
import type { Logger } from '../../core/logger.js';
import { TEXT_INDEX_STATE_TABLE } from './migrations.js';
import { TEXT_SOURCES, type TextSourceName } from './text-sources.js';

/** Rows per window: small enough that one statement holds the connection for milliseconds. */
const WINDOW = 20_000;
/** How often a search may check whether the tables changed. */
const CHECK_INTERVAL_MS = 5_000;

interface StateRow {
  source: string;
  max_id: number;
  max_updated_at: string;
  signature: string;
}

export class TextIndex {
  /** Sources indexed at least once: their substring searches go through the index. */
  private readonly ready = new Set<TextSourceName>();
  private running: Promise<void> | undefined;
  private lastCheck = 0;

  private constructor(
    private readonly db: Knex,
    private readonly enabled: boolean,
    private readonly log: Logger | undefined,
  ) {}

  /** The index of this database: disabled on PostgreSQL, or when the migration found no FTS5 trigram support. */
  static async open(db: Knex, dialect: 'sqlite' | 'postgres', log?: Logger): Promise<TextIndex> {
    const enabled = dialect === 'sqlite' && await db.schema.hasTable(TEXT_INDEX_STATE_TABLE);
    const index = new TextIndex(db, enabled, log);
    if (enabled) {
      const states: StateRow[] = await db(TEXT_INDEX_STATE_TABLE).whereNotNull('refreshed_at');
      for (const state of states) index.ready.add(state.source as TextSourceName);
    }
    return index;
  }

  /** True when substring searches on this source can use the index. */
  isReady(source: TextSourceName): boolean {
    return this.ready.has(source);
  }

  /** From a search: start a refresh in the background if the tables may have changed. Never waits. */
  poke(): void {
    if (!this.enabled || this.running || Date.now() - this.lastCheck < CHECK_INTERVAL_MS) return;
    this.refresh().catch((error: unknown) => this.log?.warn('ldap text index refresh failed', { error }));
  }

  /** Indexes what changed since the last refresh. */
  refresh(): Promise<void> {
    this.running ??= this.refreshAll().finally(() => {
      this.running = undefined;
      this.lastCheck = Date.now();
    });
    return this.running;
  }

  /** Resolves when no refresh is running (before the database is closed). */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private async refreshAll(): Promise<void> {
    if (!this.enabled) return;
    const lastImport = await this.db('imports').orderBy('id', 'desc').first('id', 'status', 'finished_at');
    const importSignature = lastImport ? `${lastImport.id}:${lastImport.status}:${lastImport.finished_at ?? ''}` : '';
    for (const name of Object.keys(TEXT_SOURCES) as TextSourceName[]) {
      const started = performance.now();
      const windows = await this.refreshSource(name, importSignature);
      if (windows > 0) {
        this.log?.info('ldap text index refreshed', { source: name, windows, durationMs: Math.round(performance.now() - started) });
      }
    }
  }

  /** Re-indexes one source if its signature moved; returns how many id windows it went through. */
  private async refreshSource(name: TextSourceName, importSignature: string): Promise<number> {
    const source = TEXT_SOURCES[name];
    const stateOf = async (of: TextSourceName): Promise<StateRow> => await this.db(TEXT_INDEX_STATE_TABLE).where({ source: of }).first()
      ?? { source: of, max_id: 0, max_updated_at: '', signature: '' };
    const topOf = async (table: string) => ((await this.db(table).max({ id: 'id' }).first()) as { id: number | null }).id ?? 0;
    const state = await stateOf(name);
    const top = await topOf(source.table);
    const dependency = source.dependsOn;
    const signature = `${top}|${dependency ? await topOf(dependency.table) : ''}|${importSignature}`;
    if (signature === state.signature && this.ready.has(name)) return 0;

    // Taken before the windows: rows updated meanwhile are at least this recent and come back next time.
    const newest = await this.db(source.table).max({ at: 'updated_at' }).first() as { at: string | null };
    const columns = source.columns.map((c) => c.name).join(', ');
    const texts = source.columns.map((c) => c.sql).join(', ');
    const reindex = (where: string, params: unknown[]) => this.db.raw(
      `INSERT OR REPLACE INTO ${source.ftsTable}(rowid, ${columns}) SELECT id, ${texts} FROM ${source.table} WHERE ${where}`, params as Knex.RawBinding[]);
    let windows = 0;
    for (let low = 0; low < top; low += WINDOW, windows++) {
      await reindex('id > ? AND id <= ? AND (id > ? OR updated_at >= ?)', [low, low + WINDOW, state.max_id, state.max_updated_at]);
    }
    // Rows whose text comes partly from another table: re-index those that table changed since
    // its own last refresh (it refreshes after this one). Not needed when everything was indexed above.
    const everything = state.max_id === 0 && state.max_updated_at === '';
    if (dependency && !everything) {
      const since = await stateOf(dependency.table);
      const dependencyTop = await topOf(dependency.table);
      for (let low = 0; low < dependencyTop; low += WINDOW, windows++) {
        await reindex(`id IN (${dependency.ids('id > ? AND id <= ? AND (id > ? OR updated_at >= ?)')})`, [low, low + WINDOW, since.max_id, since.max_updated_at]);
      }
    }
    const next = {
      source: name, max_id: Math.max(state.max_id, top), max_updated_at: newest.at ?? state.max_updated_at,
      signature, refreshed_at: toIso(new Date()),
    };
    await this.db(TEXT_INDEX_STATE_TABLE).insert(next).onConflict('source').merge();
    this.ready.add(name);
    return windows;
  }
}
