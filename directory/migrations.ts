/** The directory's tables: mailboxes, their addresses and credentials. */
import type { Migration } from '../core/database.js';
import { ldapMigrations } from './ldap/migrations.js';
import { lifecycleMigrations } from './lifecycle/migrations.js';
import { registryImportMigrations } from './registry/migrations.js';
import { registryMigrations } from './registry-migrations.js';
import { searchMigrations } from './search/migrations.js';

const mailboxMigrations: Migration[] = [{
  name: '20261124_10_directory_mailboxes',
  async up(db) {
    await db.schema.createTable('mailboxes', (table) => {
      table.increments('id');
      table.string('type', 3).notNullable();
      table.string('display_name', 256).notNullable();
      table.string('first_name', 128);
      table.string('last_name', 128);
      table.string('rpps', 11).unique();
      table.string('adeli', 9).unique();
      table.string('profession', 128);
      table.boolean('is_health').notNullable();
      table.boolean('published').notNullable().defaultTo(true);
      table.string('created_at', 32).notNullable();
      table.string('last_login_at', 32);
    });
    await db.schema.createTable('addresses', (table) => {
      table.increments('id');
      table.integer('mailbox_id').notNullable().references('id').inTable('mailboxes').onDelete('CASCADE').index();
      table.string('address', 320).notNullable().unique();
      table.string('network', 16).notNullable();
    });
    await db.schema.createTable('credentials', (table) => {
      table.increments('id');
      table.integer('mailbox_id').notNullable().references('id').inTable('mailboxes').onDelete('CASCADE');
      table.string('kind', 16).notNullable();
      table.text('secret').notNullable();
      table.string('updated_at', 32).notNullable();
      table.unique(['mailbox_id', 'kind']);
    });
  },
  async down(db) {
    await db.schema.dropTable('credentials');
    await db.schema.dropTable('addresses');
    await db.schema.dropTable('mailboxes');
  },
}];

/** Every table of the directory, in order. */
const operatorMigrations: Migration[] = [{
  name: '20261124_32_directory_operator_credentials',
  async up(db) {
    /** How operators authenticate to the operator API: a token (its SHA-256 kept) or a pinned client certificate. */
    await db.schema.createTable('operator_credentials', (table) => {
      table.increments('id');
      table.string('name', 64).notNullable();
      /** token | certificate */
      table.string('kind', 16).notNullable();
      /** SHA-256 (hex) of the token, or of the client certificate (DER). */
      table.string('sha256', 64).notNullable().unique();
      table.string('created_at', 32).notNullable();
      table.string('created_by', 320).notNullable();
      table.string('last_used_at', 32);
      table.string('revoked_at', 32);
    });
  },
  async down(db) {
    await db.schema.dropTable('operator_credentials');
  },
}];

export const directoryMigrations: Migration[] = [
  ...mailboxMigrations, ...registryMigrations, ...operatorMigrations, ...searchMigrations, ...lifecycleMigrations,
  ...registryImportMigrations, ...ldapMigrations,
];
