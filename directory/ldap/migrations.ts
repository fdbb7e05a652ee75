/**
 * What the LDAP service adds to the directory's database so that searches on a national
 * directory stay indexed:
 *  - SQLite: trigram full-text tables (FTS5) for substring searches on names and
 *    addresses (`(cn=*dup*)`, what mail clients send), kept up to date by text-index.ts
 *    from the registry tables rather than by triggers, so that imports do not pay for
 *    them row by row; and their refresh state.
 *  - PostgreSQL: trigram GIN indexes (pg_trgm) on the same expressions when the extension
 *    can be created; without it the same ILIKE queries run as bounded scans.
 *  - Both: an index on mailboxes.professional_id (the professional's entry reads its
 *    hosted boxes by it).
 */
import type { Knex } from 'knex';
import { databaseKind, type Migration } from '../../core/database.js';
import { PG_TEXT_EXPRESSIONS, TEXT_SOURCES } from './text-sources.js';

export const TEXT_INDEX_STATE_TABLE = 'ldap_text_index_state';

export const ldapMigrations: Migration[] = [{
  name: '20261124_40_ldap_search_indexes',
  async up(db) {
    await db.schema.alterTable('mailboxes', (table) => table.index(['professional_id'], 'mailboxes_professional_id_index'));
    if (databaseKind(db) === 'sqlite') await createSqliteTextTables(db);
    else await createPostgresTrigramIndexes(db);
  },
  async down(db) {
    if (databaseKind(db) === 'sqlite') {
      for (const source of Object.values(TEXT_SOURCES)) await db.raw(`DROP TABLE IF EXISTS ${source.ftsTable}`);
      await db.schema.dropTableIfExists(TEXT_INDEX_STATE_TABLE);
    } else {
      for (const index of Object.keys(PG_TEXT_EXPRESSIONS)) await db.raw(`DROP INDEX IF EXISTS ${index}`);
    }
    await db.schema.alterTable('mailboxes', (table) => table.dropIndex(['professional_id'], 'mailboxes_professional_id_index'));
  },
}];

async function createSqliteTextTables(db: Knex): Promise<void> {
  for (const source of Object.values(TEXT_SOURCES)) {
    // Contentless (the text lives in the source table), deletable, trigram-tokenised with
    // accents folded: a candidate superset that the exact filter evaluation then narrows.
    try {
      await db.raw(`CREATE VIRTUAL TABLE ${source.ftsTable} USING fts5(${source.columns.map((c) => c.name).join(', ')},
        content='', contentless_delete=1, tokenize='trigram remove_diacritics 1')`);
    } catch {
      // An SQLite without FTS5 or the trigram tokenizer (before 3.34): substring searches scan, bounded.
      return;
    }
  }
  await db.schema.createTable(TEXT_INDEX_STATE_TABLE, (table) => {
    table.string('source', 64).primary();
    /** Highest source id indexed so far, and the newest updated_at seen: what the next refresh starts from. */
    table.integer('max_id').notNullable().defaultTo(0);
    table.string('max_updated_at', 32).notNullable().defaultTo('');
    /** Signature of the source (max id, last import) when it was last refreshed. */
    table.string('signature', 256).notNullable().defaultTo('');
    table.string('refreshed_at', 32);
  });
}

async function createPostgresTrigramIndexes(db: Knex): Promise<void> {
  try {
    // A savepoint: without the extension (or the right to create it) the migration goes on.
    await db.transaction(async (trx) => {
      await trx.raw('CREATE EXTENSION IF NOT EXISTS pg_trgm');
      for (const [index, { table, expression }] of Object.entries(PG_TEXT_EXPRESSIONS)) {
        await trx.raw(`CREATE INDEX ${index} ON ${table} USING gin ((${expression}) gin_trgm_ops)`);
      }
    });
  } catch {
    // ILIKE scans, bounded by the search's time and scan limits.
  }
}
