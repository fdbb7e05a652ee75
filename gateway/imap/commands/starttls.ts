import { ArgReader } from '../proto/args.js';
import { bad, NOT_AUTHENTICATED, ok, type CommandSpec } from './types.js';

export const starttls: CommandSpec = {
  name: 'STARTTLS',
  states: NOT_AUTHENTICATED,
  async handler(context, command) {
    new ArgReader(command.args, command.name).end();
    if (context.secure) return bad('TLS is already active');
    context.startTlsAfterResponse();
    return ok('Begin TLS negotiation now');
  },
};
