/**
 * FETCH and UID FETCH. Message bytes are read only when an item needs them; fetching a
 * body section without PEEK sets \Seen (read-write mailboxes) and reports the new FLAGS.
 */
import type { MessageSummary } from '../../store/types.js';
import { ArgReader } from '../proto/args.js';
import { buildBodyStructure } from '../proto/bodystructure.js';
import { atom, type ResponseValue } from '../proto/compiler.js';
import { buildEnvelope } from '../proto/envelope.js';
import { parseFetchItems, type FetchItem } from '../proto/fetch-items.js';
import { hasFlag } from '../proto/flags.js';
import { formatDateTime } from '../proto/imap-date.js';
import { parseMime, type MimePart } from '../proto/mime.js';
import { extractSection } from '../proto/sections.js';
import type { ParsedCommand } from '../proto/tokens.js';
import type { MessageRef } from '../mailbox-view.js';
import { readAheadBatches, resolveMessages } from './message-set.js';
import { ok, SELECTED, selectedView, type CommandContext, type CommandResult, type CommandSpec } from './types.js';

export const fetch: CommandSpec = {
  name: 'FETCH',
  states: SELECTED,
  notifications: 'no-expunge',
  handler: (context, command) => fetchMessages(context, command, false),
};

export const uidFetch: CommandSpec = {
  name: 'UID FETCH',
  states: SELECTED,
  handler: (context, command) => fetchMessages(context, command, true),
};

const CONTENT_ITEMS = new Set<FetchItem['kind']>(['ENVELOPE', 'BODYSTRUCTURE', 'BODY', 'section']);

async function fetchMessages(context: CommandContext, command: ParsedCommand, byUid: boolean): Promise<CommandResult> {
  const view = selectedView(context);
  const args = new ArgReader(command.args, command.name);
  const set = args.sequenceSet();
  const items = parseFetchItems(args.token('data items'));
  args.end();
  // UID FETCH always reports the UID (RFC 3501 6.4.8).
  if (byUid && !items.some((item) => item.kind === 'UID')) items.unshift({ kind: 'UID' });

  const refs = resolveMessages(view, set, byUid);
  if (refs.length === 0) return ok(`${command.name} completed`);
  const summaries = new Map((await context.store.listMessages(view.folder.id)).map((summary) => [summary.uid, summary]));

  const flagsChanged = new Set<number>();
  const marksSeen = !view.readOnly && items.some((item) => item.kind === 'section' && !item.peek);
  if (marksSeen) {
    const unseen = refs.map((ref) => summaries.get(ref.uid)).filter((s): s is MessageSummary => s !== undefined && !hasFlag(s.flags, '\\Seen'));
    if (unseen.length > 0) {
      for (const updated of await context.store.updateFlags(view.folder.id, unseen.map((s) => s.uid), ['\\Seen'], 'add')) {
        summaries.set(updated.uid, updated);
        flagsChanged.add(updated.uid);
      }
    }
  }

  const needsContent = items.some((item) => CONTENT_ITEMS.has(item.kind));
  const present = refs.filter((ref) => summaries.has(ref.uid)); // the others were expunged by another session; their EXPUNGE comes later
  for (const batch of readAheadBatches(present, summaries, needsContent)) {
    // Messages of a batch are read concurrently, then answered in order: the reads' latency overlaps.
    const raws = needsContent ? await context.store.readMessages(view.folder.id, batch.map((ref) => ref.uid)) : undefined;
    for (const ref of batch) {
      const summary = summaries.get(ref.uid) as MessageSummary;
      let content: { raw: Buffer; mime: MimePart } | undefined;
      if (raws) {
        const raw = raws.get(ref.uid);
        if (!raw) continue; // expunged meanwhile
        content = { raw, mime: parseMime(raw) };
      }
      const values = fetchValues(items, ref, summary, content);
      const reportsFlags = items.some((item) => item.kind === 'FLAGS');
      if (!reportsFlags && flagsChanged.has(ref.uid)) values.push(atom('FLAGS'), summary.flags.map(atom));
      if (reportsFlags || flagsChanged.has(ref.uid)) view.noteFlags(ref.uid, summary.flags);
      await context.send([ref.seq, atom('FETCH'), values]);
    }
  }
  return ok(`${command.name} completed`);
}



function fetchValues(items: readonly FetchItem[], ref: MessageRef, summary: MessageSummary, content: { raw: Buffer; mime: MimePart } | undefined): ResponseValue[] {
  const values: ResponseValue[] = [];
  for (const item of items) {
    switch (item.kind) {
      case 'UID': values.push(atom('UID'), ref.uid); break;
      case 'FLAGS': values.push(atom('FLAGS'), summary.flags.map(atom)); break;
      case 'INTERNALDATE': values.push(atom('INTERNALDATE'), formatDateTime(summary.internalDate)); break;
      case 'RFC822.SIZE': values.push(atom('RFC822.SIZE'), summary.size); break;
      case 'ENVELOPE': values.push(atom('ENVELOPE'), buildEnvelope(content!.mime.headers)); break;
      case 'BODYSTRUCTURE': values.push(atom('BODYSTRUCTURE'), buildBodyStructure(content!.mime, true)); break;
      case 'BODY': values.push(atom('BODY'), buildBodyStructure(content!.mime, false)); break;
      case 'section': {
        let data = extractSection(content!.raw, content!.mime, item.section);
        let name = item.responseName;
        if (item.partial && data) {
          const { start, length } = item.partial;
          data = data.subarray(Math.min(start, data.length), length === undefined ? data.length : Math.min(data.length, start + length));
          name += `<${start}>`;
        }
        values.push(atom(name), data ? Buffer.from(data) : null);
        break;
      }
    }
  }
  return values;
}
