import { ArgReader } from '../proto/args.js';
import { ANY_STATE, AUTHENTICATED, ok, type CommandSpec } from './types.js';

/** NOOP is how clients poll: it always asks the journal, not only after a wake-up. */
export const noop: CommandSpec = {
  name: 'NOOP',
  states: ANY_STATE,
  async handler(context, command) {
    new ArgReader(command.args, command.name).end();
    if (context.state === 'selected') await context.flushNotifications({ allowExpunge: true, force: true });
    return ok('NOOP completed');
  },
};

/** CHECK (a checkpoint) means nothing more here: every change is durable when acknowledged. */
export const check: CommandSpec = {
  name: 'CHECK',
  states: AUTHENTICATED,
  async handler(context, command) {
    new ArgReader(command.args, command.name).end();
    if (context.state === 'selected') await context.flushNotifications({ allowExpunge: true, force: true });
    return ok('CHECK completed');
  },
};
