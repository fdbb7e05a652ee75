/**
 * One import of one file: the header checked up front (kind, columns, encoding), then, in
 * a single transaction, every line validated and turned into upserts (written in batches
 * while the next lines are read), the rows of this kind that the file no longer holds
 * marked vanished, the first rejections stored, and the figures recorded in `imports`.
 * A failure at any point (I/O, damaged archive, a file that turns out not to be UTF-8,
 * or one that would make too much of the directory vanish) rolls everything back: the
 * previous import's data stays as it was.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import type { Knex } from 'knex';
import type { AuditTrail } from '../../core/audit.js';
import type { Clock } from '../../core/clock.js';
import { toIso } from '../../core/database.js';
import { HygieError } from '../../core/errors.js';
import { insertedId } from '../mailbox-rows.js';
import { KIND_DEFINITIONS, kindOfHeader, separatorOf } from './definitions.js';
import { suspendSecondaryIndexes } from './indexes.js';
import { FieldReader, headerFields, resolveHeader, type ResolvedHeader } from './fields.js';
import type { KindDefinition, KindHandler } from './kind.js';
import type { ImportKind } from './kinds.js';
import { readLineBatches, type LineBatch } from './line-reader.js';
import { failureText, type FailureCode } from './messages.js';
import { Rejected, rejectionText, type Language, type LineRejection, type RejectionCode } from './rejections.js';
import { formatNumber, tableLabel } from './report.js';
import type { ImportSource } from './sources.js';
import { importTransaction, runnerFor, type SqlRunner } from './sql.js';
import type { TableSpec } from './tables.js';
import { UpsertWriter, type ImportStamp } from './upsert.js';

export interface ImporterOptions {
  db: Knex;
  clock: Clock;
  audit: AuditTrail;
  /** Of rejection reasons and failure messages. */
  language: Language;
  /** Rejections stored per import (all are counted). */
  maxStoredRejections: number;
  /** Lines read between two writes. */
  batchLines: number;
  /** SQLite page cache during the import, in MiB (the default 2 MiB thrashes on national files). */
  sqliteCacheMiB: number;
  vanishGuard: VanishGuard;
}

/**
 * How much of the directory one import may mark vanished. A national extraction loses a
 * fraction of a percent between two downloads; a truncated file or the wrong one loses
 * most of it, and what vanishes leaves LDAP and search at once.
 */
export interface VanishGuard {
  /** Largest share of a table's rows an import may mark vanished, in percent (0: no check). */
  maxPercent: number;
  /** Rows that may vanish whatever the share. */
  alwaysAccepted: number;
}

export interface ImportRunOptions {
  actor: string;
  /** Go ahead even beyond the vanish guard: the operator has checked the file. */
  allowVanish?: boolean;
  /** Where the request came from, for the audit trail: cli, api. */
  channel?: string;
  onProgress?: (progress: ImportProgress) => void;
}

export interface ImportProgress {
  location: string;
  kind: ImportKind;
  bytesRead: number;
  totalBytes: number;
  lines: number;
  elapsedMs: number;
}

export interface TableFigures {
  added: number;
  updated: number;
  unchanged: number;
  vanished: number;
}

export interface StoredRejection {
  line: number;
  reason: string;
  excerpt: string | null;
}

export interface ImportResult {
  id: number;
  kind: ImportKind;
  fileName: string;
  location: string;
  extractionDate: string | null;
  status: 'done' | 'failed';
  error: string | null;
  startedAt: string;
  durationMs: number;
  /** Data lines read (the header and blank lines not counted). */
  lines: number;
  accepted: number;
  rejected: number;
  /** Totals over the tables the kind fills. */
  added: number;
  updated: number;
  vanished: number;
  tables: Record<string, TableFigures>;
  rejectionsByCode: Partial<Record<RejectionCode, number>>;
  /** The first rejections, by line. */
  firstRejections: StoredRejection[];
  /** Kind-specific figures, e.g. duplicates (address lines merged). */
  notes: Record<string, number>;
}

