/**
 * Group commit: concurrent writes to the store are run together in one transaction,
 * so that ten SMTP sessions delivering at once pay for one commit (one WAL fsync on
 * SQLite, one round of locks on PostgreSQL) instead of ten. A job that fails makes the
 * whole batch roll back; the batch is then replayed one job per transaction so that
 * only the failing job fails. Jobs therefore touch nothing outside the transaction
 * until they resolve.
 */
import type { Knex } from 'knex';

type Job = {
  work: (trx: Knex.Transaction) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
};

/** Upper bound on the jobs in one transaction, to keep lock times and memory short. */
const MAX_BATCH = 64;

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
          results = await this.db.transaction(async (trx) => {
            const out: unknown[] = [];
            for (const job of batch) out.push(await job.work(trx));
            return out;
          });
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
        job.resolve(await this.db.transaction((trx) => job.work(trx)));
      } catch (error) {
        job.reject(error);
      }
    }
  }
}
