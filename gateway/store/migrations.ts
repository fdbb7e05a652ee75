/**
 * The message store's tables: folders, messages and the change journal (modseq); then
 * what a 10 000-message mailbox needs to be served fast (cached IMAP descriptions, search
 * text, per-folder counters) and the per-box storage quota; then the bodies themselves.
 */
import type { Migration } from '../../core/database.js';
import { messageBlobsMigration } from './message-blobs.js';

export const storeMigrations: Migration[] = [{
  name: '20261124_20_gateway_store',
  async up(db) {
    await db.schema.createTable('folders', (table) => {
      table.increments('id');
      table.integer('mailbox_id').notNullable().references('id').inTable('mailboxes').onDelete('CASCADE');
      table.string('name', 512).notNullable();
      table.string('special_use', 16);
      table.bigInteger('uid_validity').notNullable();
      table.bigInteger('uid_next').notNullable().defaultTo(1);
      table.bigInteger('highest_modseq').notNullable().defaultTo(1);
      table.boolean('subscribed').notNullable().defaultTo(true);
      table.unique(['mailbox_id', 'name']);
    });
    await db.schema.createTable('messages', (table) => {
      table.bigIncrements('id');
      table.integer('folder_id').notNullable().references('id').inTable('folders').onDelete('CASCADE');
      table.bigInteger('uid').notNullable();
      table.bigInteger('modseq').notNullable();
      table.text('flags').notNullable().defaultTo('');
      table.string('internal_date', 32).notNullable();
      table.bigInteger('size').notNullable();
      table.string('blob_id', 64).notNullable();
      table.text('subject').notNullable().defaultTo('');
      table.text('from_text').notNullable().defaultTo('');
      table.string('message_id', 998);
      table.string('sent_at', 32);
      table.unique(['folder_id', 'uid']);
    });
    await db.schema.createTable('message_changes', (table) => {
      table.bigIncrements('id');
      table.integer('folder_id').notNullable().references('id').inTable('folders').onDelete('CASCADE');
      table.bigInteger('modseq').notNullable();
      table.bigInteger('uid').notNullable();
      table.string('kind', 8).notNullable();
      table.text('flags');
      table.index(['folder_id', 'modseq']);
    });
  },
  async down(db) {
    await db.schema.dropTable('message_changes');
    await db.schema.dropTable('messages');
    await db.schema.dropTable('folders');
  },
}, {
  name: '20261124_60_gateway_store_index_quota',
  async up(db) {
    await db.schema.alterTable('messages', (table) => {
      // IMAP wire form of ENVELOPE / BODYSTRUCTURE, filled at delivery (NULL for older rows: computed on first FETCH).
      table.text('envelope');
      table.text('body_structure');
    });
    // Decoded, lower-cased text for SEARCH, once per body (copies share it, as they share the file).
    await db.schema.createTable('message_texts', (table) => {
      table.string('blob_id', 64).primary();
      table.text('header_text').notNullable();
      table.text('body_text').notNullable();
    });
    await db.schema.alterTable('folders', (table) => {
      table.bigInteger('message_count').notNullable().defaultTo(0);
      table.bigInteger('total_size').notNullable().defaultTo(0);
    });
    await db('folders').update({
      message_count: db('messages').count('*').where('messages.folder_id', db.ref('folders.id')),
      total_size: db('messages').select(db.raw('coalesce(sum(size), 0)')).where('messages.folder_id', db.ref('folders.id')),
    });
    // A limit per box when it differs from the configured default.
    await db.schema.createTable('mailbox_quotas', (table) => {
      table.integer('mailbox_id').primary().references('id').inTable('mailboxes').onDelete('CASCADE');
      table.bigInteger('storage_limit').notNullable();
    });
    // The last UIDVALIDITY given to a folder of the box: a new folder always gets a greater one.
    await db.schema.createTable('mailbox_uid_validity', (table) => {
      table.integer('mailbox_id').primary().references('id').inTable('mailboxes').onDelete('CASCADE');
      table.bigInteger('last_value').notNullable();
    });
    const highest = await db('folders').groupBy('mailbox_id').select('mailbox_id').max({ last_value: 'uid_validity' });
    for (let i = 0; i < highest.length; i += 200) await db('mailbox_uid_validity').insert(highest.slice(i, i + 200));
  },
  async down(db) {
    await db.schema.dropTable('mailbox_uid_validity');
    await db.schema.dropTable('mailbox_quotas');
    await db.schema.alterTable('folders', (table) => {
      table.dropColumn('total_size');
      table.dropColumn('message_count');
    });
    await db.schema.dropTable('message_texts');
    await db.schema.alterTable('messages', (table) => {
      table.dropColumn('body_structure');
      table.dropColumn('envelope');
    });
  },
}, messageBlobsMigration, {
  name: '20261124_62_gateway_store_message_id_index',
  /**
   * A message found by its Message-ID in a folder: the Sent copy the gateway keeps and the
   * one the mail client appends are the same message. Without this index that lookup read
   * every message of the folder, once per submission.
   */
  async up(db) {
    await db.raw('CREATE INDEX messages_folder_message_id ON messages (folder_id, message_id) WHERE message_id IS NOT NULL');
  },
  async down(db) {
    await db.raw('DROP INDEX messages_folder_message_id');
  },
}];
