/**
 * Group commit: concurrent writes to the store are run together in one transaction,
 * so that ten SMTP sessions delivering at once pay for one commit (one WAL fsync on
 * SQLite, one round of locks on PostgreSQL) instead of ten. A job that fails makes the
 * whole batch roll back; the batch is then replayed one job per transaction so that
 * only the failing job fails. Jobs therefore touch nothing outside the transaction
 * until they resolve.
 *
 * Rows a job only adds (a message's body, its row and journal entry, an audit record)
 * may be handed to `insertInCommit`: the batch writes them after its last job, one
 * multi-row statement per table, instead of one statement per row. Each statement is a
 * round trip to the database thread and through the query builder; a delivery made
 * five of them.
 */
import type { Knex } from 'knex';

type Job = {
  work: (trx: Knex.Transaction) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
};

/** Upper bound on the jobs in one transaction, to keep lock times and memory short. */
const MAX_BATCH = 64;

/** Bound values per held insert statement: below SQLite's (32 766) and PostgreSQL's (65 535) limits. */
const MAX_BOUND_VALUES = 16_000;
/** Rows per held insert statement (SQLite's compound SELECT, which knex may use for several rows, stops at 500 terms). */
const MAX_ROWS_PER_INSERT = 200;

type Row = Record<string, unknown>;

/** The rows a batch's jobs handed over, by table (and conflict rule), in the order tables were first used. */
class HeldInserts {
  private readonly groups = new Map<string, { table: string; ignoreConflictOn?: string; rows: Row[] }>();

  add(table: string, rows: readonly Row[], ignoreConflictOn?: string): void {
    const key = `${table}\u0000${ignoreConflictOn ?? ''}`;
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = { table, ignoreConflictOn, rows: [] }));
    group.rows.push(...rows);
  }

  async write(trx: Knex.Transaction): Promise<void> {
    for (const { table, ignoreConflictOn, rows } of this.groups.values()) await insertRows(trx, table, rows, ignoreConflictOn);
    this.groups.clear();
  }
}

async function insertRows(trx: Knex.Transaction, table: string, rows: readonly Row[], ignoreConflictOn?: string): Promise<void> {
  const columns = Math.max(1, ...rows.map((row) => Object.keys(row).length));
  const perStatement = Math.max(1, Math.min(MAX_ROWS_PER_INSERT, Math.floor(MAX_BOUND_VALUES / columns)));
  for (let start = 0; start < rows.length; start += perStatement) {
    const insert = trx(table).insert(rows.slice(start, start + perStatement));
    await (ignoreConflictOn ? insert.onConflict(ignoreConflictOn).ignore() : insert);
  }
}

/** The held inserts of the group commits in progress, by transaction. */
const heldInserts = new WeakMap<Knex.Transaction, HeldInserts>();

/**
 * Adds `rows` to `table` as part of `trx`. In a group commit they are written after its
 * last job, with the other jobs' rows for the same table, so the job must not read them
 * back, nor count on their insert failing before it goes on (a failure still rolls back
 * the batch and fails this job alone on the replay). Elsewhere they are inserted at once.
 * `ignoreConflictOn`: a row whose key is already there (or held) is left out.
 */
export async function insertInCommit(trx: Knex.Transaction, table: string, rows: Row | readonly Row[], options: { ignoreConflictOn?: string } = {}): Promise<void> {
  const list = Array.isArray(rows) ? rows as readonly Row[] : [rows as Row];
  if (list.length === 0) return;
  const held = heldInserts.get(trx);
  if (held) held.add(table, list, options.ignoreConflictOn);
  else await insertRows(trx, table, list, options.ignoreConflictOn);
}

/** One batcher per database, so that the store's, the queue's and the audit trail's writes share commits. */
const shared = new WeakMap<Knex, WriteBatcher>();

export class WriteBatcher {
  private queue: Job[] = [];
  private draining = false;

  constructor(private readonly db: Knex) {}

  /** The batcher every module writing to `db` goes through: on SQLite's single connection, separate batchers would only take turns. */
  static of(db: Knex): WriteBatcher {
    let batcher = shared.get(db);
    if (!batcher) shared.set(db, (batcher = new WriteBatcher(db)));
    return batcher;
  }

  run<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.draining) {
        this.draining = true;
        // Start after the current turn so that writes submitted together share the first commit.
        queueMicrotask(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        let results: unknown[];
        try {
          results = await this.db.transaction((trx) => runJobs(trx, batch));
        } catch (error) {
          if (batch.length === 1) {
            batch[0]?.reject(error);
            continue;
          }
          await this.replayAlone(batch);
          continue;
        }
        batch.forEach((job, index) => job.resolve(results[index]));
      }
    } finally {
      this.draining = false;
    }
  }

  private async replayAlone(batch: Job[]): Promise<void> {
    for (const job of batch) {
      try {
        const [result] = await this.db.transaction((trx) => runJobs(trx, [job]));
        job.resolve(result);
      } catch (error) {
        job.reject(error);
      }
    }
  }
}

/** The jobs one after the other in `trx`, then the rows they held back. */
async function runJobs(trx: Knex.Transaction, jobs: readonly Job[]): Promise<unknown[]> {
  const held = new HeldInserts();
  heldInserts.set(trx, held);
  const out: unknown[] = [];
  for (const job of jobs) out.push(await job.work(trx));
  await held.write(trx);
  return out;
}
