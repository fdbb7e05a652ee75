/**
 * RFC 2177 IDLE: changes to the selected folder are pushed as they are committed (the
 * store's watch), until the client sends DONE. The session's inactivity timer ends an
 * IDLE nobody closes.
 */
import { ArgReader } from '../proto/args.js';
import { AUTHENTICATED, bad, ok, type CommandSpec } from './types.js';

export const idle: CommandSpec = {
  name: 'IDLE',
  states: AUTHENTICATED,
  async handler(context, command) {
    new ArgReader(command.args, command.name).end();
    await context.continuation('idling');
    const selected = context.state === 'selected';
    const push = (): void => { void context.flushNotifications({ allowExpunge: true, force: false }); };
    const stop = selected ? context.onFolderChange(push) : () => undefined;
    try {
      if (selected) await context.flushNotifications({ allowExpunge: true, force: true });
      const line = await context.readLine();
      if (line === null) return bad('Connection closed');
      if (line.toString('latin1').trim().toUpperCase() !== 'DONE') return bad('Expected DONE');
    } finally {
      stop();
    }
    return ok('IDLE terminated');
  },
};
