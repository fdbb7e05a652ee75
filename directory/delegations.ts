/**
 * Delegations: who may read, send as, or manage which box, from when to when. Members of
 * an organisational box are open-ended delegations with role `member`; a secretary or a
 * colleague covering an absence gets a `delegate` one with an end date. The IMAP shared
 * namespace and the submission rules ask `rightsOf` what a user may do now.
 */
import type { Knex } from 'knex';
import type { AuditTrail } from '../core/audit.js';
import type { Clock } from '../core/clock.js';
import { toIso } from '../core/database.js';
import { HygieError } from '../core/errors.js';
import { recordMailboxEvent } from './mailbox-events.js';
import { insertedId } from './mailbox-rows.js';
import type { MailboxService } from './mailbox-service.js';
import type { AuthContext, Delegation, DelegationRight } from './types.js';

const RIGHTS: readonly DelegationRight[] = ['read', 'send', 'manage'];

export interface NewDelegation {
  /** The box being shared. */
  mailbox: number | string;
  /** The box of the person who gets access (any of its addresses). */
  delegate: number | string;
  role: Delegation['role'];
  rights: readonly string[];
  validFrom?: Date;
  validUntil?: Date;
  actor: string;
  channel?: AuthContext['channel'];
}

export class DelegationService {
  private readonly db: Knex;
  private readonly clock: Clock;
  private readonly audit: AuditTrail;
  private readonly mailboxes: MailboxService;

  constructor(options: { db: Knex; clock: Clock; audit: AuditTrail; mailboxes: MailboxService }) {
    this.db = options.db;
    this.clock = options.clock;
    this.audit = options.audit;
    this.mailboxes = options.mailboxes;
  }

  async grant(input: NewDelegation): Promise<Delegation> {
    const rights = parseRights(input.rights);
    const mailbox = await this.mailboxes.requireMailbox(input.mailbox);
    const delegate = await this.mailboxes.requireMailbox(input.delegate);
    for (const box of [mailbox, delegate]) {
      if (box.status === 'deleted') throw new HygieError('MAILBOX_DELETED', `mailbox ${box.id} was deleted on ${box.deletedAt}`);
    }
    if (mailbox.id === delegate.id) throw new HygieError('INVALID_INPUT', 'a box cannot be delegated to itself');
    if (input.role === 'member' && mailbox.type !== 'ORG') throw new HygieError('INVALID_INPUT', 'only organisational boxes have members; use a delegation');
    if (delegate.type !== 'PER') throw new HygieError('INVALID_INPUT', 'delegates are people: the delegate must be a personal box');
    const now = this.clock.now();
    const validFrom = input.validFrom ?? now;
    if (input.validUntil && input.validUntil <= validFrom) throw new HygieError('INVALID_INPUT', 'the end of a delegation must come after its start');
    if (input.validUntil && input.validUntil <= now) throw new HygieError('INVALID_INPUT', 'the end of a delegation must be in the future');

    const id = await this.db.transaction(async (trx) => {
      const existing = await this.current(trx, now).where({ mailbox_id: mailbox.id, delegate_mailbox_id: delegate.id }).first();
      if (existing) throw new HygieError('INVALID_INPUT', `mailbox ${delegate.id} already has delegation #${existing.id} on mailbox ${mailbox.id}: revoke it first`);
      const [row] = await trx('delegations').insert({
        mailbox_id: mailbox.id, delegate_mailbox_id: delegate.id, role: input.role, rights: rights.join(','),
        valid_from: toIso(validFrom), valid_until: input.validUntil ? toIso(input.validUntil) : null,
        created_at: toIso(now), created_by: input.actor, revoked_at: null,
      }).returning('id');
      const delegationId = insertedId(row);
      const details = { delegation: delegationId, delegate: delegate.id, role: input.role, rights, validUntil: input.validUntil ? toIso(input.validUntil) : null };
      await recordMailboxEvent(trx, { mailboxId: mailbox.id, at: toIso(now), kind: 'delegation-added', actor: input.actor, details });
      await this.audit.record({ action: 'delegation.grant', outcome: 'success', actor: input.actor, subject: String(mailbox.id), channel: input.channel ?? 'cli', details }, trx);
      return delegationId;
    });
    return this.require(id);
  }

  async revoke(id: number, actor: string, channel: AuthContext['channel'] = 'cli'): Promise<Delegation> {
    const delegation = await this.require(id);
    if (delegation.revokedAt) throw new HygieError('INVALID_INPUT', `delegation #${id} was already revoked on ${delegation.revokedAt}`);
    const now = toIso(this.clock.now());
    await this.db.transaction(async (trx) => {
      await trx('delegations').where({ id }).update({ revoked_at: now });
      const details = { delegation: id, delegate: delegation.delegateMailboxId };
      await recordMailboxEvent(trx, { mailboxId: delegation.mailboxId, at: now, kind: 'delegation-removed', actor, details });
      await this.audit.record({ action: 'delegation.revoke', outcome: 'success', actor, subject: String(delegation.mailboxId), channel, details }, trx);
    });
    return this.require(id);
  }

  /** Every delegation of a box, current and past. */
  async list(mailbox: number | string): Promise<Delegation[]> {
    const box = await this.mailboxes.requireMailbox(mailbox);
    return (await this.db('delegations').where({ mailbox_id: box.id }).orderBy('id')).map(toDelegation);
  }

  /** The boxes a user may act on now through delegations, with the rights on each. */
  async rightsOf(delegateMailboxId: number): Promise<Array<{ mailboxId: number; rights: DelegationRight[] }>> {
    const rows = await this.current(this.db, this.clock.now()).where({ delegate_mailbox_id: delegateMailboxId });
    return rows.map((row: Record<string, unknown>) => ({ mailboxId: Number(row.mailbox_id), rights: parseRights(String(row.rights).split(',')) }));
  }

  async require(id: number): Promise<Delegation> {
    const row = await this.db('delegations').where({ id }).first();
    if (!row) throw new HygieError('DELEGATION_NOT_FOUND', `no delegation #${id}`);
    return toDelegation(row);
  }

  private current(db: Knex | Knex.Transaction, now: Date): Knex.QueryBuilder {
    const at = toIso(now);
    return db('delegations').whereNull('revoked_at').where('valid_from', '<=', at)
      .where((q) => q.whereNull('valid_until').orWhere('valid_until', '>', at));
  }
}

function parseRights(input: readonly string[]): DelegationRight[] {
  const words = input.flatMap((r) => r.split(',')).map((r) => r.trim().toLowerCase()).filter(Boolean);
  const unknown = words.filter((w) => !RIGHTS.includes(w as DelegationRight));
  if (unknown.length > 0) throw new HygieError('INVALID_INPUT', `unknown right(s) ${unknown.join(', ')}: use read, send, manage`);
  if (words.length === 0) throw new HygieError('INVALID_INPUT', 'at least one right is needed: read, send or manage');
  return RIGHTS.filter((r) => words.includes(r));
}

function toDelegation(row: Record<string, unknown>): Delegation {
  return {
    id: Number(row.id), mailboxId: Number(row.mailbox_id), delegateMailboxId: Number(row.delegate_mailbox_id),
    role: row.role as Delegation['role'], rights: String(row.rights).split(',') as DelegationRight[],
    validFrom: String(row.valid_from), validUntil: (row.valid_until as string | null) ?? null,
    createdAt: String(row.created_at), createdBy: String(row.created_by), revokedAt: (row.revoked_at as string | null) ?? null,
  };
}
