/** The routing tables: the MSSanté trust list as last loaded. */
import type { Migration } from '../../core/database.js';

export const routingMigrations: Migration[] = [{
  name: '20261124_55_gateway_trust_list',
  async up(db) {
    await db.schema.createTable('trust_list_domains', (table) => {
      /** ASCII (punycode) lower-case. */
      table.string('domain', 255).primary();
    });
    await db.schema.createTable('trust_list_loads', (table) => {
      table.increments('id');
      table.string('source', 1024).notNullable();
      table.string('generated_at', 64);
      table.string('loaded_at', 32).notNullable();
      table.integer('domains').notNullable();
      table.integer('added').notNullable();
      table.integer('removed').notNullable();
      table.string('actor', 320).notNullable();
    });
  },
  async down(db) {
    await db.schema.dropTable('trust_list_loads');
    await db.schema.dropTable('trust_list_domains');
  },
}];
