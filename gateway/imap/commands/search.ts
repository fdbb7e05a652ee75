/**
 * SEARCH and UID SEARCH. Criteria on flags, dates, sizes, subject and sender are answered
 * from the store's summaries; other headers and body text need each message's bytes.
 */
import type { MessageSummary } from '../../store/types.js';
import { atom } from '../proto/compiler.js';
import { decodeEncodedWords, extractBodyText } from '../proto/mime-decode.js';
import { headerValues, parseMime, type MimePart } from '../proto/mime.js';
import { matchSearch, parseSearch, searchNeedsContent, UnsupportedCharsetError, type SearchCandidate, type SearchQuery } from '../proto/search.js';
import type { ParsedCommand } from '../proto/tokens.js';
import { readAheadBatches } from './message-set.js';
import { no, ok, SELECTED, selectedView, type CommandContext, type CommandResult, type CommandSpec } from './types.js';

export const search: CommandSpec = {
  name: 'SEARCH',
  states: SELECTED,
  notifications: 'no-expunge',
  handler: (context, command) => searchMessages(context, command, false),
};

export const uidSearch: CommandSpec = {
  name: 'UID SEARCH',
  states: SELECTED,
  handler: (context, command) => searchMessages(context, command, true),
};

/** Header fields the summaries carry decoded. */
const SUMMARY_FIELDS = new Set(['subject', 'from']);

async function searchMessages(context: CommandContext, command: ParsedCommand, byUid: boolean): Promise<CommandResult> {
  const view = selectedView(context);
  let query: SearchQuery;
  try {
    query = parseSearch(command.args);
  } catch (error) {
    if (error instanceof UnsupportedCharsetError) return no('Unsupported charset', { name: 'BADCHARSET', args: [[atom('UTF-8'), atom('US-ASCII')]] });
    throw error;
  }
  const needsContent = searchNeedsContent(query.key, SUMMARY_FIELDS);
  const summaries = new Map((await context.store.listMessages(view.folder.id)).map((summary) => [summary.uid, summary]));
  const scope = { count: view.exists, maxUid: view.maxUid };
  const found: number[] = [];
  const present = view.all().filter((ref) => summaries.has(ref.uid));
  for (const batch of readAheadBatches(present, summaries, needsContent)) {
    const raws = needsContent ? await context.store.readMessages(view.folder.id, batch.map((ref) => ref.uid)) : undefined;
    for (const ref of batch) {
      let content: { raw: Buffer; mime: MimePart } | undefined;
      if (raws) {
        const raw = raws.get(ref.uid);
        if (!raw) continue;
        content = { raw, mime: parseMime(raw) };
      }
      if (matchSearch(query.key, candidate(ref.seq, summaries.get(ref.uid) as MessageSummary, content), scope)) found.push(byUid ? ref.uid : ref.seq);
    }
  }
  await context.send([atom('SEARCH'), ...found]);
  return ok(`${command.name} completed`);
}

function candidate(seq: number, summary: MessageSummary, content: { raw: Buffer; mime: MimePart } | undefined): SearchCandidate {
  let bodyText: string | undefined;
  return {
    seq,
    uid: summary.uid,
    flags: summary.flags,
    internalDate: summary.internalDate,
    size: summary.size,
    sentAt: summary.sentAt,
    header(field) {
      if (!content) return field === 'subject' ? [summary.subject] : field === 'from' ? [summary.from] : [];
      const values = field === '*' ? content.mime.headers.map((h) => `${h.name}: ${h.value}`) : headerValues(content.mime.headers, field);
      return values.map(decodeEncodedWords);
    },
    body() {
      bodyText ??= content ? extractBodyText(content.raw, content.mime) : '';
      return bodyText;
    },
  };
}
