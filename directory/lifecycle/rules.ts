/**
 * The lifecycle rules (DESIGN.md "Directory and its lifecycle rules"), as numbers an
 * operator may change: when a silent box leaves the directory, when it is deleted, and
 * how long before each step its owner hears about it.
 *
 * "Connection" is the box's last successful authentication, or its creation when it
 * never logged in. A step falls due at max(created + minimumAgeDays, connection +
 * silenceDays); the notice goes out `noticeDays` before, the reminder `reminderDays`
 * before. A notice that goes out late (the sweep did not run, or delivery failed) moves
 * its step so that the step comes at least `minimumNoticeDays` after the notice was
 * delivered: a box is never unpublished or deleted without its owner having had that
 * much warning.
 */
import { HygieError } from '../../core/errors.js';

export type LifecycleStep = 'unpublish' | 'delete';
export type NoticeKind = 'notice' | 'reminder';

export const LIFECYCLE_STEPS: readonly LifecycleStep[] = ['unpublish', 'delete'];

/** Who the lifecycle acts as, in the box history and the audit trail. */
export const LIFECYCLE_ACTOR = 'system:lifecycle';

export interface StepRule {
  /** false: the step never happens and no notice announces it. */
  enabled: boolean;
  /** The box must exist for at least this many days… */
  minimumAgeDays: number;
  /** …and have had no connection for this many days. */
  silenceDays: number;
  /** The notice goes out this many days before the step. */
  noticeDays: number;
  /** The reminder goes out this many days before the step. */
  reminderDays: number;
  /**
   * Days between a notice's delivery and its step, at least. One day less than
   * `noticeDays` by default, so that a daily sweep's on-time notice never moves its step.
   */
  minimumNoticeDays: number;
}

export interface LifecycleRules {
  unpublish: StepRule;
  delete: StepRule;
}

export const DEFAULT_LIFECYCLE_RULES: LifecycleRules = Object.freeze({
  unpublish: Object.freeze({ enabled: true, minimumAgeDays: 365, silenceDays: 60, noticeDays: 15, reminderDays: 3, minimumNoticeDays: 14 }),
  delete: Object.freeze({ enabled: true, minimumAgeDays: 730, silenceDays: 365, noticeDays: 30, reminderDays: 7, minimumNoticeDays: 29 }),
});

/** Refuses rules under which a step could come without its notice, or a reminder before its notice. */
export function checkLifecycleRules(rules: LifecycleRules): LifecycleRules {
  for (const step of LIFECYCLE_STEPS) {
    const rule = rules[step];
    const where = `lifecycle.${step}`;
    for (const key of ['minimumAgeDays', 'silenceDays', 'noticeDays', 'reminderDays', 'minimumNoticeDays'] as const) {
      if (!Number.isInteger(rule[key]) || rule[key] < 0) throw new HygieError('CONFIG_INVALID', `${where}.${key} must be a whole number of days, not ${rule[key]}`);
    }
    if (rule.silenceDays < 1) throw new HygieError('CONFIG_INVALID', `${where}.silenceDays must be at least 1 day`);
    if (rule.noticeDays >= rule.silenceDays) {
      throw new HygieError('CONFIG_INVALID', `${where}.noticeDays (${rule.noticeDays}) must be shorter than silenceDays (${rule.silenceDays})`);
    }
    if (rule.minimumNoticeDays < 1 || rule.minimumNoticeDays > rule.noticeDays) {
      throw new HygieError('CONFIG_INVALID', `${where}.minimumNoticeDays must be between 1 and noticeDays (${rule.noticeDays})`);
    }
    if (rule.reminderDays >= rule.minimumNoticeDays) {
      throw new HygieError('CONFIG_INVALID', `${where}.reminderDays (${rule.reminderDays}) must be shorter than minimumNoticeDays (${rule.minimumNoticeDays})`);
    }
  }
  return rules;
}

export const DAY_MS = 86_400_000;

export function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * DAY_MS);
}
