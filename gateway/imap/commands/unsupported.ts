/**
 * Verbs a client may send that this server knows but does not offer yet: answered NO
 * (a valid, understood request we cannot honour) rather than BAD, which would count
 * toward the bad-command limit. Each goes away when its own command file is written.
 */
import { AUTHENTICATED, no, type CommandSpec } from './types.js';

function notYet(name: string, states = AUTHENTICATED): CommandSpec {
  return {
    name,
    states,
    async handler() {
      return no(`${name} is not supported by this server yet`, { name: 'CANNOT' });
    },
  };
}

export const unsupported: CommandSpec[] = [
  notYet('CREATE'),
  notYet('DELETE'),
  notYet('RENAME'),
  notYet('SUBSCRIBE'),
  notYet('UNSUBSCRIBE'),
];
