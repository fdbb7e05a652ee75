/**
 * The dry run's forward view: for each box, what the lifecycle will do and when if its
 * owner does not log in — notices, reminders, unpublication, deletion — read from the
 * database without changing it. The dates follow the sweep's rules (statements.ts,
 * delivery.ts) assuming a sweep a day and notices delivered when recorded; the tests
 * check the plan against what the sweeps then do.
 */
import type { Knex } from 'knex';
import { toBoolean } from '../../core/database.js';
import type { MailboxType } from '../types.js';
import { addDays, DAY_MS, LIFECYCLE_STEPS, type LifecycleRules, type LifecycleStep, type NoticeKind, type StepRule } from './rules.js';
import { CONNECTION, join, raw, selectRows, sql, type LifecycleDialect, type Sql } from './sql.js';
import { stepSubject } from './statements.js';
import type { BoxPlan, LifecyclePlan, PlannedActionKind, PlannedStep } from './types.js';

export interface PlanOptions {
  /** Boxes whose next action comes within this many days (default 30). */
  horizonDays?: number;
  /** Only these boxes, whatever the horizon. */
  mailboxIds?: readonly number[];
  /** At most this many boxes, soonest first (default 1000). */
  limit?: number;
}

interface BoxRow {
  id: number;
  created_at: string;
  silent_since: string;
  unpublish_subject: number | boolean;
  delete_subject: number | boolean;
}

interface NoticeRow {
  mailbox_id: number;
  step: LifecycleStep;
  kind: NoticeKind;
  due_at: string;
  sent_at: string;
  delivery: 'pending' | 'delivered';
}

export async function planLifecycle(db: Knex, d: LifecycleDialect, rules: LifecycleRules, now: Date, options: PlanOptions = {}): Promise<LifecyclePlan> {
  const until = addDays(now, options.horizonDays ?? 30);
  const steps = LIFECYCLE_STEPS.filter((step) => rules[step].enabled);
  const which = options.mailboxIds
    ? (options.mailboxIds.length > 0 ? sql`mailboxes.id IN (${join(options.mailboxIds.map((id) => sql`${id}`))})` : raw('1 = 0'))
    : inHorizon(d, rules, steps, until);
  const boxes = sql`mailboxes.status = 'active' AND (${which})`;
  const subjectFlag = (step: LifecycleStep): Sql => sql`CASE WHEN ${stepSubject(d, step)} THEN 1 ELSE 0 END`;
  // Only what the dates need, for every box in the horizon (possibly most of the directory)…
  const rows = await selectRows<BoxRow>(db, sql`SELECT mailboxes.id, mailboxes.created_at, ${CONNECTION} AS silent_since,
      ${subjectFlag('unpublish')} AS unpublish_subject, ${subjectFlag('delete')} AS delete_subject
    FROM mailboxes WHERE ${boxes}`);
  const notices = await selectRows<NoticeRow>(db, sql`SELECT n.mailbox_id, n.step, n.kind, n.due_at, n.sent_at, n.delivery
    FROM lifecycle_notices n JOIN mailboxes ON mailboxes.id = n.mailbox_id AND n.cycle_from = ${CONNECTION}
    WHERE ${boxes} AND n.delivery <> 'obsolete'`);
  const noticesByBox = new Map<number, NoticeRow[]>();
  for (const n of notices) {
    const list = noticesByBox.get(Number(n.mailbox_id));
    if (list) list.push(n);
    else noticesByBox.set(Number(n.mailbox_id), [n]);
  }

  const nowMs = now.getTime();
  const timelines = rows.map((row) => timelineOf(row, noticesByBox.get(Number(row.id)) ?? [], rules, steps, nowMs))
    .filter((t) => options.mailboxIds || (t.next !== null && t.next.at <= until.getTime()))
    .sort((a, b) => (a.next?.at ?? Infinity) - (b.next?.at ?? Infinity) || a.mailboxId - b.mailboxId);
  // …and names and ISO dates only for the boxes shown.
  const shown = timelines.slice(0, options.limit ?? 1000);
  const names = new Map<number, NameRow>();
  for (let i = 0; i < shown.length; i += 500) {
    const ids = shown.slice(i, i + 500).map((t) => t.mailboxId);
    const nameRows = await db('mailboxes').whereIn('id', ids).select<NameRow[]>('id', 'display_name', 'type', 'published');
    for (const row of nameRows) names.set(Number(row.id), row);
  }
  return {
    at: now.toISOString(), until: until.toISOString(), total: timelines.length,
    boxes: shown.map((t) => boxPlan(t, names.get(t.mailboxId) as NameRow)),
  };
}

