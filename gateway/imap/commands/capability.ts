import { ArgReader } from '../proto/args.js';
import { atom } from '../proto/compiler.js';
import { ANY_STATE, ok, type CommandSpec } from './types.js';

export const capability: CommandSpec = {
  name: 'CAPABILITY',
  states: ANY_STATE,
  async handler(context, command) {
    new ArgReader(command.args, command.name).end();
    await context.send([atom('CAPABILITY'), ...context.capabilities().map(atom)]);
    return ok('CAPABILITY completed');
  },
};
