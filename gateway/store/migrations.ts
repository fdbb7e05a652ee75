/** The message store's tables: folders, messages and the change journal (modseq). */
import type { Migration } from '../../core/database.js';

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
}];
