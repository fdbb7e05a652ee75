/** EXPUNGE, and UIDPLUS's UID EXPUNGE (only the given UIDs that are \Deleted). */
import { ArgReader } from '../proto/args.js';
import type { ParsedCommand } from '../proto/tokens.js';
import { no, ok, SELECTED, selectedView, type CommandContext, type CommandResult, type CommandSpec } from './types.js';

export const expunge: CommandSpec = {
  name: 'EXPUNGE',
  states: SELECTED,
  handler: (context, command) => expungeDeleted(context, command, false),
};

export const uidExpunge: CommandSpec = {
  name: 'UID EXPUNGE',
  states: SELECTED,
  handler: (context, command) => expungeDeleted(context, command, true),
};

async function expungeDeleted(context: CommandContext, command: ParsedCommand, byUid: boolean): Promise<CommandResult> {
  const args = new ArgReader(command.args, command.name);
  const set = byUid ? args.sequenceSet() : undefined;
  args.end();
  const view = selectedView(context);
  if (view.readOnly) return no('Mailbox is read-only');
  if (!view.rights.includes('e')) return no('Permission denied: expunging needs the e right here', { name: 'NOPERM' });
  let uids: number[] | undefined;
  if (set) {
    const named = view.resolve(set, true).map((ref) => ref.uid);
    uids = (await context.store.listMessages(view.folder.id, named)).filter((m) => m.flags.includes('\\Deleted')).map((m) => m.uid);
    if (uids.length === 0) return ok(`${command.name} completed`);
  }
  const removed = await context.store.expunge(view.folder.id, uids);
  // Ascending UIDs, each reported with its sequence number at the time it goes (or as VANISHED under QRESYNC).
  for (const response of view.removeAll(removed, context.reportMode())) await context.send(response);
  return ok(`${command.name} completed`);
}
