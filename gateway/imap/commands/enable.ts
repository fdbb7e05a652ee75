import { ArgReader } from '../proto/args.js';
import { atom } from '../proto/compiler.js';
import { AUTHENTICATED, ok, type CommandSpec, type Extension } from './types.js';

/** Extensions that change what the server says once enabled (RFC 5161, RFC 7162). */
const ENABLEABLE = new Set<string>(['CONDSTORE', 'QRESYNC']);

export const enable: CommandSpec = {
  name: 'ENABLE',
  states: AUTHENTICATED,
  async handler(context, command) {
    const args = new ArgReader(command.args, command.name);
    const asked: string[] = [];
    while (args.remaining > 0) asked.push(args.atom('capability').toUpperCase());
    if (asked.length === 0) args.atom('capability');
    // Unknown names are ignored; ENABLED lists only what this command newly turned on (RFC 5161 3.1).
    const enabled = [...new Set(asked)].filter((name) => ENABLEABLE.has(name) && !context.enabled.has(name as Extension));
    for (const name of enabled) context.enable(name as Extension);
    await context.send([atom('ENABLED'), ...enabled.map(atom)]);
    return ok('ENABLE completed');
  },
};
