/**
 * SELECT (read-write) and EXAMINE (read-only), with CONDSTORE's HIGHESTMODSEQ and
 * QRESYNC's resynchronisation; shared boxes open read-only without a right to change. \Recent is not kept (RECENT is always 0);
 * keywords in use join the system flags in FLAGS, and any new keyword may be stored (`\*`).
 */
import type { MessageSummary } from '../../store/types.js';
import { MailboxView } from '../mailbox-view.js';
import { ArgReader } from '../proto/args.js';
import { atom } from '../proto/compiler.js';
import { hasFlag, SYSTEM_FLAGS } from '../proto/flags.js';
import { formatSequenceSet, sequenceSetContains, type SequenceSet } from '../proto/sequence-set.js';
import { ImapSyntaxError, type ParsedCommand, type Token } from '../proto/tokens.js';
import { isRefusal, openFolder } from './mailbox-names.js';
import { AUTHENTICATED, bad, ok, type CommandContext, type CommandResult, type CommandSpec } from './types.js';

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

async function open(context: CommandContext, command: ParsedCommand, examine: boolean): Promise<CommandResult> {
  const args = new ArgReader(command.args, command.name);
  const name = args.mailbox();
  const params = args.remaining > 0 ? parseSelectParams(args.list('select parameters').items) : {};
  args.end();
  if (params.qresync && !context.enabled.has('QRESYNC')) return bad('QRESYNC must be enabled first (ENABLE QRESYNC)');
  if (params.condstore) context.enable('CONDSTORE');
  // Even a failed SELECT leaves no mailbox selected (RFC 3501 6.3.1).
  if (context.selected) context.deselect();

  const opened = await openFolder(context, name, { rights: 'r', command: command.name });
  if (isRefusal(opened)) return opened;
  const { mailbox, folder } = opened;
  // Without any right to change something the box opens read-only (RFC 4314 section 4).
  const readOnly = examine || !/[stwe]/.test(mailbox.rights);
  const { view, messages } = await MailboxView.open(context.store, folder, readOnly, { rights: mailbox.rights, name: mailbox.name });

  const keywords = new Set<string>();
  for (const message of messages) for (const flag of message.flags) if (!flag.startsWith('\\')) keywords.add(flag);
  const flags = [...SYSTEM_FLAGS, ...keywords].map(atom);
  const permanent = readOnly ? [] : [...SYSTEM_FLAGS.filter((flag) => view.mayStore(flag)), ...(view.mayStore('$keyword') ? [...keywords, '\\*'] : [])].map(atom);
  await context.send([atom('FLAGS'), flags]);
  await context.sendStatus('OK', readOnly ? 'No permanent flags permitted' : 'Flags permitted', { name: 'PERMANENTFLAGS', args: [permanent] });
  await context.send([messages.length, atom('EXISTS')]);
  await context.send([0, atom('RECENT')]);
  const firstUnseen = messages.findIndex((message) => !hasFlag(message.flags, '\\Seen'));
  if (firstUnseen >= 0) await context.sendStatus('OK', 'First unseen', { name: 'UNSEEN', args: [firstUnseen + 1] });
  await context.sendStatus('OK', 'UIDs valid', { name: 'UIDVALIDITY', args: [folder.uidValidity] });
  await context.sendStatus('OK', 'Predicted next UID', { name: 'UIDNEXT', args: [folder.uidNext] });
  await context.sendStatus('OK', 'Highest', { name: 'HIGHESTMODSEQ', args: [folder.highestModseq] });
  if (params.qresync && params.qresync.uidValidity === folder.uidValidity) await resynchronise(context, view, messages, params.qresync);
  context.select(view);
  return ok(`${command.name} completed`, { name: readOnly ? 'READ-ONLY' : 'READ-WRITE' });
}

interface QresyncParams {
  uidValidity: number;
  modseq: number;
  knownUids?: SequenceSet;
}

function parseSelectParams(tokens: readonly Token[]): { condstore?: boolean; qresync?: QresyncParams } {
  const out: { condstore?: boolean; qresync?: QresyncParams } = {};
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const name = token.type === 'atom' ? token.value.toUpperCase() : '';
    if (name === 'CONDSTORE') {
      out.condstore = true;
    } else if (name === 'QRESYNC') {
      const list = tokens[++i];
      if (list?.type !== 'list') throw new ImapSyntaxError('QRESYNC needs (uidvalidity modseq [known-uids])');
      const reader = new ArgReader(list.items, 'QRESYNC');
      const uidValidity = reader.number('uidvalidity');
      const modseqText = reader.atom('mod-sequence');
      if (!/^\d{1,19}$/.test(modseqText)) throw new ImapSyntaxError('QRESYNC: invalid mod-sequence');
      const qresync: QresyncParams = { uidValidity, modseq: Number(modseqText) };
      if (reader.remaining > 0 && reader.peek()?.type === 'atom') qresync.knownUids = reader.sequenceSet('known UIDs');
      // The optional sequence match data only saves work; it may be ignored (RFC 7162 3.2.5).
      if (reader.remaining > 0) reader.list('sequence match data');
      reader.end();
      out.qresync = qresync;
    } else {
      throw new ImapSyntaxError(`Unknown SELECT parameter ${name.slice(0, 30)}`);
    }
  }
  return out;
}

/** QRESYNC: what vanished and what changed since the client's modseq, before the tagged OK (RFC 7162 3.2.5). */
async function resynchronise(context: CommandContext, view: MailboxView, messages: readonly MessageSummary[], params: QresyncParams): Promise<void> {
  const known = params.knownUids;
  const gone = (await context.store.expungedSince(view.folder.id, params.modseq))
    .filter((uid) => !known || sequenceSetContains(known, uid, Math.max(view.maxUid, uid)));
  if (gone.length > 0) await context.send([atom('VANISHED'), [atom('EARLIER')], atom(formatSequenceSet(gone))]);
  for (let index = 0; index < messages.length; index++) {
    const message = messages[index]!;
    if (message.modseq <= params.modseq) continue;
    if (known && !sequenceSetContains(known, message.uid, view.maxUid)) continue;
    await context.send([index + 1, atom('FETCH'), [atom('UID'), message.uid, atom('FLAGS'), message.flags.map(atom), atom('MODSEQ'), [message.modseq]]]);
  }
}
