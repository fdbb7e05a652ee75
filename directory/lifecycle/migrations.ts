/**
 * What the lifecycle engine adds to the directory's tables: the delivery state of each
 * notice (a notice is recorded in the sweep's transaction and delivered after it
 * commits, so a crash never loses one; a step waits until its notice was delivered), and
 * the indexes that keep a sweep over a million boxes within seconds.
 */
import { databaseKind, type Migration } from '../../core/database.js';

export const lifecycleMigrations: Migration[] = [{
  name: '20261124_40_directory_lifecycle_delivery',
  async up(db) {
    await db.schema.alterTable('lifecycle_notices', (table) => {
      /** pending (recorded, not delivered yet) | delivered | obsolete (the box connected, or changed state, first) */
      table.string('delivery', 16).notNullable().defaultTo('pending');
      table.string('delivered_at', 32);
      table.integer('attempts').notNullable().defaultTo(0);
      table.string('last_error', 512);
      // Only the pending few, in the order they are delivered: delivered notices pile up over the years.
      table.index(['id'], 'lifecycle_notices_pending', { predicate: db.whereRaw(`delivery = 'pending'`) });
    });
    // Every statement of a sweep looks for boxes silent since a date among those a step can
    // still happen to: with these indexes it reads only those, from the index alone — in the
    // steady state a few thousand entries of a million boxes. The expression is the one the
    // statements use (lifecycle/sql.ts CONNECTION); the leading columns are the steps' subjects.
    await db.raw(`CREATE INDEX mailboxes_lifecycle_published
      ON mailboxes (status, published, unlisted, (COALESCE(last_login_at, created_at)), created_at)`);
    await db.raw(`CREATE INDEX mailboxes_lifecycle_active ON mailboxes (status, (COALESCE(last_login_at, created_at)), created_at)`);
    // Notices recorded before this migration were given by hand or by nothing: never resend them.
    await db('lifecycle_notices').update({ delivery: 'delivered', delivered_at: db.ref('sent_at') });
  },
  async down(db) {
    await db.raw('DROP INDEX mailboxes_lifecycle_active');
    await db.raw('DROP INDEX mailboxes_lifecycle_published');
    await db.schema.alterTable('lifecycle_notices', (table) => {
      table.dropIndex(['id'], 'lifecycle_notices_pending');
      for (const column of ['delivery', 'delivered_at', 'attempts', 'last_error']) table.dropColumn(column);
    });
  },
}, {
  name: '20261124_41_directory_lifecycle_partial_indexes',
  /**
   * The same two indexes, holding only the boxes each step may still happen to: a box
   * unpublished or deleted leaves them (one index entry removed) instead of moving within
   * them (removed and inserted elsewhere), which halves what a mass unpublication writes;
   * and the daily sweep no longer walks past years of deleted boxes. The conditions are
   * the steps' subjects as the statements write them (statements.ts), literally, so that
   * SQLite recognises them; the trailing columns let a statement read the index alone.
   */
  async up(db) {
    const [yes, no] = databaseKind(db) === 'postgres' ? ['TRUE', 'FALSE'] : ['1', '0'];
    await db.raw('DROP INDEX mailboxes_lifecycle_published');
    await db.raw('DROP INDEX mailboxes_lifecycle_active');
    await db.raw(`CREATE INDEX mailboxes_lifecycle_published
      ON mailboxes ((COALESCE(last_login_at, created_at)), created_at, status, published, unlisted)
      WHERE status = 'active' AND published = ${yes} AND unlisted = ${no}`);
    await db.raw(`CREATE INDEX mailboxes_lifecycle_active ON mailboxes ((COALESCE(last_login_at, created_at)), created_at, status)
      WHERE status = 'active'`);
  },
  async down(db) {
    await db.raw('DROP INDEX mailboxes_lifecycle_active');
    await db.raw('DROP INDEX mailboxes_lifecycle_published');
    await db.raw(`CREATE INDEX mailboxes_lifecycle_published
      ON mailboxes (status, published, unlisted, (COALESCE(last_login_at, created_at)), created_at)`);
    await db.raw(`CREATE INDEX mailboxes_lifecycle_active ON mailboxes (status, (COALESCE(last_login_at, created_at)), created_at)`);
  },
}];