/** Characters of a rejected line kept with the rejection. */
const EXCERPT_LENGTH = 300;
const FIRST_REJECTIONS_SHOWN = 10;
/** How often the progress callback hears from a running import. */
const PROGRESS_INTERVAL_MS = 200;

/** The counts of one run, and the rejections kept. */
class Tally {
  lines = 0;
  rejected = 0;
  readonly byCode: Partial<Record<RejectionCode, number>> = {};
  readonly kept: LineRejection[] = [];

  constructor(private readonly cap: number) {}

  reject(rejection: LineRejection): void {
    this.rejected++;
    this.byCode[rejection.code] = (this.byCode[rejection.code] ?? 0) + 1;
    if (this.kept.length < this.cap) this.kept.push({ ...rejection, excerpt: rejection.excerpt.slice(0, EXCERPT_LENGTH) });
  }
}

function failure(code: FailureCode, params: Record<string, string | number>, language: Language): HygieError {
  return new HygieError('INVALID_INPUT', failureText(code, params, language));
}

export async function runImport(options: ImporterOptions, source: ImportSource, run: ImportRunOptions): Promise<ImportResult> {
  const { db, language } = options;
  const definition = KIND_DEFINITIONS[source.kind];
  const started = performance.now();
  const startedAt = await uniqueStartTime(db, options.clock.now());
  const [inserted] = await db('imports').insert({
    kind: source.kind, file_name: source.name.slice(0, 256), extraction_date: source.extractionDate ?? null,
    started_at: startedAt, status: 'running', actor: run.actor,
  }, ['id']);
  const stamp: ImportStamp = { importId: insertedId(inserted), at: startedAt };
  const tally = new Tally(options.maxStoredRejections);
  let bytesRead = 0;
  let lastProgress = 0;
  const progress = (force: boolean): void => {
    if (!run.onProgress) return;
    const now = performance.now();
    if (!force && now - lastProgress < PROGRESS_INTERVAL_MS) return;
    lastProgress = now;
    run.onProgress({ location: source.location, kind: source.kind, bytesRead, totalBytes: source.size, lines: tally.lines, elapsedMs: now - started });
  };
  const base = {
    id: stamp.importId, kind: source.kind, fileName: source.name, location: source.location,
    extractionDate: source.extractionDate ?? null, startedAt,
  };

  let stream: Readable | undefined;
  try {
    stream = await source.open((bytes) => { bytesRead += bytes; });
    const batches = readLineBatches(stream)[Symbol.asyncIterator]();
    const first = await batches.next();
    if (first.done || first.value.lines.every((line) => line === '')) throw failure('empty', { file: source.location }, language);
    const header = checkHeader(definition, first.value, source, language);
    const outcome = await importTransaction(db, options.sqliteCacheMiB, async (trx) => {
      const runner = await runnerFor(trx);
      try {
        const lineRun = new LineRun(definition, header, tally, source, language);
        const maxIds = await Promise.all(definition.tables.map((t) => maxId(runner, t)));
        const writer = new UpsertWriter(runner, stamp);
        const rebuildIndexes = await suspendSecondaryIndexes(runner, definition.tables);
        await lineRun.readAll(first.value, batches, writer, runner, options.batchLines, () => progress(false));
        progress(true);
        await rebuildIndexes();
        await lineRun.handler.finish?.(runner, stamp);
        const kept = lineRun.refusedKeys.size > 0 ? await lineRun.handler.keepRefused?.(runner, stamp, source.kind, [...lineRun.refusedKeys]) ?? 0 : 0;
        const tables: Record<string, TableFigures> = {};
        for (const [i, table] of definition.tables.entries()) {
          tables[table.name] = await figures(runner, table, maxIds[i] as number, stamp, source.kind);
        }
        if (!run.allowVanish) checkVanished(tables, options.vanishGuard, source, language);
        await storeRejections(trx, stamp.importId, tally.kept, language);
        const totals = sumFigures(Object.values(tables));
        const notes = { ...lineRun.handler.notes?.(), ...(kept > 0 ? { keptDespiteRefusal: kept } : {}) };
        const durationMs = performance.now() - started;
        await trx('imports').where({ id: stamp.importId }).update({
          status: 'done', finished_at: toIso(options.clock.now()), lines: tally.lines, accepted: tally.lines - tally.rejected,
          rejected: tally.rejected, added: totals.added, updated: totals.updated, vanished: totals.vanished,
          details: JSON.stringify({ tables, rejectionsByCode: tally.byCode, notes, location: source.location, durationMs: Math.round(durationMs) }),
        });
        await options.audit.record({
          action: 'registry.import', outcome: 'success', actor: run.actor, subject: String(stamp.importId), channel: run.channel ?? 'cli',
          details: { kind: source.kind, file: source.name, lines: tally.lines, rejected: tally.rejected, ...totals },
        }, trx);
        return { tables, totals, notes, durationMs };
      } finally {
        await runner.close();
      }
    });
    return {
      ...base, status: 'done', error: null, durationMs: outcome.durationMs,
      lines: tally.lines, accepted: tally.lines - tally.rejected, rejected: tally.rejected, ...outcome.totals,
      tables: outcome.tables, rejectionsByCode: tally.byCode, notes: outcome.notes,
      firstRejections: firstRejections(tally.kept, language),
    };
  } catch (error) {
    stream?.destroy();
    const message = (error as Error).message;
    await db('imports').where({ id: stamp.importId }).update({
      status: 'failed', finished_at: toIso(options.clock.now()), lines: tally.lines, rejected: tally.rejected, error: message,
    });
    await options.audit.record({
      action: 'registry.import', outcome: 'failure', actor: run.actor, subject: String(stamp.importId), channel: run.channel ?? 'cli',
      details: { kind: source.kind, file: source.name, error: message },
    });
    return {
      ...base, status: 'failed', error: message, durationMs: performance.now() - started,
      lines: tally.lines, accepted: 0, rejected: tally.rejected, added: 0, updated: 0, vanished: 0,
      tables: {}, rejectionsByCode: tally.byCode, notes: {}, firstRejections: firstRejections(tally.kept, language),
    };
  }
}

