/**
 * COPY / UID COPY (RFC 3501), MOVE / UID MOVE (RFC 6851), with UIDPLUS's COPYUID
 * (RFC 4315). Mail clients delete by moving to Trash, so these matter from day one.
 * A MOVE is a copy then an expunge of the sources, the expunges reported untagged.
 */
import { ArgReader } from '../proto/args.js';
import { atom, type ResponseCode } from '../proto/compiler.js';
import { formatSequenceSet } from '../proto/sequence-set.js';
import type { ParsedCommand } from '../proto/tokens.js';
import { isHygieError } from '../../../core/errors.js';
import type { CopyResult } from '../../store/types.js';
import { isRefusal, openFolder } from './mailbox-names.js';
import { resolveMessages } from './message-set.js';
import { no, ok, SELECTED, selectedView, type CommandContext, type CommandResult, type CommandSpec } from './types.js';

export const copy: CommandSpec = { name: 'COPY', states: SELECTED, notifications: 'no-expunge', handler: (c, cmd) => transfer(c, cmd, false, false) };
export const uidCopy: CommandSpec = { name: 'UID COPY', states: SELECTED, handler: (c, cmd) => transfer(c, cmd, true, false) };
export const move: CommandSpec = { name: 'MOVE', states: SELECTED, handler: (c, cmd) => transfer(c, cmd, false, true) };
export const uidMove: CommandSpec = { name: 'UID MOVE', states: SELECTED, handler: (c, cmd) => transfer(c, cmd, true, true) };

async function transfer(context: CommandContext, command: ParsedCommand, byUid: boolean, moving: boolean): Promise<CommandResult> {
  const view = selectedView(context);
  const args = new ArgReader(command.args, command.name);
  const set = args.sequenceSet();
  const name = args.mailbox();
  args.end();
  if (moving && view.readOnly) return no('Mailbox is read-only');
  if (moving && !(view.rights.includes('t') && view.rights.includes('e'))) return no('Permission denied: moving out needs the t and e rights here', { name: 'NOPERM' });

  const opened = await openFolder(context, name, { rights: 'i', command: command.name, missingCode: 'TRYCREATE' });
  if (isRefusal(opened)) return opened;
  const refs = resolveMessages(view, set, byUid);
  if (refs.length === 0) return ok(`${command.name} completed`);

  let result: CopyResult;
  try {
    result = await context.store.copy(view.folder.id, refs.map((ref) => ref.uid), opened.folder.id);
  } catch (error) {
    if (isHygieError(error, 'MAILBOX_FULL')) return no(error.spec.text, { name: 'OVERQUOTA' });
    throw error;
  }
  const code: ResponseCode | undefined = result.mapping.length === 0 ? undefined : {
    name: 'COPYUID',
    // Both lists ascend together, so compacting them keeps the correspondence (RFC 4315 3).
    args: [result.uidValidity, atom(formatSequenceSet(result.mapping.map((m) => m.from))), atom(formatSequenceSet(result.mapping.map((m) => m.to)))],
  };
  if (!moving) return ok(`${command.name} completed`, code);

  // RFC 6851 §4.3: COPYUID goes in an untagged OK before the expunges.
  if (code) await context.sendStatus('OK', 'Moved', code);
  const removed = await context.store.expunge(view.folder.id, result.mapping.map((m) => m.from));
  for (const response of view.removeAll(removed, context.reportMode())) await context.send(response);
  return ok(`${command.name} completed`);
}
