import { ArgReader } from '../proto/args.js';
import { atom } from '../proto/compiler.js';
import { AUTHENTICATED, ok, type CommandSpec } from './types.js';

/** Extensions that need enabling (CONDSTORE, QRESYNC, UTF8=ACCEPT) are added to this set when implemented. */
const ENABLEABLE = new Set<string>();

export const enable: CommandSpec = {
  name: 'ENABLE',
  states: AUTHENTICATED,
  async handler(context, command) {
    const args = new ArgReader(command.args, command.name);
    const asked: string[] = [];
    while (args.remaining > 0) asked.push(args.atom('capability').toUpperCase());
    if (asked.length === 0) args.atom('capability');
    // Unknown names are ignored (RFC 5161 3.1).
    const enabled = asked.filter((name) => ENABLEABLE.has(name));
    await context.send([atom('ENABLED'), ...enabled.map(atom)]);
    return ok('ENABLE completed');
  },
};