interface NameRow {
  id: number;
  display_name: string;
  type: MailboxType;
  published: number | boolean;
}

/** Boxes whose notice for some step comes before `until` (the sweep's notice thresholds, moved to that date). */
function inHorizon(d: LifecycleDialect, rules: LifecycleRules, steps: LifecycleStep[], until: Date): Sql {
  if (steps.length === 0) return raw('1 = 0');
  return join(steps.map((step) => {
    const rule = rules[step];
    return sql`(${stepSubject(d, step)} AND mailboxes.created_at <= ${addDays(until, rule.noticeDays - rule.minimumAgeDays).toISOString()}
      AND ${CONNECTION} <= ${addDays(until, rule.noticeDays - rule.silenceDays).toISOString()})`;
  }), ' OR ');
}

/** A step's dates in milliseconds (a plan may compute a million of them). */
interface StepTimes {
  step: LifecycleStep;
  dueAt: number;
  noticeAt: number;
  noticeSent: boolean;
  reminderAt: number | null;
  reminderSent: boolean;
}

interface Timeline {
  mailboxId: number;
  silentSince: string;
  steps: StepTimes[];
  next: { action: PlannedActionKind; step: LifecycleStep; at: number } | null;
}

function timelineOf(row: BoxRow, notices: NoticeRow[], rules: LifecycleRules, steps: LifecycleStep[], now: number): Timeline {
  const created = Date.parse(row.created_at);
  const silentSince = Date.parse(row.silent_since);
  const planned = steps
    .filter((step) => toBoolean(step === 'unpublish' ? row.unpublish_subject : row.delete_subject))
    .map((step) => stepTimes(step, rules[step], created, silentSince, notices.filter((n) => n.step === step), now));
  let next: Timeline['next'] = null;
  const consider = (action: PlannedActionKind, step: LifecycleStep, at: number): void => {
    if (!next || at < next.at) next = { action, step, at };
  };
  for (const p of planned) {
    if (!p.noticeSent) consider('notice', p.step, p.noticeAt);
    if (p.reminderAt !== null && !p.reminderSent) consider('reminder', p.step, p.reminderAt);
    consider(p.step, p.step, p.dueAt);
  }
  return { mailboxId: Number(row.id), silentSince: row.silent_since, steps: planned, next };
}

/** One step's dates: from its notice when one went out in this cycle, from the rule otherwise. */
function stepTimes(step: LifecycleStep, rule: StepRule, created: number, silentSince: number, notices: NoticeRow[], now: number): StepTimes {
  const notice = notices.find((n) => n.kind === 'notice');
  const reminder = notices.find((n) => n.kind === 'reminder');
  let noticeAt: number;
  let dueAt: number;
  if (notice) {
    noticeAt = Date.parse(notice.sent_at);
    // A notice not delivered yet moves its step when it finally is (delivery.ts).
    dueAt = notice.delivery === 'delivered' ? Date.parse(notice.due_at) : Math.max(Date.parse(notice.due_at), now + rule.minimumNoticeDays * DAY_MS);
  } else {
    const stepAt = Math.max(created + rule.minimumAgeDays * DAY_MS, silentSince + rule.silenceDays * DAY_MS);
    noticeAt = Math.max(stepAt - rule.noticeDays * DAY_MS, now);
    dueAt = Math.max(stepAt, noticeAt + rule.minimumNoticeDays * DAY_MS);
  }
  let reminderAt: number | null = reminder ? Date.parse(reminder.sent_at) : Math.max(dueAt - rule.reminderDays * DAY_MS, now);
  if (!reminder && reminderAt >= dueAt) reminderAt = null;
  return { step, dueAt, noticeAt, noticeSent: notice !== undefined, reminderAt, reminderSent: reminder !== undefined };
}

function boxPlan(t: Timeline, names: NameRow): BoxPlan {
  const iso = (ms: number): string => new Date(ms).toISOString();
  return {
    mailboxId: t.mailboxId, displayName: names.display_name, type: names.type, published: toBoolean(names.published), silentSince: t.silentSince,
    steps: t.steps.map((s): PlannedStep => ({
      step: s.step, dueAt: iso(s.dueAt), noticeAt: iso(s.noticeAt), noticeSent: s.noticeSent,
      reminderAt: s.reminderAt === null ? null : iso(s.reminderAt), reminderSent: s.reminderSent,
    })),
    next: t.next ? { action: t.next.action, step: t.next.step, at: iso(t.next.at) } : null,
  };
}
