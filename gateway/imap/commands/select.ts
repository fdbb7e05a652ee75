/**
 * SELECT (read-write) and EXAMINE (read-only). \Recent is not kept (RECENT is always 0);
 * keywords in use join the system flags in FLAGS, and any new keyword may be stored (`\*`).
 */
import { MailboxView } from '../mailbox-view.js';
import { ArgReader } from '../proto/args.js';
import { atom } from '../proto/compiler.js';
import { hasFlag, SYSTEM_FLAGS } from '../proto/flags.js';
import type { ParsedCommand } from '../proto/tokens.js';
import { AUTHENTICATED, no, ok, requireUser, type CommandContext, type CommandResult, type CommandSpec } from './types.js';

export const select: CommandSpec = {
  name: 'SELECT',
  states: AUTHENTICATED,
  notifications: 'none',
  handler: (context, command) => open(context, command, false),
};

export const examine: CommandSpec = {
  name: 'EXAMINE',
  states: AUTHENTICATED,
  notifications: 'none',
  handler: (context, command) => open(context, command, true),
};

async function open(context: CommandContext, command: ParsedCommand, readOnly: boolean): Promise<CommandResult> {
  const args = new ArgReader(command.args, command.name);
  const name = args.mailbox();
  args.end();
  // Even a failed SELECT leaves no mailbox selected (RFC 3501 6.3.1).
  if (context.selected) context.deselect();

  const folder = await context.store.getFolder(requireUser(context).mailboxId, name);
  if (!folder) return no('Mailbox does not exist', { name: 'NONEXISTENT' });
  const { view, messages } = await MailboxView.open(context.store, folder, readOnly);

  const keywords = new Set<string>();
  for (const message of messages) for (const flag of message.flags) if (!flag.startsWith('\\')) keywords.add(flag);
  const flags = [...SYSTEM_FLAGS, ...keywords].map(atom);
  await context.send([atom('FLAGS'), flags]);
  await context.sendStatus('OK', readOnly ? 'No permanent flags permitted' : 'Flags permitted',
    { name: 'PERMANENTFLAGS', args: [readOnly ? [] : [...flags, atom('\\*')]] });
  await context.send([messages.length, atom('EXISTS')]);
  await context.send([0, atom('RECENT')]);
  const firstUnseen = messages.findIndex((message) => !hasFlag(message.flags, '\\Seen'));
  if (firstUnseen >= 0) await context.sendStatus('OK', 'First unseen', { name: 'UNSEEN', args: [firstUnseen + 1] });
  await context.sendStatus('OK', 'UIDs valid', { name: 'UIDVALIDITY', args: [folder.uidValidity] });
  await context.sendStatus('OK', 'Predicted next UID', { name: 'UIDNEXT', args: [folder.uidNext] });
  context.select(view);
  return ok(`${command.name} completed`, { name: readOnly ? 'READ-ONLY' : 'READ-WRITE' });
}