interface CheckedHeader {
  separator: string;
  resolved: ResolvedHeader<string>;
}

/** The first line must be this kind's header, in UTF-8; otherwise the import fails before writing anything. */
function checkHeader(definition: KindDefinition, batch: LineBatch, source: ImportSource, language: Language): CheckedHeader {
  const line = batch.lines[0] as string;
  if (batch.problems?.has(0)) throw failure('header-encoding', { file: source.location }, language);
  const separator = separatorOf(definition, line);
  const resolved = resolveHeader(headerFields(line, separator), definition.columns);
  const looksLike = kindOfHeader(line);
  if (looksLike && looksLike !== definition.kind) {
    throw failure('wrong-kind', { file: source.location, expected: definition.title, found: KIND_DEFINITIONS[looksLike].title }, language);
  }
  if (resolved.missing.length > 0) {
    throw failure('missing-columns', { file: source.location, expected: definition.title, columns: resolved.missing.join(', ') }, language);
  }
  return { separator, resolved };
}

/** Reads the lines after the header, hands them to the kind's handler, and writes as it goes. */
class LineRun {
  readonly handler: KindHandler;
  /** Records whose line was refused but still names them (see KindHandler.keyOfRefused). */
  readonly refusedKeys = new Set<string>();
  private readonly fields: FieldReader<string>;
  /** Whether valid accented text was seen: until then, a line that is not UTF-8 means the whole file is not. */
  private sawNonAscii: boolean;

