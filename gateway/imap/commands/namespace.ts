import { SHARED_PREFIX } from '../mailbox-access.js';
import { ArgReader } from '../proto/args.js';
import { atom } from '../proto/compiler.js';
import { encodeMailboxName } from '../proto/mailbox-name.js';
import { AUTHENTICATED, ok, requireAccess, type CommandSpec } from './types.js';

/**
 * RFC 2342: one personal namespace (no prefix) and, when boxes can be shared, the shared
 * namespace `Partagés/` holding one level per box shared with the user. No other users'.
 */
export const namespace: CommandSpec = {
  name: 'NAMESPACE',
  states: AUTHENTICATED,
  async handler(context, command) {
    new ArgReader(command.args, command.name).end();
    const shared = requireAccess(context).sharingEnabled ? [[encodeMailboxName(SHARED_PREFIX), '/']] : null;
    await context.send([atom('NAMESPACE'), [['', '/']], null, shared]);
    return ok('NAMESPACE completed');
  },
};
