/**
 * Indexes the directory search needs beyond the registry's own: a word of a name can be
 * found from an index when it starts the search key or follows its first or second
 * space ("le gall maiwenn": "le…", "gall…", "maiwenn…"), boxes are found by their owner
 * and type, and a professional's registry addresses are read from the index alone. Expression indexes: the importer fills `search_name` and the database
 * keeps these up to date, nothing else to maintain.
 */
import type { Knex } from 'knex';
import type { Migration } from '../../core/database.js';
import { Dialect } from './sql.js';

const NAME_TABLES = ['professionals', 'structures', 'registry_addresses'] as const;

export const searchMigrations: Migration[] = [{
  name: '20261124_44_directory_search_indexes',
  async up(db) {
    const dialect = new Dialect(db);
    for (const table of NAME_TABLES) {
      const [, second, third] = dialect.wordStarts('search_name');
      await db.raw(`CREATE INDEX ${table}_search_word2 ON ${table} ((${second}))`);
      await db.raw(`CREATE INDEX ${table}_search_word3 ON ${table} ((${third}))`);
    }
    await db.schema.alterTable('mailboxes', (table) => {
      table.index(['professional_id', 'type'], 'mailboxes_search_professional');
      table.index(['type'], 'mailboxes_search_type');
    });
    // Everything the directory_addresses view reads of a registry address found by its owner, without reading the row.
    await db.schema.alterTable('registry_addresses', (table) => {
      table.index(['professional_id', 'box_type', 'vanished_at', 'address'], 'registry_addresses_search_owner');
    });
  },
  async down(db: Knex) {
    for (const table of NAME_TABLES) {
      await db.raw(`DROP INDEX ${table}_search_word2`);
      await db.raw(`DROP INDEX ${table}_search_word3`);
    }
    await db.schema.alterTable('registry_addresses', (table) => {
      table.dropIndex(['professional_id', 'box_type', 'vanished_at', 'address'], 'registry_addresses_search_owner');
    });
    await db.schema.alterTable('mailboxes', (table) => {
      table.dropIndex(['professional_id', 'type'], 'mailboxes_search_professional');
      table.dropIndex(['type'], 'mailboxes_search_type');
    });
  },
}, {
  /**
   * Two indexes on an owner's id alone, made redundant by the indexes above that start
   * with it (SQLite and PostgreSQL use a wider index's leading column for the same
   * lookups, foreign key checks included): one less index to build at the end of every
   * registry import (0.3 s of an MSSanté extraction of 600 000 lines) and to keep up to
   * date on every new box.
   */
  name: '20261125_45_directory_redundant_owner_indexes',
  async up(db) {
    await db.raw('DROP INDEX IF EXISTS registry_addresses_professional_id_index');
    await db.raw('DROP INDEX IF EXISTS mailboxes_professional_id_index');
  },
  async down(db) {
    await db.schema.alterTable('registry_addresses', (table) => table.index(['professional_id'], 'registry_addresses_professional_id_index'));
    await db.schema.alterTable('mailboxes', (table) => table.index(['professional_id'], 'mailboxes_professional_id_index'));
  },
}];
