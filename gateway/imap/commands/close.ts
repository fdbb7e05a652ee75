import { ArgReader } from '../proto/args.js';
import { ok, SELECTED, selectedView, type CommandSpec } from './types.js';

/** CLOSE expunges silently (no untagged EXPUNGE) unless read-only, then deselects. */
export const close: CommandSpec = {
  name: 'CLOSE',
  states: SELECTED,
  notifications: 'none',
  async handler(context, command) {
    new ArgReader(command.args, command.name).end();
    const view = selectedView(context);
    if (!view.readOnly && view.rights.includes('e')) await context.store.expunge(view.folder.id);
    context.deselect();
    return ok('CLOSE completed');
  },
};

/** RFC 3691: deselect without expunging. */
export const unselect: CommandSpec = {
  name: 'UNSELECT',
  states: SELECTED,
  notifications: 'none',
  async handler(context, command) {
    new ArgReader(command.args, command.name).end();
    context.deselect();
    return ok('UNSELECT completed');
  },
};
