/**
 * A box's history: every change an operator, the owner or the lifecycle makes, in the
 * order it happened, kept after the box is deleted (the audit trail holds the same
 * actions with connection details; this table answers "what happened to this box").
 */
import type { Knex } from 'knex';
import type { MailboxEvent } from './types.js';

export type MailboxEventKind =
  | 'created' | 'published' | 'unpublished' | 'deleted' | 'notice' | 'updated'
  | 'delegation-added' | 'delegation-removed' | 'credentials-reset';

export interface NewMailboxEvent {
  mailboxId: number;
  at: string;
  kind: MailboxEventKind;
  actor: string;
  reason?: string | null;
  details?: Record<string, unknown>;
}

export async function recordMailboxEvent(db: Knex | Knex.Transaction, event: NewMailboxEvent): Promise<void> {
  await db('mailbox_events').insert({
    mailbox_id: event.mailboxId, at: event.at, kind: event.kind, actor: event.actor,
    reason: event.reason ?? null, details: event.details ? JSON.stringify(event.details) : null,
  });
}

export async function mailboxHistory(db: Knex, mailboxId: number): Promise<MailboxEvent[]> {
  const rows = await db('mailbox_events').where({ mailbox_id: mailboxId }).orderBy('id');
  return rows.map((row) => ({
    at: row.at, kind: row.kind, actor: row.actor, reason: row.reason,
    details: row.details ? JSON.parse(row.details) as Record<string, unknown> : {},
  }));
}
