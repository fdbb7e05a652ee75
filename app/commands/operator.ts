/** `hygie start`, `hygie config check`, `hygie audit`: running and inspecting the operator. */
import { redactedConfig } from '../../core/config.js';
import { runOperator } from '../run.js';
import { withContext } from './shared.js';
import { UsageError, type CliCommand } from './types.js';

const start: CliCommand = {
  words: ['start'],
  usage: '\n      run the operator (SMTP, submission, IMAP, LDAP, webmail) until SIGINT/SIGTERM',
  run: ({ config }) => runOperator(config),
};

const configCheck: CliCommand = {
  words: ['config', 'check'],
  usage: '\n      validate the configuration and print it',
  run: async ({ config }) => {
    console.log(JSON.stringify(redactedConfig(config), null, 2));
    return 0;
  },
};

const audit: CliCommand = {
  words: ['audit'],
  usage: '[--limit N] [--action A]\n      show the newest audit events',
  options: { limit: { type: 'string' }, action: { type: 'string' } },
  run: ({ values, config }) => withContext(config, async (context) => {
    const limit = typeof values.limit === 'string' ? Number(values.limit) : 50;
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive whole number');
    const events = await context.audit.list({ limit, ...(typeof values.action === 'string' ? { action: values.action } : {}) });
    for (const e of events.reverse()) {
      console.log(`${e.at}  ${e.action.padEnd(22)} ${e.outcome.padEnd(7)} ${e.channel ?? '-'}  actor=${e.actor ?? '-'} subject=${e.subject ?? '-'} from=${e.remoteAddress ?? '-'} ${JSON.stringify(e.details)}`);
    }
    return 0;
  }),
};

export const operatorCommands: CliCommand[] = [start, configCheck, audit];
