/**
 * FETCH and UID FETCH, with CONDSTORE (MODSEQ, CHANGEDSINCE) and QRESYNC (VANISHED).
 * ENVELOPE and BODYSTRUCTURE come from the store's cache (computed once at delivery);
 * message bytes are read only for body sections and BODY, and parsed only when a section
 * needs the MIME tree. Fetching a body section without PEEK sets \Seen (read-write
 * mailboxes, `s` right) and reports the new FLAGS.
 */
import type { MessageDescription, MessageSummary } from '../../store/types.js';
import { ArgReader } from '../proto/args.js';
import { buildBodyStructure } from '../proto/bodystructure.js';
import { atom, wire, type ResponseValue } from '../proto/compiler.js';
import { parseFetchItems, type FetchItem } from '../proto/fetch-items.js';
import { hasFlag } from '../proto/flags.js';
import { formatDateTime } from '../proto/imap-date.js';
import { parseMime, type MimePart } from '../proto/mime.js';
import { extractSection } from '../proto/sections.js';
import { formatSequenceSet, sequenceSetContains, type SequenceSet } from '../proto/sequence-set.js';
import { ImapSyntaxError, type ParsedCommand, type Token } from '../proto/tokens.js';
import type { MailboxView, MessageRef } from '../mailbox-view.js';
import { readAheadBatches, resolveMessages } from './message-set.js';
import { bad, ok, SELECTED, selectedView, type CommandContext, type CommandResult, type CommandSpec } from './types.js';

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

/** Messages handled per round (rows, descriptions): bounds the memory of one FETCH 1:* on a large folder. */
const CHUNK = 1000;
/** Batches of message files being read while one is written (each at most 4 MiB: message-set.ts). */
const READ_AHEAD_BATCHES = 3;

interface FetchModifiers {
  changedSince?: number;
  vanished: boolean;
}

async function fetchMessages(context: CommandContext, command: ParsedCommand, byUid: boolean): Promise<CommandResult> {
  const view = selectedView(context);
  const args = new ArgReader(command.args, command.name);
  const set = args.sequenceSet();
  const items = parseFetchItems(args.token('data items'));
  const modifiers = args.remaining > 0 ? parseModifiers(args.list('fetch modifiers').items) : { vanished: false };
  args.end();
  if (modifiers.vanished && (!byUid || !context.enabled.has('QRESYNC'))) {
    return bad('VANISHED needs UID FETCH with QRESYNC enabled');
  }
  if (modifiers.vanished && modifiers.changedSince === undefined) return bad('VANISHED needs CHANGEDSINCE');
  // Any use of MODSEQ turns CONDSTORE on (RFC 7162 3.1); CHANGEDSINCE implies the MODSEQ item.
  if (modifiers.changedSince !== undefined || items.some((item) => item.kind === 'MODSEQ')) context.enable('CONDSTORE');
  if (modifiers.changedSince !== undefined && !items.some((item) => item.kind === 'MODSEQ')) items.push({ kind: 'MODSEQ' });
  // UID FETCH always reports the UID (RFC 3501 6.4.8).
  if (byUid && !items.some((item) => item.kind === 'UID')) items.unshift({ kind: 'UID' });

  if (modifiers.vanished) await sendVanishedEarlier(context, view, set, modifiers.changedSince!);
  const refs = resolveMessages(view, set, byUid);
  const marksSeen = view.mayStore('\\Seen') && items.some((item) => item.kind === 'section' && !item.peek);
  const describes = items.some((item) => item.kind === 'ENVELOPE' || item.kind === 'BODYSTRUCTURE');
  const readsContent = items.some((item) => item.kind === 'BODY' || item.kind === 'section');
  const parsesMime = items.some((item) => item.kind === 'BODY' || (item.kind === 'section' && !(item.section.path.length === 0 && item.section.text === '')));
  const reportsFlags = items.some((item) => item.kind === 'FLAGS');
  const reportsModseq = items.some((item) => item.kind === 'MODSEQ');
  const mode = context.reportMode();

  // Chunk by chunk: the rows of the messages asked for only (not the whole folder), which bounds memory too.
  for (let start = 0; start < refs.length; start += CHUNK) {
    let chunk = refs.slice(start, start + CHUNK);
    const summaries = new Map((await context.store.listMessages(view.folder.id, chunk.map((ref) => ref.uid))).map((s) => [s.uid, s]));
    // The others were expunged by another session; their EXPUNGE comes later.
    chunk = chunk.filter((ref) => summaries.has(ref.uid));
    if (modifiers.changedSince !== undefined) {
      const since = modifiers.changedSince;
      chunk = chunk.filter((ref) => summaries.get(ref.uid)!.modseq > since);
    }
    const flagsChanged = new Set<number>();
    if (marksSeen) {
      const unseen = chunk.map((ref) => summaries.get(ref.uid)!).filter((s) => !hasFlag(s.flags, '\\Seen'));
      if (unseen.length > 0) {
        for (const updated of await context.store.updateFlags(view.folder.id, unseen.map((s) => s.uid), ['\\Seen'], 'add')) {
          summaries.set(updated.uid, updated);
          flagsChanged.add(updated.uid);
        }
      }
    }
    const descriptions = describes ? await context.store.describeMessages(view.folder.id, chunk.map((ref) => ref.uid)) : undefined;
    const batches = [...readAheadBatches(chunk, summaries, readsContent)];
    const read = (index: number): Promise<Map<number, Buffer>> | undefined => {
      if (!readsContent || index >= batches.length) return undefined;
      const promise = context.store.readMessages(view.folder.id, batches[index]!.map((ref) => ref.uid));
      promise.catch(() => undefined); // awaited later; a failure must not go unhandled meanwhile
      return promise;
    };
    // Messages of a batch are read concurrently, and the next batches are read while this one is written.
    const reading = Array.from({ length: READ_AHEAD_BATCHES }, (_, index) => read(index));
    for (let index = 0; index < batches.length; index++) {
      const batch = batches[index]!;
      const raws = await reading.shift();
      if (context.isClosed) return ok(`${command.name} abandoned`);
      reading.push(read(index + READ_AHEAD_BATCHES));
      for (const ref of batch) {
        const summary = summaries.get(ref.uid)!;
        const description = descriptions?.get(ref.uid);
        if (describes && !description) continue; // expunged meanwhile
        let content: Content | undefined;
        if (raws) {
          const raw = raws.get(ref.uid);
          if (!raw) continue;
          content = { raw, mime: parsesMime ? parseMime(raw) : undefined };
        }
        const values = fetchValues(items, ref, summary, description, content);
        const changed = flagsChanged.has(ref.uid);
        if (!reportsFlags && changed) values.push(atom('FLAGS'), summary.flags.map(atom));
        if (changed && mode.condstore && !reportsModseq) values.push(atom('MODSEQ'), [summary.modseq]);
        if (reportsFlags || changed) view.noteFlags(ref.uid, summary.modseq);
        await context.send([ref.seq, atom('FETCH'), values]);
      }
    }
  }
  return ok(`${command.name} completed`);
}

