/** The mailbox lifecycle: the 60-day unpublication rule, the deletion rule, and their notices. */
export { LifecycleEngine, type LifecycleEngineOptions } from './engine.js';
export { lifecycleMigrations } from './migrations.js';
export { noticeText, mainAddress, type NoticeLanguage, type NoticeText, type NoticeTextOptions } from './notice-text.js';
export type { PlanOptions } from './plan.js';
export { recordConnection, republishOnConnection } from './republish.js';
export {
  checkLifecycleRules, DEFAULT_LIFECYCLE_RULES, LIFECYCLE_ACTOR,
  type LifecycleRules, type LifecycleStep, type NoticeKind, type StepRule,
} from './rules.js';
export { nextDailyRun, scheduleDaily, type DailyScheduleOptions } from './schedule.js';
export type * from './types.js';
export { describePlan, describeSweep } from './report-text.js';
