/**
 * The certificate store's tables. Dates are ISO strings (sortable, the same on SQLite and
 * PostgreSQL); DER and key bytes are binary (BLOB / bytea). Deleting a certificate deletes
 * its addresses, its private key and its trust-anchor entries.
 */
import type { Migration } from '../../core/database.js';

export const certStoreMigrations: Migration[] = [{
  name: '20261124_30_certs_store',
  async up(db) {
    await db.schema.createTable('certificates', (table) => {
      table.increments('id');
      table.string('sha256', 64).notNullable().unique();
      table.binary('der').notNullable();
      table.text('subject').notNullable();
      table.text('issuer').notNullable();
      table.string('serial', 128).notNullable();
      table.string('not_before', 32).notNullable();
      table.string('not_after', 32).notNullable().index();
      table.boolean('can_sign').notNullable();
      table.boolean('can_encrypt').notNullable();
      table.boolean('email_protection').notNullable();
      table.boolean('is_ca').notNullable();
      table.string('key_algorithm', 32).notNullable();
      // 'imported' | 'issued' | 'seen-in-signed-mail' | 'directory': how it first arrived.
      table.string('source', 24).notNullable();
      table.string('first_seen_at', 32).notNullable();
      table.string('last_seen_at', 32).notNullable();
    });
    await db.schema.createTable('certificate_addresses', (table) => {
      table.integer('certificate_id').notNullable().references('id').inTable('certificates').onDelete('CASCADE');
      // Lower-cased on the way in, so lookups are an index equality.
      table.string('address', 320).notNullable().index();
      table.primary(['certificate_id', 'address']);
    });
    await db.schema.createTable('private_keys', (table) => {
      table.integer('certificate_id').primary().references('id').inTable('certificates').onDelete('CASCADE');
      // 'none': PKCS#8 DER in clear; 'aes-256-gcm': sealed under the secret named by secret_id.
      table.string('encryption', 16).notNullable();
      table.string('secret_id', 64);
      table.binary('data').notNullable();
      table.string('stored_at', 32).notNullable();
    });
    await db.schema.createTable('trust_anchors', (table) => {
      table.increments('id');
      table.integer('certificate_id').notNullable().references('id').inTable('certificates').onDelete('CASCADE');
      // 'tls-peer' | 'smime'
      table.string('purpose', 16).notNullable();
      table.string('added_by', 320).notNullable();
      table.string('added_at', 32).notNullable();
      table.unique(['certificate_id', 'purpose']);
      table.index(['purpose']);
    });
  },
  async down(db) {
    await db.schema.dropTable('trust_anchors');
    await db.schema.dropTable('private_keys');
    await db.schema.dropTable('certificate_addresses');
    await db.schema.dropTable('certificates');
  },
}];
