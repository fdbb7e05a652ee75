/**
 * A connection ends a box's silence: if the lifecycle had unpublished it, it goes back
 * into the directory at once. Called by the authentication path inside its transaction,
 * after it recorded `last_login_at` (which also starts a new notice cycle: pending
 * notices of the old one are dropped at the next sweep). Boxes an operator unpublished,
 * or whose owner asked to be unlisted, stay as they are.
 */
import type { Knex } from 'knex';
import { recordMailboxEvent } from '../mailbox-events.js';
import { LIFECYCLE_ACTOR } from './rules.js';

export async function republishOnConnection(trx: Knex.Transaction, mailboxId: number, now: Date): Promise<boolean> {
  const changed = await trx('mailboxes')
    .where({ id: mailboxId, status: 'active', published: false, unpublished_reason: 'inactive' })
    .update({ published: true, unpublished_at: null, unpublished_reason: null });
  if (changed === 0) return false;
  await recordMailboxEvent(trx, { mailboxId, at: now.toISOString(), kind: 'published', actor: LIFECYCLE_ACTOR, reason: 'connection after inactivity' });
  return true;
}

/**
 * The same for an access that is not the box's own login — a member opening an
 * organisational box in the shared namespace — which counts as a connection of that box.
 */
export async function recordConnection(trx: Knex.Transaction, mailboxId: number, now: Date): Promise<boolean> {
  await trx('mailboxes').where({ id: mailboxId }).update({ last_login_at: now.toISOString() });
  return republishOnConnection(trx, mailboxId, now);
}