  constructor(definition: KindDefinition, private readonly header: CheckedHeader, private readonly tally: Tally,
    private readonly source: ImportSource, private readonly language: Language) {
    this.fields = new FieldReader(definition.columns, header.resolved, header.separator);
    this.handler = definition.createHandler(this.fields);
    this.sawNonAscii = false;
  }

  async readAll(first: LineBatch, rest: AsyncIterator<LineBatch>, writer: UpsertWriter, runner: SqlRunner, batchLines: number, onBatch: () => void): Promise<void> {
    // One write in flight while the next lines are read: parsing and SQL overlap, memory stays bounded.
    let inFlight: Promise<void> = Promise.resolve();
    const flush = async (): Promise<void> => {
      const write = this.handler.take();
      await inFlight;
      inFlight = write(writer, runner).then((rejections) => { for (const r of rejections) this.tally.reject(r); });
      inFlight.catch(() => undefined);
    };
    try {
      this.sawNonAscii = first.firstNonAscii === 0;
      let batch: LineBatch | undefined = first;
      let from = 1;
      while (batch) {
        this.lines(batch, from);
        if (this.handler.pending >= batchLines) await flush();
        // Back to the event loop after every block (about a millisecond of parsing): the
        // write in flight is a chain of statements, each started from the callback of the
        // previous one, and a loop fed by promises alone would leave the database idle until
        // the next disk read. V8 also finishes its garbage collections in such tasks.
        await setImmediate();
        onBatch();
        const next: IteratorResult<LineBatch> = await rest.next();
        batch = next.done ? undefined : next.value;
        from = 0;
      }
      await flush();
      await inFlight;
    } finally {
      // Never leave a statement running when the transaction ends.
      await inFlight.catch(() => undefined);
    }
  }

  private keepRefused(): void {
    const key = this.handler.keyOfRefused?.();
    if (key !== undefined) this.refusedKeys.add(key);
  }

  private lines(batch: LineBatch, from: number): void {
    const { separator, resolved: { width } } = this.header;
    const { lines, problems } = batch;
    for (let i = from; i < lines.length; i++) {
      const text = lines[i] as string;
      if (text.length === 0 && !problems?.has(i)) continue;
      const lineNumber = batch.first + i;
      this.tally.lines++;
      const problem = problems?.get(i);
      if (problem !== undefined) {
        if (problem === 'invalid-utf8' && !this.sawNonAscii && !(batch.firstNonAscii >= 0 && batch.firstNonAscii < i)) {
          throw failure('file-encoding', { file: this.source.location, line: lineNumber }, this.language);
        }
        this.tally.reject({ line: lineNumber, code: problem === 'invalid-utf8' ? 'encoding' : 'replacement-character', params: {}, excerpt: text });
        continue;
      }
      const count = this.fields.use(text);
      if (count !== width && !(count === width + 1 && this.fields.emptyAt(width))) {
        const found = count - (text.endsWith(separator) ? 1 : 0);
        this.tally.reject({ line: lineNumber, code: 'column-count', params: { found, expected: width }, excerpt: text });
        this.keepRefused();
        continue;
      }
      try {
        this.handler.line(lineNumber, text);
      } catch (error) {
        if (!(error instanceof Rejected)) throw error;
        this.tally.reject({ line: lineNumber, code: error.code, params: error.params, excerpt: text });
        this.keepRefused();
      }
    }
    if (batch.firstNonAscii >= 0) this.sawNonAscii = true;
  }
}

/** started_at doubles as the stamp rows get when they change: it must differ from every earlier import's. */
async function uniqueStartTime(db: Knex, now: Date): Promise<string> {
  const row = await db('imports').max({ last: 'started_at' }).first() as { last: string | null } | undefined;
  const last = row?.last ? Date.parse(row.last) : 0;
  return toIso(new Date(Math.max(now.getTime(), last + 1)));
}

