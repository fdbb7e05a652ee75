import { ArgReader } from '../proto/args.js';
import { atom } from '../proto/compiler.js';
import { no, ok, SELECTED, selectedView, type CommandSpec } from './types.js';

export const expunge: CommandSpec = {
  name: 'EXPUNGE',
  states: SELECTED,
  async handler(context, command) {
    new ArgReader(command.args, command.name).end();
    const view = selectedView(context);
    if (view.readOnly) return no('Mailbox is read-only');
    const removed = await context.store.expunge(view.folder.id);
    // Ascending UIDs, each reported with its sequence number at the time it goes.
    for (const uid of removed) {
      const seq = view.remove(uid);
      if (seq !== undefined) await context.send([seq, atom('EXPUNGE')]);
    }
    return ok('EXPUNGE completed');
  },
};
