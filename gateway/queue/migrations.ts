/**
 * The durable outbound queue: one row per message copy (its bytes in `message_blobs`) and
 * one row per recipient, which carries the delivery state, the retry schedule and the
 * lease of the worker delivering it (a lease that runs out — a crashed process — makes
 * the recipient claimable again).
 */
import type { Migration } from '../../core/database.js';
import { messageBlobsMigration } from '../store/message-blobs.js';

export const queueMigrations: Migration[] = [{
  name: '20261124_50_gateway_queue',
  async up(db) {
    await db.schema.createTable('outbound_messages', (table) => {
      table.increments('id');
      table.string('blob_id', 64).notNullable().index();
      /** Envelope sender; '' is the null sender of DSNs (never bounced again). */
      table.string('envelope_from', 320).notNullable();
      table.text('message_id');
      table.integer('size').notNullable();
      /** The route (network profile) this copy goes through. */
      table.string('route', 64).notNullable();
      table.integer('submitted_by');
      table.string('created_at', 32).notNullable();
      table.string('expires_at', 32).notNullable();
      /** DSN parameters from MAIL FROM (RFC 3461): RET=FULL|HDRS and ENVID. */
      table.string('dsn_ret', 4);
      table.string('dsn_envid', 100);
    });
    await db.schema.createTable('outbound_recipients', (table) => {
      table.increments('id');
      table.integer('message_row_id').notNullable().references('id').inTable('outbound_messages').onDelete('CASCADE').index();
      table.string('recipient', 320).notNullable();
      table.string('domain', 255).notNullable().index();
      /** queued | delivering | delivered | failed | expired */
      table.string('status', 16).notNullable();
      table.integer('attempts').notNullable().defaultTo(0);
      table.string('next_attempt_at', 32).notNullable();
      table.string('lease_owner', 64);
      table.string('lease_until', 32);
      table.text('last_error');
      table.string('last_attempt_at', 32);
      table.string('delay_warned_at', 32);
      table.string('final_at', 32);
      /** RFC 3461 NOTIFY (comma list of SUCCESS, FAILURE, DELAY, or NEVER) and ORCPT. */
      table.string('dsn_notify', 32);
      table.string('dsn_orcpt', 400);
      table.index(['status', 'next_attempt_at']);
    });
  },
  async down(db) {
    await db.schema.dropTable('outbound_recipients');
    await db.schema.dropTable('outbound_messages');
  },
}, messageBlobsMigration];
