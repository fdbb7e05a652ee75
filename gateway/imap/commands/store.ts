/** STORE and UID STORE: FLAGS, +FLAGS, -FLAGS, each optionally .SILENT. */
import type { FlagUpdateMode } from '../../store/types.js';
import { ArgReader, flagNames } from '../proto/args.js';
import { atom, type ResponseValue } from '../proto/compiler.js';
import { normaliseFlags } from '../proto/flags.js';
import { ImapSyntaxError, type ParsedCommand, type Token } from '../proto/tokens.js';
import { formatSequenceSet } from '../proto/sequence-set.js';
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
  const unchangedSince = args.peek()?.type === 'list' ? parseUnchangedSince(args.list('store modifiers').items) : undefined;
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
  if (unchangedSince !== undefined) context.enable('CONDSTORE');

  if (view.readOnly) return no('Mailbox is read-only');
  // RFC 4314: \Seen needs s, \Deleted t, other flags w; replacing touches all of them.
  const touched = mode === 'replace' ? ['\\Seen', '\\Deleted', '\\Flagged'] : flags;
  const denied = touched.filter((flag) => !view.mayStore(flag));
  if (denied.length > 0) return no(`Permission denied: you may not change ${denied.join(' ')} here`, { name: 'NOPERM' });
  const refs = resolveMessages(view, set, byUid);
  if (refs.length === 0) return ok(`${command.name} completed`);
  const { updated, modified } = await context.store.storeFlags(view.folder.id, refs.map((ref) => ref.uid), flags, mode, unchangedSince);
  const report = context.reportMode();
  for (const summary of updated) {
    const seq = view.seqOf(summary.uid);
    if (seq === undefined) continue;
    view.noteFlags(summary.uid, summary.modseq);
    // With CONDSTORE even a silent store tells the new mod-sequence (RFC 7162 3.2).
    if (silent && !report.condstore) continue;
    const values: ResponseValue[] = byUid ? [atom('UID'), summary.uid] : [];
    if (!silent) values.push(atom('FLAGS'), summary.flags.map(atom));
    if (report.condstore) values.push(atom('MODSEQ'), [summary.modseq]);
    await context.send([seq, atom('FETCH'), values]);
  }
  if (modified.length > 0) {
    const numbers = byUid ? modified : modified.map((uid) => view.seqOf(uid)).filter((seq): seq is number => seq !== undefined);
    return ok('Conditional STORE failed for messages changed since', { name: 'MODIFIED', args: [atom(formatSequenceSet(numbers))] });
  }
  return ok(`${command.name} completed`);
}

function parseUnchangedSince(tokens: readonly Token[]): number {
  const [name, value] = tokens;
  if (tokens.length !== 2 || name?.type !== 'atom' || name.value.toUpperCase() !== 'UNCHANGEDSINCE'
    || value?.type !== 'atom' || !/^\d{1,19}$/.test(value.value)) {
    throw new ImapSyntaxError('STORE modifier must be (UNCHANGEDSINCE <mod-sequence>)');
  }
  return Number(value.value);
}
