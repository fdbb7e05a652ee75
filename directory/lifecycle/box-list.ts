/**
 * The boxes one statement of a step concerns, listed once in a temporary table keyed by
 * mailbox id (`lifecycle_boxes`, private to the sweep's transaction): the condition over a
 * million boxes is evaluated once, and what is then written for those boxes — history
 * rows, notices, the change of the boxes themselves — is written in mailbox id order,
 * page after page, instead of in the order of the connection-date index, which scatters a
 * mass unpublication over every page of the table and its indexes.
 *
 * The list is read the same way: first the boxes silent long enough (`silentBoxes`, from a
 * connection-date index alone), sorted by id; only then their notices are looked up, in
 * the order of lifecycle_notices' own key (mailbox id first) rather than all over it.
 */
import type { Knex } from 'knex';
import { CONNECTION, execute, raw, sql, type LifecycleDialect, type Sql } from './sql.js';

/** One column, `mailbox_id`: small enough to stay in SQLite's page cache for 400 000 boxes. */
export const BOX_LIST = raw('lifecycle_boxes');

/** How a statement names a box: its id and its connection (the cycle its notices belong to). */
export interface BoxRef {
  id: Sql;
  connection: Sql;
}

/** A box of `silentBoxes`. */
export const SILENT: BoxRef = { id: raw('silent.id'), connection: raw('silent.connection') };

/**
 * `WITH silent AS (…)`: the `subject` boxes created before `createdBefore` and silent since
 * before `silentSince`, sorted by id. Materialized, so that the sort happens before the
 * statement that follows looks anything up for them (SQLite would otherwise probe notices
 * in index order: three times the work for 300 000 boxes). `+mailboxes.id`: sorted
 * afterwards, so that SQLite still reads the few boxes from the connection-date index
 * instead of walking the whole table in id order to spare itself the sort.
 */
export function silentBoxes(subject: Sql, createdBefore: string, silentSince: string): Sql {
  return sql`WITH silent AS MATERIALIZED (SELECT mailboxes.id, ${CONNECTION} AS connection FROM mailboxes
    WHERE ${subject} AND mailboxes.created_at <= ${createdBefore} AND ${CONNECTION} <= ${silentSince} ORDER BY +mailboxes.id)`;
}

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
