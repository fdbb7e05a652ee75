/**
 * The boxes one statement of a step concerns, listed once in a temporary table keyed by
 * mailbox id (`lifecycle_boxes`, private to the sweep's transaction): the condition over a
 * million boxes is evaluated once, and what is then written for those boxes — history
 * rows, notices, the change of the boxes themselves — is written in mailbox id order,
 * page after page, instead of in the order of the connection-date index, which scatters a
 * mass unpublication over every page of the table and its indexes.
 */
import type { Knex } from 'knex';
import { execute, raw, sql, type LifecycleDialect, type Sql } from './sql.js';

/** One column, `mailbox_id`: small enough to stay in SQLite's page cache for 400 000 boxes. */
export const BOX_LIST = raw('lifecycle_boxes');

export class BoxList {
  private constructor(private readonly trx: Knex.Transaction, private readonly dialect: LifecycleDialect) {}

  /** Creates the list in the sweep's transaction (a rollback takes it away with the rest). */
  static async create(trx: Knex.Transaction, dialect: LifecycleDialect): Promise<BoxList> {
    await execute(trx, sql`CREATE TEMPORARY TABLE ${BOX_LIST} (mailbox_id INTEGER PRIMARY KEY)`);
    return new BoxList(trx, dialect);
  }

  /** Replaces the list with the mailbox ids `select` returns; returns how many. */
  async fill(select: Sql): Promise<number> {
    await execute(this.trx, sql`DELETE FROM ${BOX_LIST}`);
    return this.dialect.run(this.trx, sql`INSERT INTO ${BOX_LIST} (mailbox_id) ${select}`);
  }

  async drop(): Promise<void> {
    await execute(this.trx, sql`DROP TABLE ${BOX_LIST}`);
  }
}
