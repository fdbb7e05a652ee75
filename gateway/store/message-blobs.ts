/**
 * Message bodies, content-addressed (SHA-256), in the database table `message_blobs`,
 * written in the transaction of the rows that point at them: when that commit returns the
 * message is durable, with no fsync of its own. The same body delivered to several
 * mailboxes is kept once.
 *
 * Earlier versions kept bodies as files `<dir>/ab/<sha256>`: a body missing from the table
 * is read from there, so a data folder from before keeps all its mail.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import type { Migration } from '../../core/database.js';
import { insertInCommit } from '../../core/write-batcher.js';

/** Shared by the store's and the queue's migrations (the first to run creates the table). */
export const messageBlobsMigration: Migration = {
  name: '20261124_61_gateway_message_blobs',
  async up(db) {
    // Bodies live next to the rows that point at them: one commit makes a message durable
    // (a file per body cost two fsyncs and a folder entry each, a dozen system calls).
    await db.schema.createTable('message_blobs', (table) => {
      table.string('id', 64).primary();
      table.binary('content').notNullable();
    });
  },
  async down(db) {
    await db.schema.dropTable('message_blobs');
  },
};

/** Bodies read per statement: a FETCH of a whole mailbox costs a few dozen statements, not one per message. */
const READ_BATCH = 200;

/**
 * Bodies just written or read are kept in memory up to this many bytes: the queue delivers
 * a message moments after queueing it, and a client reads new mail soon after it arrives.
 * An id always names the same bytes, so a kept body can never be stale.
 */
const RECENT_BYTES = 16 * 1024 * 1024;
/** Larger bodies are not kept: a few would push out hundreds of ordinary ones. */
const RECENT_BODY_MAX = 256 * 1024;

export class MessageBlobs {
  private readonly recent = new Map<string, Buffer>();
  private recentBytes = 0;

  constructor(private readonly db: Knex, private readonly legacyDir?: string) {}

  static idOf(content: Buffer): string {
    return createHash('sha256').update(content).digest('hex');
  }

  /** Adds the body in the caller's transaction (kept once if already there); returns its id (`id` if the caller has it already). */
  async put(trx: Knex.Transaction, content: Buffer, id = MessageBlobs.idOf(content)): Promise<string> {
    await insertInCommit(trx, 'message_blobs', { id, content }, { ignoreConflictOn: 'id' });
    this.remember(id, content);
    return id;
  }

  async get(id: string): Promise<Buffer> {
    const found = await this.getMany([id]);
    return found.get(id) as Buffer;
  }

  /** Every body asked for; an id found nowhere is an error, never a silent gap. */
  async getMany(ids: readonly string[]): Promise<Map<string, Buffer>> {
    const found = new Map<string, Buffer>();
    const unknown: string[] = [];
    for (const id of new Set(ids)) {
      const kept = this.recent.get(id);
      if (kept) found.set(id, kept);
      else unknown.push(id);
    }
    for (let start = 0; start < unknown.length; start += READ_BATCH) {
      const rows: Array<{ id: string; content: Buffer }> = await this.db('message_blobs').whereIn('id', unknown.slice(start, start + READ_BATCH)).select('id', 'content');
      for (const row of rows) {
        found.set(row.id, row.content);
        this.remember(row.id, row.content);
      }
    }
    for (const id of unknown) if (!found.has(id)) found.set(id, await this.legacyFile(id));
    return found;
  }

  private remember(id: string, content: Buffer): void {
    if (content.length > RECENT_BODY_MAX || this.recent.has(id)) return;
    this.recent.set(id, content);
    this.recentBytes += content.length;
    for (const [oldId, old] of this.recent) {
      if (this.recentBytes <= RECENT_BYTES) break;
      this.recent.delete(oldId);
      this.recentBytes -= old.length;
    }
  }

  private async legacyFile(id: string): Promise<Buffer> {
    if (!/^[0-9a-f]{64}$/.test(id)) throw new Error(`invalid blob id ${id}`);
    if (!this.legacyDir) throw new Error(`message body ${id} is missing`);
    try {
      return await fs.readFile(path.join(this.legacyDir, id.slice(0, 2), id));
    } catch (error) {
      throw new Error(`message body ${id} is missing`, { cause: error });
    }
  }
}
