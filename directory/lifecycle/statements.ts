/**
 * One step of the lifecycle (unpublish or delete) over every box at once: a few
 * INSERT…SELECT and UPDATE…WHERE statements, run in the sweep's transaction, in this
 * order for each step:
 *  1. the step itself, for boxes whose delivered notice of the current cycle is due;
 *  2. reminders, for delivered notices whose step comes within `reminderDays`;
 *  3. notices, for boxes whose step comes within `noticeDays` and that have none yet.
 * Each first lists the boxes it concerns (box-list.ts: the boxes silent long enough, in
 * mailbox order, then their notices), then writes for exactly those, in mailbox order. Each skips what is already done, so a second sweep changes nothing.
 * The cycle of a notice is the connection it was computed from: a login starts a new one.
 * Thresholds are computed here and compared as ISO strings.
 */
import type { Knex } from 'knex';
import { BOX_LIST, SILENT, silentBoxes, type BoxList, type BoxRef } from './box-list.js';
import { addDays, LIFECYCLE_ACTOR, type LifecycleStep, type StepRule } from './rules.js';
import { CONNECTION, raw, sql, type LifecycleDialect, type Sql } from './sql.js';
import type { StepCounts } from './types.js';

interface StepDefinition {
  /** Boxes this step may still happen to. */
  subject(d: LifecycleDialect): Sql;
  /** What the step changes in `mailboxes`. */
  change(d: LifecycleDialect, now: string): Sql;
  event: 'unpublished' | 'deleted';
  /** After the change: what else follows from it for the boxes listed (`changed`: their ids). */
  aftermath?(now: string, changed: Sql): Sql[];
}

const STEPS: Record<LifecycleStep, StepDefinition> = {
  unpublish: {
    // Unlisted boxes are not published anyway; boxes unpublished for any reason have nothing to lose.
    subject: (d) => sql`mailboxes.status = 'active' AND mailboxes.published = ${d.TRUE} AND mailboxes.unlisted = ${d.FALSE}`,
    change: (d, now) => sql`published = ${d.FALSE}, unpublished_reason = 'inactive', unpublished_at = ${now}`,
    event: 'unpublished',
  },
  delete: {
    // Boxes unpublished by an operator or unlisted are still deleted when silent.
    subject: () => sql`mailboxes.status = 'active'`,
    change: (d, now) => sql`status = 'deleted', deleted_at = ${now}, published = ${d.FALSE},
      unpublished_at = COALESCE(unpublished_at, ${now}), unpublished_reason = COALESCE(unpublished_reason, 'inactive')`,
    event: 'deleted',
    // A deleted box can no longer log in, and nobody acts for it any more (as an operator's deletion, publication.ts).
    aftermath: (now, deleted) => [
      sql`DELETE FROM credentials WHERE mailbox_id IN (${deleted})`,
      sql`UPDATE delegations SET revoked_at = ${now}
           WHERE revoked_at IS NULL AND (mailbox_id IN (${deleted}) OR delegate_mailbox_id IN (${deleted}))`,
    ],
  },
};

interface StepThresholds {
  now: string;
  /** The step may happen to boxes created before this and silent since before this. */
  stepCreatedBefore: string;
  stepSilentSince: string;
  /** The notice goes to boxes created before this and silent since before this. */
  noticeCreatedBefore: string;
  noticeSilentSince: string;
  /** A notice recorded now cannot fall due before this. */
  earliestDue: string;
  /** Reminders go out for steps due before this (so for boxes created and silent since before these). */
  remindBefore: string;
  remindCreatedBefore: string;
  remindSilentSince: string;
}

function stepThresholds(rule: StepRule, now: Date): StepThresholds {
  const iso = (days: number): string => addDays(now, days).toISOString();
  return {
    now: now.toISOString(),
    stepCreatedBefore: iso(-rule.minimumAgeDays),
    stepSilentSince: iso(-rule.silenceDays),
    noticeCreatedBefore: iso(rule.noticeDays - rule.minimumAgeDays),
    noticeSilentSince: iso(rule.noticeDays - rule.silenceDays),
    earliestDue: iso(rule.minimumNoticeDays),
    remindBefore: iso(rule.reminderDays),
    remindCreatedBefore: iso(rule.reminderDays - rule.minimumAgeDays),
    remindSilentSince: iso(rule.reminderDays - rule.silenceDays),
  };
}

/** Boxes a step may still happen to (a notice for any other box is obsolete). */
export function stepSubject(d: LifecycleDialect, step: LifecycleStep): Sql {
  return STEPS[step].subject(d);
}

