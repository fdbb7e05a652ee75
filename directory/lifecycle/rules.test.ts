import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isHygieError } from '../../core/errors.js';
import { checkLifecycleRules, DEFAULT_LIFECYCLE_RULES, type StepRule } from './rules.js';

const withUnpublish = (change: Partial<StepRule>) => ({ ...DEFAULT_LIFECYCLE_RULES, unpublish: { ...DEFAULT_LIFECYCLE_RULES.unpublish, ...change } });

test('the default rules are the national guidance: a year old and 60 days silent; two years old and a year silent', () => {
  assert.equal(checkLifecycleRules(DEFAULT_LIFECYCLE_RULES), DEFAULT_LIFECYCLE_RULES);
  assert.deepEqual([DEFAULT_LIFECYCLE_RULES.unpublish.minimumAgeDays, DEFAULT_LIFECYCLE_RULES.unpublish.silenceDays, DEFAULT_LIFECYCLE_RULES.unpublish.noticeDays], [365, 60, 15]);
  assert.deepEqual([DEFAULT_LIFECYCLE_RULES.delete.minimumAgeDays, DEFAULT_LIFECYCLE_RULES.delete.silenceDays, DEFAULT_LIFECYCLE_RULES.delete.noticeDays], [730, 365, 30]);
});

test('rules under which a step could come without its notice, or a reminder before it, are refused by name', () => {
  const cases: Array<[Partial<StepRule>, RegExp]> = [
    [{ reminderDays: 14 }, /lifecycle\.unpublish\.reminderDays \(14\) must be shorter than minimumNoticeDays \(14\)/],
    [{ minimumNoticeDays: 20 }, /lifecycle\.unpublish\.minimumNoticeDays must be between 1 and noticeDays \(15\)/],
    [{ minimumNoticeDays: 0, reminderDays: 0 }, /minimumNoticeDays must be between 1/],
    [{ noticeDays: 60 }, /noticeDays \(60\) must be shorter than silenceDays \(60\)/],
    [{ silenceDays: 1.5 }, /silenceDays must be a whole number of days, not 1.5/],
    [{ minimumAgeDays: -1 }, /minimumAgeDays must be a whole number/],
  ];
  for (const [change, message] of cases) {
    assert.throws(() => checkLifecycleRules(withUnpublish(change)), (e: unknown) => isHygieError(e, 'CONFIG_INVALID') && message.test(e.message));
  }
});
