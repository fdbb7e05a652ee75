/** Mailbox rows as the database holds them, and their mapping to the directory's public summaries. */
import type { Knex } from 'knex';
import { toBoolean } from '../core/database.js';
import type { KeyReads } from '../core/key-reads.js';
import type { MailboxAddress, MailboxStatus, MailboxSummary, MailboxType, UnpublishedReason } from './types.js';

export interface MailboxRow {
  id: number;
  type: MailboxType;
  display_name: string;
  first_name: string | null;
  last_name: string | null;
  rpps: string | null;
  adeli: string | null;
  profession: string | null;
  is_health: number | boolean;
  published: number | boolean;
  created_at: string;
  last_login_at: string | null;
  professional_id: number | null;
  structure_id: number | null;
  description: string | null;
  status: MailboxStatus;
  unlisted: number | boolean;
  unpublished_at: string | null;
  unpublished_reason: UnpublishedReason | null;
  deleted_at: string | null;
  notification_address: string | null;
}

/** Summaries of the given rows, each with its addresses (one query for all). */
export async function summariesOf(db: Knex | Knex.Transaction, rows: MailboxRow[]): Promise<MailboxSummary[]> {
  if (rows.length === 0) return [];
  return summariesWith(rows, await db('addresses').whereIn('mailbox_id', rows.map((r) => r.id)).orderBy('id'));
}

/** One box by id, read by key (core/key-reads.ts). */
export async function mailboxById(reads: KeyReads, id: number): Promise<MailboxSummary | undefined> {
  const rows = await reads.rows<MailboxRow>('SELECT * FROM mailboxes WHERE id = ?', [id]);
  if (rows.length === 0) return undefined;
  return summariesWith(rows, await reads.rows<AddressRow>('SELECT mailbox_id, address, network FROM addresses WHERE mailbox_id = ? ORDER BY id', [id]))[0];
}

interface AddressRow { mailbox_id: number; address: string; network: MailboxAddress['network'] }

function summariesWith(rows: readonly MailboxRow[], addressRows: readonly AddressRow[]): MailboxSummary[] {
  const byMailbox = new Map<number, MailboxAddress[]>();
  for (const a of addressRows) {
    const list = byMailbox.get(Number(a.mailbox_id)) ?? [];
    list.push({ address: a.address, network: a.network });
    byMailbox.set(Number(a.mailbox_id), list);
  }
  return rows.map((row) => ({
    id: Number(row.id),
    type: row.type,
    displayName: row.display_name,
    firstName: row.first_name,
    lastName: row.last_name,
    rpps: row.rpps,
    adeli: row.adeli,
    profession: row.profession,
    isHealthProfessional: toBoolean(row.is_health),
    published: toBoolean(row.published),
    createdAt: row.created_at,
    lastLoginAt: row.last_login_at,
    professionalId: row.professional_id === null ? null : Number(row.professional_id),
    structureId: row.structure_id === null ? null : Number(row.structure_id),
    description: row.description,
    status: row.status,
    unlisted: toBoolean(row.unlisted),
    unpublishedAt: row.unpublished_at,
    unpublishedReason: row.unpublished_reason,
    deletedAt: row.deleted_at,
    notificationAddress: row.notification_address,
    addresses: byMailbox.get(Number(row.id)) ?? [],
  }));
}

/** The id of an inserted row, whatever the driver returns (SQLite: number; PostgreSQL: { id }). */
export function insertedId(row: unknown): number {
  return Number(typeof row === 'object' && row !== null ? (row as { id: number }).id : row);
}