/** Runs the three statements of one step; the transaction must hold the sweep's lock and `list`. */
export async function applyStep(
  trx: Knex.Transaction, d: LifecycleDialect, list: BoxList, step: LifecycleStep, rule: StepRule, now: Date,
): Promise<StepCounts> {
  const definition = STEPS[step];
  const t = stepThresholds(rule, now);
  const subject = stepSubject(d, step);
  /** The notices of this step for a box, in the box's current cycle. */
  const currentNotice = (alias: string, box: BoxRef): Sql => sql`${raw(alias)}.mailbox_id = ${box.id}
    AND ${raw(alias)}.step = ${step} AND ${raw(alias)}.cycle_from = ${box.connection}`;
  const listedBox: BoxRef = { id: raw('mailboxes.id'), connection: CONNECTION };
  const listed = sql`SELECT mailbox_id FROM ${BOX_LIST}`;
  // The boxes listed, in mailbox order, with their row: a walk through the table, page after page.
  const listedBoxes = sql`${BOX_LIST} b JOIN mailboxes ON mailboxes.id = b.mailbox_id`;

  // 1. The step: the rule still holds (it is checked again in case the rules changed) and the notice was delivered and is due.
  let done = 0;
  const due = await list.fill(sql`${silentBoxes(subject, t.stepCreatedBefore, t.stepSilentSince)}
    SELECT silent.id FROM silent
     WHERE EXISTS (SELECT 1 FROM lifecycle_notices n WHERE ${currentNotice('n', SILENT)} AND n.kind = 'notice'
                   AND n.delivery = 'delivered' AND n.due_at <= ${t.now})`);
  if (due > 0) {
    const details = raw(`'{"rule":${JSON.stringify({ minimumAgeDays: rule.minimumAgeDays, silenceDays: rule.silenceDays })},"silentSince":"'`);
    const reason = `no connection for ${rule.silenceDays} days (lifecycle rule)`;
    // History first, then the change: both for exactly the boxes listed.
    await d.run(trx, sql`INSERT INTO mailbox_events (mailbox_id, at, kind, actor, reason, details)
      SELECT mailboxes.id, ${t.now}, ${definition.event}, ${LIFECYCLE_ACTOR}, ${reason}, ${details} || ${CONNECTION} || '"}'
        FROM ${listedBoxes} ORDER BY b.mailbox_id`);
    done = await d.run(trx, sql`UPDATE mailboxes SET ${definition.change(d, t.now)} WHERE mailboxes.id IN (${listed})`);
    for (const statement of definition.aftermath?.(t.now, listed) ?? []) await d.run(trx, statement);
  }

  // 2. Reminders: before notices, so that a notice and its reminder never go out in one sweep.
  const reminderOnce = (box: BoxRef): { unless: Sql; onConflict: Sql } =>
    d.insertOnce(sql`EXISTS (SELECT 1 FROM lifecycle_notices r WHERE ${currentNotice('r', box)} AND r.kind = 'reminder')`);
  const deliveredNotice = (box: BoxRef): Sql =>
    sql`JOIN lifecycle_notices n ON ${currentNotice('n', box)} AND n.kind = 'notice' AND n.delivery = 'delivered'`;
  let reminders = 0;
  const remind = await list.fill(sql`${silentBoxes(subject, t.remindCreatedBefore, t.remindSilentSince)}
    SELECT silent.id FROM silent ${deliveredNotice(SILENT)}
     WHERE n.due_at > ${t.now} AND n.due_at <= ${t.remindBefore} AND ${reminderOnce(SILENT).unless}`);
  if (remind > 0) {
    // The reminder repeats its notice's date.
    reminders = await d.run(trx, sql`INSERT INTO lifecycle_notices (mailbox_id, step, kind, due_at, sent_at, cycle_from, delivery, attempts)
      SELECT mailboxes.id, ${step}, 'reminder', n.due_at, ${t.now}, n.cycle_from, 'pending', 0
        FROM ${listedBoxes} ${deliveredNotice(listedBox)} ORDER BY b.mailbox_id ${reminderOnce(listedBox).onConflict}`);
  }

  // 3. Notices: the step date, moved if this notice comes late so that the owner still gets `minimumNoticeDays`.
  const stepDate = d.greatest(
    d.plusDays(raw('mailboxes.created_at'), rule.minimumAgeDays),
    d.plusDays(CONNECTION, rule.silenceDays),
    sql`${t.earliestDue}`,
  );
  const noticeOnce = (box: BoxRef): { unless: Sql; onConflict: Sql } =>
    d.insertOnce(sql`EXISTS (SELECT 1 FROM lifecycle_notices n WHERE ${currentNotice('n', box)} AND n.kind = 'notice')`);
  let notices = 0;
  const notify = await list.fill(sql`${silentBoxes(subject, t.noticeCreatedBefore, t.noticeSilentSince)}
    SELECT silent.id FROM silent WHERE ${noticeOnce(SILENT).unless}`);
  if (notify > 0) {
    // In mailbox order, so that delivery, which goes by notice id, reads the boxes in order too.
    notices = await d.run(trx, sql`INSERT INTO lifecycle_notices (mailbox_id, step, kind, due_at, sent_at, cycle_from, delivery, attempts)
      SELECT mailboxes.id, ${step}, 'notice', ${stepDate}, ${t.now}, ${CONNECTION}, 'pending', 0
        FROM ${listedBoxes} ORDER BY b.mailbox_id ${noticeOnce(listedBox).onConflict}`);
  }

  return { notices, reminders, done };
}
