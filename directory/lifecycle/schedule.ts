/**
 * The daily sweep inside `hygie start`: at a fixed local time (the server's time zone),
 * with timers that never keep the process alive. A failed sweep is logged and the next
 * day's runs as usual (the rules catch up: nothing is lost by a missed day).
 */
import type { Clock } from '../../core/clock.js';
import { HygieError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { SweepReport } from './types.js';

export interface DailyScheduleOptions {
  /** Local time of day, `HH:MM`. */
  at: string;
  clock: Clock;
  logger?: Logger;
}

export function parseTimeOfDay(at: string): { hours: number; minutes: number } {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(at);
  if (!match) throw new HygieError('CONFIG_INVALID', `"${at}" is not a time of day (HH:MM, 24-hour)`);
  return { hours: Number(match[1]), minutes: Number(match[2]) };
}

/** The first `at` (local time) strictly after `now`. */
export function nextDailyRun(now: Date, at: string): Date {
  const { hours, minutes } = parseTimeOfDay(at);
  for (let days = 0; ; days++) {
    const candidate = new Date(now.getFullYear(), now.getMonth(), now.getDate() + days, hours, minutes);
    if (candidate > now) return candidate;
  }
}

/** Sweeps every day at `at`; returns the function that stops it. */
export function scheduleDaily(engine: { sweep(): Promise<SweepReport> }, options: DailyScheduleOptions): () => void {
  parseTimeOfDay(options.at);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const arm = (): void => {
    if (stopped) return;
    const now = options.clock.now();
    const next = nextDailyRun(now, options.at);
    options.logger?.debug('next lifecycle sweep', { at: next.toISOString() });
    timer = setTimeout(run, next.getTime() - now.getTime());
    timer.unref();
  };
  const run = (): void => {
    engine.sweep()
      .catch((error: unknown) => options.logger?.error('lifecycle sweep failed', { error }))
      .finally(arm);
  };
  arm();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