async function maxId(runner: SqlRunner, table: TableSpec): Promise<number> {
  const [row] = await runner.all<{ id: number | string | null }>(`SELECT MAX(id) AS id FROM ${table.name}`);
  return Number(row?.id ?? 0);
}

/**
 * Seen rows carry this import's id: added ones have ids beyond the largest before the
 * import, updated ones had a value change (their updated_at is this import's time). Rows
 * an earlier import of this kind vouched for, and this one did not, are marked vanished.
 *
 * Seen and added are counted from the `import_id` index alone; only rows that existed
 * before are read for their updated_at (none on a first import, where reading every row
 * back would cost as much as a table scan per table).
 */
async function figures(runner: SqlRunner, table: TableSpec, before: number, stamp: ImportStamp, kind: ImportKind): Promise<TableFigures> {
  const [counts] = await runner.all<{ seen: number | string; added: number | string | null }>(
    `SELECT COUNT(*) AS seen, SUM(CASE WHEN id > ? THEN 1 ELSE 0 END) AS added FROM ${table.name} WHERE import_id = ?`, [before, stamp.importId]);
  const [changed] = await runner.all<{ updated: number | string }>(
    `SELECT COUNT(*) AS updated FROM ${table.name} WHERE import_id = ? AND id <= ? AND updated_at = ?`, [stamp.importId, before, stamp.at]);
  // OR FAIL on SQLite: no statement journal (a copy of every page it touches), since a
  // failure fails the whole import anyway.
  const vanished = await runner.run(
    `UPDATE ${runner.engine === 'sqlite' ? 'OR FAIL ' : ''}${table.name} SET vanished_at = ?, updated_at = ?
      WHERE vanished_at IS NULL AND import_id <> ? AND import_id IN (SELECT id FROM imports WHERE kind = ?)`,
    [stamp.at, stamp.at, stamp.importId, kind]);
  const seen = Number(counts?.seen ?? 0);
  const added = Number(counts?.added ?? 0);
  const updated = Number(changed?.updated ?? 0);
  return { added, updated, unchanged: seen - added - updated, vanished };
}

/** Refuses the import when a table would lose more of its rows than the guard allows. */
function checkVanished(tables: Record<string, TableFigures>, guard: VanishGuard, source: ImportSource, language: Language): void {
  if (guard.maxPercent <= 0) return;
  for (const [name, f] of Object.entries(tables)) {
    const before = f.unchanged + f.updated + f.vanished;
    if (f.vanished <= guard.alwaysAccepted || f.vanished * 100 <= guard.maxPercent * before) continue;
    throw failure('mass-vanish', {
      file: source.location, table: tableLabel(name, language), vanished: formatNumber(f.vanished, language),
      before: formatNumber(before, language), percent: Math.round((100 * f.vanished) / before), limit: guard.maxPercent,
    }, language);
  }
}

function sumFigures(all: TableFigures[]): { added: number; updated: number; vanished: number } {
  return all.reduce((sum, f) => ({ added: sum.added + f.added, updated: sum.updated + f.updated, vanished: sum.vanished + f.vanished }), { added: 0, updated: 0, vanished: 0 });
}

async function storeRejections(trx: Knex.Transaction, importId: number, rejections: LineRejection[], language: Language): Promise<void> {
  const rows = [...rejections].sort((a, b) => a.line - b.line).map((r) => ({
    import_id: importId, line_number: r.line, reason: rejectionText(r.code, r.params, language).slice(0, 256), excerpt: r.excerpt,
  }));
  for (let i = 0; i < rows.length; i += 200) await trx('import_rejections').insert(rows.slice(i, i + 200));
}

function firstRejections(rejections: LineRejection[], language: Language): StoredRejection[] {
  return [...rejections].sort((a, b) => a.line - b.line).slice(0, FIRST_REJECTIONS_SHOWN)
    .map((r) => ({ line: r.line, reason: rejectionText(r.code, r.params, language), excerpt: r.excerpt }));
}
