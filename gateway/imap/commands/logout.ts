import { ArgReader } from '../proto/args.js';
import { ANY_STATE, ok, type CommandSpec } from './types.js';

export const logout: CommandSpec = {
  name: 'LOGOUT',
  states: ANY_STATE,
  notifications: 'none',
  async handler(context, command) {
    new ArgReader(command.args, command.name).end();
    await context.sendStatus('BYE', 'Logging out');
    context.logoutAfterResponse();
    return ok('LOGOUT completed');
  },
};
