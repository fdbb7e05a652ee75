import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../core/clock.js';
import { isHygieError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { nextDailyRun, scheduleDaily } from './schedule.js';
import type { SweepReport } from './types.js';

test('the next run is the next time the local clock shows HH:MM, strictly after now', () => {
  const local = (d: number, h: number, m: number, s = 0): Date => new Date(2026, 10, d, h, m, s);
  assert.deepEqual(nextDailyRun(local(24, 2, 59), '03:00'), local(24, 3, 0));
  assert.deepEqual(nextDailyRun(local(24, 3, 0), '03:00'), local(25, 3, 0));
  assert.deepEqual(nextDailyRun(local(24, 3, 0, 1), '03:00'), local(25, 3, 0));
  assert.deepEqual(nextDailyRun(local(30, 23, 30), '00:15'), new Date(2026, 11, 1, 0, 15));
  for (const bad of ['3:00', '24:00', '12:60', 'noon']) {
    assert.throws(() => nextDailyRun(local(24, 0, 0), bad), (e: unknown) => isHygieError(e, 'CONFIG_INVALID'));
  }
});

test('a scheduled sweep runs when its time comes, keeps no timer alive once stopped, and survives a failed sweep', async () => {
  // The clock says it is one second before the sweep time: the timer fires about a second later.
  const target = new Date(Date.now() + 61_000);
  target.setSeconds(0, 0);
  const at = `${String(target.getHours()).padStart(2, '0')}:${String(target.getMinutes()).padStart(2, '0')}`;
  const clock = new ManualClock(new Date(target.getTime() - 1000));
  let sweeps = 0;
  const logged: string[] = [];
  const logger = { error: (message: string) => logged.push(message), debug: () => undefined } as unknown as Logger;
  let swept!: () => void;
  const ran = new Promise<void>((resolve) => { swept = resolve; });
  const engine = {
    async sweep(): Promise<SweepReport> {
      sweeps++;
      clock.set(new Date(target.getTime() + 1000));
      swept();
      throw new Error('database unavailable');
    },
  };
  const stop = scheduleDaily(engine, { at, clock, logger });
  // The schedule's own timer is unref'd: this one keeps the test alive while it waits.
  const keepAlive = setTimeout(() => undefined, 5000);
  await ran;
  await new Promise((resolve) => setTimeout(resolve, 10));
  stop();
  clearTimeout(keepAlive);
  assert.equal(sweeps, 1);
  assert.deepEqual(logged, ['lifecycle sweep failed']);
  assert.throws(() => scheduleDaily({ sweep: async () => { throw new Error('never'); } }, { at: '25:00', clock }), (e: unknown) => isHygieError(e, 'CONFIG_INVALID'));
});