interface Content {
  raw: Buffer;
  mime: MimePart | undefined;
}

function parseModifiers(tokens: readonly Token[]): FetchModifiers {
  const out: FetchModifiers = { vanished: false };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const name = token.type === 'atom' ? token.value.toUpperCase() : '';
    if (name === 'CHANGEDSINCE') {
      const value = tokens[++i];
      if (value?.type !== 'atom' || !/^\d{1,19}$/.test(value.value)) throw new ImapSyntaxError('CHANGEDSINCE needs a mod-sequence');
      out.changedSince = Number(value.value);
    } else if (name === 'VANISHED') {
      out.vanished = true;
    } else {
      throw new ImapSyntaxError(`Unknown FETCH modifier ${name.slice(0, 30)}`);
    }
  }
  return out;
}

/** QRESYNC: the UIDs of the set expunged since the client's modseq, before the FETCH responses (RFC 7162 3.2.6). */
async function sendVanishedEarlier(context: CommandContext, view: MailboxView, set: SequenceSet, since: number): Promise<void> {
  const gone = (await context.store.expungedSince(view.folder.id, since)).filter((uid) => sequenceSetContains(set, uid, Math.max(view.maxUid, uid)));
  if (gone.length > 0) await context.send([atom('VANISHED'), [atom('EARLIER')], atom(formatSequenceSet(gone))]);
}

function fetchValues(items: readonly FetchItem[], ref: MessageRef, summary: MessageSummary, description: MessageDescription | undefined, content: Content | undefined): ResponseValue[] {
  const values: ResponseValue[] = [];
  for (const item of items) {
    switch (item.kind) {
      case 'UID': values.push(atom('UID'), ref.uid); break;
      case 'FLAGS': values.push(atom('FLAGS'), summary.flags.map(atom)); break;
      case 'MODSEQ': values.push(atom('MODSEQ'), [summary.modseq]); break;
      case 'INTERNALDATE': values.push(atom('INTERNALDATE'), formatDateTime(summary.internalDate)); break;
      case 'RFC822.SIZE': values.push(atom('RFC822.SIZE'), summary.size); break;
      case 'ENVELOPE': values.push(atom('ENVELOPE'), wire(description!.envelope)); break;
      case 'BODYSTRUCTURE': values.push(atom('BODYSTRUCTURE'), wire(description!.bodyStructure)); break;
      case 'BODY': values.push(atom('BODY'), buildBodyStructure(content!.mime!, false)); break;
      case 'section': {
        const whole = item.section.path.length === 0 && item.section.text === '';
        let data = whole ? content!.raw : extractSection(content!.raw, content!.mime!, item.section);
        let name = item.responseName;
        if (item.partial && data) {
          const { start, length } = item.partial;
          data = data.subarray(Math.min(start, data.length), length === undefined ? data.length : Math.min(data.length, start + length));
          name += `<${start}>`;
        }
        values.push(atom(name), data);
        break;
      }
    }
  }
  return values;
}
