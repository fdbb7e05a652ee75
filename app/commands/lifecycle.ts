/** `hygie lifecycle …`: the mailbox lifecycle rules, on demand (the daily sweep runs inside `hygie start`). */
import { describePlan, describeSweep } from '../../directory/lifecycle/index.js';
import { withContext } from './shared.js';
import { UsageError, type CliCommand } from './types.js';

const plan: CliCommand = {
  words: ['lifecycle', 'plan'],
  usage: '[--days N] [--json]\n      what the lifecycle will do in the next N days (default 30): notices, reminders, unpublications, deletions',
  options: { days: { type: 'string' }, json: { type: 'boolean' } },
  run: ({ values, config }) => withContext(config, async (context) => {
    const days = values.days === undefined ? 30 : Number(values.days);
    if (!Number.isInteger(days) || days < 1) throw new UsageError('--days is a whole number of days');
    const result = await context.lifecycle.plan({ horizonDays: days });
    console.log(values.json ? JSON.stringify(result, null, 2) : describePlan(result, config.webmail.language));
    return 0;
  }),
};

const run: CliCommand = {
  words: ['lifecycle', 'run'],
  usage: '[--dry-run] [--json]\n      run the sweep now: send due notices, unpublish and delete what is due (--dry-run: only say what it would do)',
  options: { 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } },
  run: ({ values, config }) => withContext(config, async (context) => {
    const report = await context.lifecycle.sweep({ dryRun: values['dry-run'] === true });
    console.log(values.json ? JSON.stringify(report, null, 2) : describeSweep(report, config.webmail.language));
    return 0;
  }),
};

export const lifecycleCommands: CliCommand[] = [plan, run];
