/** STORE and UID STORE: FLAGS, +FLAGS, -FLAGS, each optionally .SILENT. */
import type { FlagUpdateMode } from '../../store/types.js';
import { ArgReader, flagNames } from '../proto/args.js';
import { atom, type ResponseValue } from '../proto/compiler.js';
import { normaliseFlags } from '../proto/flags.js';
import { ImapSyntaxError, type ParsedCommand, type Token } from '../proto/tokens.js';
import { resolveMessages } from './message-set.js';
import { no, ok, SELECTED, selectedView, type CommandContext, type CommandResult, type CommandSpec } from './types.js';

export const store: CommandSpec = {
  name: 'STORE',
  states: SELECTED,
  notifications: 'no-expunge',
  handler: (context, command) => storeFlags(context, command, false),
};

export const uidStore: CommandSpec = {
  name: 'UID STORE',
  states: SELECTED,
  handler: (context, command) => storeFlags(context, command, true),
};

const MODES: Record<string, FlagUpdateMode> = { '': 'replace', '+': 'add', '-': 'remove' };

async function storeFlags(context: CommandContext, command: ParsedCommand, byUid: boolean): Promise<CommandResult> {
  const view = selectedView(context);
  const args = new ArgReader(command.args, command.name);
  const set = args.sequenceSet();
  const item = args.atom('data item');
  const match = /^([+-]?)FLAGS(\.SILENT)?$/i.exec(item);
  if (!match) throw new ImapSyntaxError(`${command.name}: unsupported data item ${item.slice(0, 30)}`);
  const tokens: Token[] = [];
  while (args.remaining > 0) tokens.push(args.token('flags'));
  // Flags come as one list or as bare atoms.
  const flagTokens = tokens.length === 1 && tokens[0]!.type === 'list' ? tokens[0]!.items : tokens;
  if (tokens.length === 0) throw new ImapSyntaxError(`${command.name}: missing flags`);
  const flags = normaliseFlags(flagNames(flagTokens, command.name));
  const mode = MODES[match[1]!]!;
  const silent = match[2] !== undefined;

  if (view.readOnly) return no('Mailbox is read-only');
  const refs = resolveMessages(view, set, byUid);
  if (refs.length === 0) return ok(`${command.name} completed`);
  const updated = await context.store.updateFlags(view.folder.id, refs.map((ref) => ref.uid), flags, mode);
  for (const summary of updated) {
    const seq = view.seqOf(summary.uid);
    if (seq === undefined) continue;
    view.noteFlags(summary.uid, summary.flags);
    if (silent) continue;
    const values: ResponseValue[] = byUid ? [atom('UID'), summary.uid] : [];
    values.push(atom('FLAGS'), summary.flags.map(atom));
    await context.send([seq, atom('FETCH'), values]);
  }
  return ok(`${command.name} completed`);
}
