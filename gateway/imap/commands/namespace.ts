import { ArgReader } from '../proto/args.js';
import { atom } from '../proto/compiler.js';
import { AUTHENTICATED, ok, type CommandSpec } from './types.js';

/** One personal namespace, no prefix, `/` as hierarchy delimiter; no shared or other-users ones yet. */
export const namespace: CommandSpec = {
  name: 'NAMESPACE',
  states: AUTHENTICATED,
  async handler(context, command) {
    new ArgReader(command.args, command.name).end();
    await context.send([atom('NAMESPACE'), [['', '/']], null, null]);
    return ok('NAMESPACE completed');
  },
};
