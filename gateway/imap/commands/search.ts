/**
 * SEARCH and UID SEARCH, with ESEARCH's RETURN options (RFC 4731) and CONDSTORE's MODSEQ
 * criterion (RFC 7162). Nothing here reads message files: flags, dates, sizes, subject
 * and sender come from the store's summaries, other header fields from the decoded header
 * text and TEXT / BODY from the text index, both kept by the store since delivery.
 */
import type { MessageSummary } from '../../store/types.js';
import { headerValuesFromText } from '../../store/message-index.js';
import { atom, type ResponseValue } from '../proto/compiler.js';
import { matchSearch, parseSearch, searchKeys, UnsupportedCharsetError, type SearchCandidate, type SearchQuery } from '../proto/search.js';
import { formatSequenceSet } from '../proto/sequence-set.js';
import type { ParsedCommand } from '../proto/tokens.js';
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
  const keys = searchKeys(query.key);
  const usesModseq = keys.some((key) => key.kind === 'modseq');
  if (usesModseq) context.enable('CONDSTORE');

  // Text criteria are answered by the store's index, once per distinct criterion.
  const textMatches = new Map<string, Set<number>>();
  for (const key of keys) {
    if (key.kind !== 'text' && key.kind !== 'body') continue;
    const id = `${key.kind}\0${key.value.toLowerCase()}`;
    if (!textMatches.has(id)) textMatches.set(id, await context.store.searchText(view.folder.id, key.value, key.kind));
  }
  const headerTexts = keys.some((key) => key.kind === 'header' && !SUMMARY_FIELDS.has(key.field))
    ? await context.store.headerTexts(view.folder.id) : undefined;

  const summaries = new Map((await context.store.listMessages(view.folder.id)).map((summary) => [summary.uid, summary]));
  const scope = { count: view.exists, maxUid: view.maxUid };
  const found: number[] = [];
  let highestModseq = 0;
  for (const ref of view.all()) {
    const summary = summaries.get(ref.uid);
    if (!summary) continue;
    if (matchSearch(query.key, candidate(ref.seq, summary, textMatches, headerTexts?.get(ref.uid)), scope)) {
      found.push(byUid ? ref.uid : ref.seq);
      highestModseq = Math.max(highestModseq, summary.modseq);
    }
  }

  if (query.returns) {
    await context.send(esearchResponse(command.tag, byUid, found, query.returns, usesModseq ? highestModseq : undefined));
  } else {
    const values: ResponseValue[] = [atom('SEARCH'), ...found];
    // With MODSEQ in the criteria the response ends with the highest mod-sequence found (RFC 7162 3.1.5).
    if (usesModseq && found.length > 0) values.push([atom('MODSEQ'), highestModseq]);
    await context.send(values);
  }
  return ok(`${command.name} completed`);
}

function esearchResponse(tag: string, byUid: boolean, found: readonly number[], returns: ReadonlySet<string>, modseq: number | undefined): ResponseValue[] {
  const values: ResponseValue[] = [atom('ESEARCH'), [atom('TAG'), tag]];
  if (byUid) values.push(atom('UID'));
  if (found.length > 0) {
    if (returns.has('MIN')) values.push(atom('MIN'), found[0]!);
    if (returns.has('MAX')) values.push(atom('MAX'), found[found.length - 1]!);
    if (returns.has('ALL')) values.push(atom('ALL'), atom(formatSequenceSet(found)));
  }
  if (returns.has('COUNT')) values.push(atom('COUNT'), found.length);
  if (modseq !== undefined && found.length > 0) values.push(atom('MODSEQ'), modseq);
  return values;
}

function candidate(seq: number, summary: MessageSummary, textMatches: ReadonlyMap<string, Set<number>>, headerText: string | undefined): SearchCandidate {
  return {
    seq,
    uid: summary.uid,
    flags: summary.flags,
    internalDate: summary.internalDate,
    size: summary.size,
    sentAt: summary.sentAt,
    modseq: summary.modseq,
    textContains: (scope, value) => textMatches.get(`${scope}\0${value.toLowerCase()}`)?.has(summary.uid) ?? false,
    header(field) {
      if (field === 'subject') return [summary.subject];
      if (field === 'from') return [summary.from];
      return headerText === undefined ? [] : headerValuesFromText(headerText, field);
    },
    body: () => '',
  };
}
