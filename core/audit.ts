/**
 * The audit trail: who did what, to what, from where, with which outcome.
 * Every acceptance, delivery, refusal, login and operator action is written here so
 * that an exchange can be reconstructed in case of dispute. Rows are only ever added.
 */
import type { Knex } from 'knex';
import type { Clock } from './clock.js';
import { toIso, type Migration } from './database.js';
import { insertInCommit, WriteBatcher } from './write-batcher.js';

export type AuditOutcome = 'success' | 'failure';

export interface AuditEvent {
  /** Dotted action name: `smtp.accept`, `smtp.refuse`, `auth.login`, `mailbox.create`, … */
  action: string;
  outcome: AuditOutcome;
  /** Who acted: a login, `operator:<name>`, `system`, or a remote MTA. */
  actor?: string;
  /** What was acted on: a mailbox id, an address, a Message-ID. */
  subject?: string;
  /** Protocol the action came through: smtp, submission, imap, webmail, ldap, cli. */
  channel?: string;
  /** Remote address of the client, when there is one. */
  remoteAddress?: string;
  /** Anything else worth keeping (never passwords, never message bodies). */
  details?: Record<string, unknown>;
}

export interface AuditRecord extends Required<Pick<AuditEvent, 'action' | 'outcome'>> {
  id: number;
  at: string;
  actor: string | null;
  subject: string | null;
  channel: string | null;
  remoteAddress: string | null;
  details: Record<string, unknown>;
}

export const auditMigrations: Migration[] = [{
  name: '20261124_00_core_audit',
  async up(db) {
    await db.schema.createTable('audit_events', (table) => {
      table.bigIncrements('id');
      table.string('at', 32).notNullable().index();
      table.string('action', 64).notNullable().index();
      table.string('outcome', 16).notNullable();
      table.string('actor', 320);
      table.string('subject', 998).index();
      table.string('channel', 32);
      table.string('remote_address', 64);
      table.text('details').notNullable().defaultTo('{}');
    });
  },
  async down(db) { await db.schema.dropTable('audit_events'); },
}];

type AuditRow = Record<'at' | 'action' | 'outcome' | 'actor' | 'subject' | 'channel' | 'remote_address' | 'details', string | null>;

export class AuditTrail {
  private readonly writes: WriteBatcher;

  constructor(private readonly db: Knex, private readonly clock: Clock) {
    this.writes = WriteBatcher.of(db);
  }

  /** Records arriving while a commit is being prepared: written together, in one statement. */
  private pending: { rows: AuditRow[]; written: Promise<void> } | undefined;

  /**
   * Records one event, durably before resolving; pass a transaction to make the record
   * part of the action it describes. Without one, concurrent records share a commit and
   * one multi-row insert.
   */
  async record(event: AuditEvent, trx?: Knex.Transaction): Promise<void> {
    const row = this.rowOf(event);
    if (trx) {
      await insertInCommit(trx, 'audit_events', row);
      return;
    }
    if (!this.pending) {
      const rows: AuditRow[] = [];
      const written = this.writes.run(async (batch) => {
        if (this.pending?.rows === rows) this.pending = undefined; // later records start the next group
        // With the records other jobs of the commit hold: all of a commit's records are written in job order.
        await insertInCommit(batch, 'audit_events', rows);
      });
      this.pending = { rows, written };
    }
    this.pending.rows.push(row);
    return this.pending.written;
  }

  private rowOf(event: AuditEvent): AuditRow {
    return {
      at: toIso(this.clock.now()),
      action: event.action,
      outcome: event.outcome,
      actor: event.actor ?? null,
      subject: event.subject ?? null,
      channel: event.channel ?? null,
      remote_address: event.remoteAddress ?? null,
      details: JSON.stringify(event.details ?? {}),
    };
  }

  /** The newest events first, optionally of one action or about one subject. */
  async list(filter: { action?: string; subject?: string; limit?: number } = {}): Promise<AuditRecord[]> {
    let query = this.db('audit_events').orderBy('id', 'desc').limit(filter.limit ?? 100);
    if (filter.action) query = query.where('action', filter.action);
    if (filter.subject) query = query.where('subject', filter.subject);
    const rows = await query;
    return rows.map((row) => ({
      id: Number(row.id),
      at: row.at,
      action: row.action,
      outcome: row.outcome,
      actor: row.actor,
      subject: row.subject,
      channel: row.channel,
      remoteAddress: row.remote_address,
      details: JSON.parse(row.details) as Record<string, unknown>,
    }));
  }
}
