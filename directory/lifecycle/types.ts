/** What the lifecycle engine hands out: notices to deliver, sweep reports and plans. */
import type { MailboxAddress, MailboxType } from '../types.js';
import type { LifecycleStep, NoticeKind } from './rules.js';

/** One notice to a box's owner: the box itself and its notification address get it. */
export interface LifecycleNotice {
  /**
   * Stable id: a notice is delivered at least once (again after a crash between delivery
   * and its bookkeeping), so use it to recognise a repeat, e.g. in the Message-ID.
   */
  id: number;
  mailboxId: number;
  mailboxType: MailboxType;
  displayName: string;
  addresses: MailboxAddress[];
  /** The usual (non-secure) address of the owner; null: the box only. */
  notificationAddress: string | null;
  step: LifecycleStep;
  kind: NoticeKind;
  /** When the step happens unless the owner logs in before (ISO-8601 UTC). */
  dueAt: string;
  /** The last connection (or the creation) the step is counted from. */
  silentSince: string;
}

export interface DeliveryFailure {
  id: number;
  error: string;
}

export interface LifecycleNotifier {
  /**
   * Delivers notices (into each box and to its notification address). Resolve with the
   * ones that failed, which are retried at the next sweep; throwing fails the whole batch.
   */
  deliver(notices: readonly LifecycleNotice[]): Promise<readonly DeliveryFailure[] | void>;
}

export interface StepCounts {
  /** Notices recorded (and reminders) in this sweep. */
  notices: number;
  reminders: number;
  /** Boxes unpublished, or deleted. */
  done: number;
}

export interface DeliveryCounts {
  delivered: number;
  failed: number;
  /** Pending notices dropped because the box connected or changed state first. */
  obsolete: number;
  /** Late notices whose step moved so that it still comes `minimumNoticeDays` after delivery. */
  postponed: number;
  /** Still waiting for delivery after this sweep. */
  pending: number;
}

export interface SweepReport {
  at: string;
  dryRun: boolean;
  unpublish: StepCounts;
  delete: StepCounts;
  /** Zeros in a dry run: nothing is delivered. */
  delivery: DeliveryCounts;
  durationMs: number;
  /** Of which delivering the notices (after the rules' transaction committed). */
  deliveryMs: number;
}

export type PlannedActionKind = NoticeKind | LifecycleStep;

/** One step coming for one box if its owner does not log in. */
export interface PlannedStep {
  step: LifecycleStep;
  /** When the step happens (at the first sweep from then on). */
  dueAt: string;
  /** When the notice went out (`noticeSent`) or will. */
  noticeAt: string;
  noticeSent: boolean;
  /** null: no reminder (the step comes too soon after a late notice). */
  reminderAt: string | null;
  reminderSent: boolean;
}

export interface BoxPlan {
  mailboxId: number;
  displayName: string;
  type: MailboxType;
  published: boolean;
  silentSince: string;
  steps: PlannedStep[];
  /**
   * The next thing the lifecycle does to this box (`at` not after the plan's date: at the
   * next sweep); null when no step applies to it.
   */
  next: { action: PlannedActionKind; step: LifecycleStep; at: string } | null;
}

export interface LifecyclePlan {
  at: string;
  /** Boxes whose next action comes before this date (or the boxes asked for). */
  until: string;
  /** Boxes matching, before `limit`. */
  total: number;
  /** Soonest first. */
  boxes: BoxPlan[];
}
