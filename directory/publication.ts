/**
 * What operators do by hand to a box's place in the directory, always with a reason:
 * publish, unpublish (or unlist at the owner's request), delete. The lifecycle engine
 * (directory/lifecycle/) does the automatic counterparts; both write the box's history.
 */
import type { Knex } from 'knex';
import type { AuditTrail } from '../core/audit.js';
import type { Clock } from '../core/clock.js';
import { toIso } from '../core/database.js';
import { HygieError } from '../core/errors.js';
import { mailboxHistory, recordMailboxEvent, type MailboxEventKind } from './mailbox-events.js';
import type { MailboxService } from './mailbox-service.js';
import type { AuthContext, MailboxEvent, MailboxSummary } from './types.js';

export interface OperatorAction {
  /** Why, in the operator's words: kept in the history and the audit trail. */
  reason: string;
  actor: string;
  channel?: AuthContext['channel'];
}

export class PublicationService {
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

  async publish(ref: number | string, action: OperatorAction): Promise<MailboxSummary> {
    const box = await this.activeBox(ref, action);
    if (box.published) throw new HygieError('MAILBOX_STATE', `mailbox ${box.id} is already published`);
    return this.change(box, 'published', action, { published: true, unlisted: false, unpublished_at: null, unpublished_reason: null });
  }

  /** `unlisted`: the owner refuses publication (liste rouge), which the lifecycle then never undoes. */
  async unpublish(ref: number | string, action: OperatorAction & { unlisted?: boolean }): Promise<MailboxSummary> {
    const box = await this.activeBox(ref, action);
    const reason = action.unlisted ? 'unlisted' : 'operator';
    if (!box.published && box.unpublishedReason === reason) throw new HygieError('MAILBOX_STATE', `mailbox ${box.id} is already unpublished (${reason})`);
    return this.change(box, 'unpublished', action, {
      published: false, unlisted: action.unlisted ?? false, unpublished_at: toIso(this.clock.now()), unpublished_reason: reason,
    });
  }

  /**
   * Deletion: the box leaves the directory, its credentials and delegations end, and mail
   * to its addresses is refused (they stay reserved so nobody else gets them).
   */
  async delete(ref: number | string, action: OperatorAction): Promise<MailboxSummary> {
    const box = await this.activeBox(ref, action);
    const now = toIso(this.clock.now());
    return this.change(box, 'deleted', action, {
      status: 'deleted', deleted_at: now, published: false, unpublished_at: box.unpublishedAt ?? now,
      unpublished_reason: box.unpublishedReason ?? 'operator',
    }, async (trx) => {
      await trx('credentials').where({ mailbox_id: box.id }).delete();
      await trx('delegations').where((q) => q.where({ mailbox_id: box.id }).orWhere({ delegate_mailbox_id: box.id }))
        .whereNull('revoked_at').update({ revoked_at: now });
    });
  }

  async history(ref: number | string): Promise<{ mailbox: MailboxSummary; events: MailboxEvent[] }> {
    const mailbox = await this.mailboxes.requireMailbox(ref);
    return { mailbox, events: await mailboxHistory(this.db, mailbox.id) };
  }

  private async activeBox(ref: number | string, action: OperatorAction): Promise<MailboxSummary> {
    if (!action.reason?.trim()) throw new HygieError('INVALID_INPUT', 'a reason is required for this action');
    const box = await this.mailboxes.requireMailbox(ref);
    if (box.status === 'deleted') throw new HygieError('MAILBOX_DELETED', `mailbox ${box.id} was deleted on ${box.deletedAt}`);
    return box;
  }

  private async change(
    box: MailboxSummary, kind: MailboxEventKind, action: OperatorAction, columns: Record<string, unknown>,
    also?: (trx: Knex.Transaction) => Promise<void>,
  ): Promise<MailboxSummary> {
    const at = toIso(this.clock.now());
    await this.db.transaction(async (trx) => {
      await trx('mailboxes').where({ id: box.id }).update(columns);
      await also?.(trx);
      await recordMailboxEvent(trx, { mailboxId: box.id, at, kind, actor: action.actor, reason: action.reason.trim() });
      await this.audit.record({
        action: `mailbox.${kind === 'deleted' ? 'delete' : kind === 'published' ? 'publish' : 'unpublish'}`, outcome: 'success',
        actor: action.actor, subject: String(box.id), channel: action.channel ?? 'cli', details: { reason: action.reason.trim() },
      }, trx);
    });
    return this.mailboxes.requireMailbox(box.id);
  }
}
