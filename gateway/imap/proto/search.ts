/**
 * SEARCH criteria (RFC 3501 6.4.4): tokens to a typed tree, and matching of one message.
 * Matching is pure: the command layer supplies the message facts and, only when the
 * criteria need them, its headers and decoded body text.
 */
import { ImapSyntaxError, type Token } from './tokens.js';
import { isSequenceSet, parseSequenceSet, sequenceSetContains, type SequenceSet } from './sequence-set.js';
import { dayOf, parseSearchDate } from './imap-date.js';

export type SearchKey =
  | { kind: 'all' }
  | { kind: 'none' }
  | { kind: 'flag'; flag: string; present: boolean }
  | { kind: 'sequence'; set: SequenceSet }
  | { kind: 'uid'; set: SequenceSet }
  /** `field` lower-cased. */
  | { kind: 'header'; field: string; value: string }
  | { kind: 'body'; value: string }
  | { kind: 'text'; value: string }
  | { kind: 'date'; field: 'internal' | 'sent'; op: 'before' | 'on' | 'since'; day: number }
  | { kind: 'size'; op: 'larger' | 'smaller'; size: number }
  /** CONDSTORE: messages whose mod-sequence is at least `modseq`. */
  | { kind: 'modseq'; modseq: number }
  | { kind: 'not'; key: SearchKey }
  | { kind: 'or'; left: SearchKey; right: SearchKey }
  | { kind: 'and'; keys: SearchKey[] };

export type SearchReturn = 'MIN' | 'MAX' | 'ALL' | 'COUNT';

export interface SearchQuery {
  key: SearchKey;
  /** Charset named by the client (strings are read as UTF-8 either way). */
  charset: string | null;
  /** ESEARCH (RFC 4731): what to return; undefined for a plain SEARCH response. */
  returns?: Set<SearchReturn>;
}

export interface SearchCandidate {
  seq: number;
  uid: number;
  flags: readonly string[];
  internalDate: Date;
  size: number;
  sentAt: Date | null;
  modseq: number;
  /** When given, answers TEXT and BODY (from an index) instead of scanning `header('*')` and `body()`. */
  textContains?(scope: 'text' | 'body', value: string): boolean;
  /** Decoded values of every occurrence of a header field (lower-cased name; `*` for all fields). */
  header(field: string): readonly string[];
  /** Decoded text of the body's text parts. */
  body(): string;
}

export interface SearchScope {
  /** Number of messages (`*` in sequence sets). */
  count: number;
  /** Largest UID (`*` in UID sets). */
  maxUid: number;
}

const SUPPORTED_CHARSETS = new Set(['UTF-8', 'US-ASCII']);
const FLAG_KEYS: Record<string, [string, boolean]> = {
  ANSWERED: ['\\Answered', true], UNANSWERED: ['\\Answered', false],
  DELETED: ['\\Deleted', true], UNDELETED: ['\\Deleted', false],
  DRAFT: ['\\Draft', true], UNDRAFT: ['\\Draft', false],
  FLAGGED: ['\\Flagged', true], UNFLAGGED: ['\\Flagged', false],
  SEEN: ['\\Seen', true], UNSEEN: ['\\Seen', false],
};
const HEADER_KEYS = new Set(['FROM', 'TO', 'CC', 'BCC', 'SUBJECT']);
const DATE_KEYS: Record<string, ['internal' | 'sent', 'before' | 'on' | 'since']> = {
  BEFORE: ['internal', 'before'], ON: ['internal', 'on'], SINCE: ['internal', 'since'],
  SENTBEFORE: ['sent', 'before'], SENTON: ['sent', 'on'], SENTSINCE: ['sent', 'since'],
};

/** Thrown for a charset we do not search in: answer `NO [BADCHARSET]`. */
export class UnsupportedCharsetError extends Error {}

const RETURNS = new Set<string>(['MIN', 'MAX', 'ALL', 'COUNT']);

export function parseSearch(args: readonly Token[]): SearchQuery {
  const queue = [...args];
  let returns: Set<SearchReturn> | undefined;
  if (queue[0]?.type === 'atom' && queue[0].value.toUpperCase() === 'RETURN') {
    queue.shift();
    const list = queue.shift();
    if (list?.type !== 'list') throw new ImapSyntaxError('RETURN needs a list of options');
    returns = new Set();
    for (const item of list.items) {
      const option = item.type === 'atom' ? item.value.toUpperCase() : '';
      if (!RETURNS.has(option)) throw new ImapSyntaxError(`Unknown SEARCH RETURN option ${option.slice(0, 20)}`);
      returns.add(option as SearchReturn);
    }
    // RETURN () means RETURN (ALL) (RFC 4731 3.1).
    if (returns.size === 0) returns.add('ALL');
  }
  let charset: string | null = null;
  if (queue[0]?.type === 'atom' && queue[0].value.toUpperCase() === 'CHARSET') {
    queue.shift();
    charset = takeString(queue, 'CHARSET').toUpperCase();
    if (!SUPPORTED_CHARSETS.has(charset)) throw new UnsupportedCharsetError(charset);
  }
  if (queue.length === 0) throw new ImapSyntaxError('SEARCH needs at least one criterion');
  const keys: SearchKey[] = [];
  while (queue.length > 0) keys.push(takeKey(queue, 0));
  const query: SearchQuery = { key: keys.length === 1 ? keys[0]! : { kind: 'and', keys }, charset };
  if (returns) query.returns = returns;
  return query;
}

function takeKey(queue: Token[], depth: number): SearchKey {
  if (depth > 32) throw new ImapSyntaxError('SEARCH criteria nested too deeply');
  const token = queue.shift();
  if (!token) throw new ImapSyntaxError('Missing SEARCH criterion');
  if (token.type === 'list') {
    if (token.items.length === 0) throw new ImapSyntaxError('Empty SEARCH list');
    const inner = [...token.items];
    const keys: SearchKey[] = [];
    while (inner.length > 0) keys.push(takeKey(inner, depth + 1));
    return keys.length === 1 ? keys[0]! : { kind: 'and', keys };
  }
  if (token.type !== 'atom') throw new ImapSyntaxError('Unexpected string in SEARCH criteria');
  const name = token.value.toUpperCase();

  const flag = FLAG_KEYS[name];
  if (flag) return { kind: 'flag', flag: flag[0], present: flag[1] };
  const date = DATE_KEYS[name];
  if (date) {
    const text = takeString(queue, name);
    const day = parseSearchDate(text);
    if (day === undefined) throw new ImapSyntaxError(`Invalid date for ${name}: ${text.slice(0, 30)}`);
    return { kind: 'date', field: date[0], op: date[1], day };
  }
  if (HEADER_KEYS.has(name)) return { kind: 'header', field: name.toLowerCase(), value: takeString(queue, name) };

  switch (name) {
    case 'ALL': return { kind: 'all' };
    case 'OLD': return { kind: 'all' }; // \Recent is not kept: no message is recent
    case 'NEW':
    case 'RECENT': return { kind: 'none' };
    case 'KEYWORD':
    case 'UNKEYWORD': return { kind: 'flag', flag: takeString(queue, name), present: name === 'KEYWORD' };
    case 'HEADER': {
      const field = takeString(queue, name).toLowerCase();
      return { kind: 'header', field, value: takeString(queue, name) };
    }
    case 'BODY': return { kind: 'body', value: takeString(queue, name) };
    case 'TEXT': return { kind: 'text', value: takeString(queue, name) };
    case 'LARGER':
    case 'SMALLER': {
      const text = takeString(queue, name);
      if (!/^\d{1,15}$/.test(text)) throw new ImapSyntaxError(`${name} needs a number`);
      return { kind: 'size', op: name === 'LARGER' ? 'larger' : 'smaller', size: Number(text) };
    }
    case 'NOT': return { kind: 'not', key: takeKey(queue, depth + 1) };
    case 'OR': {
      const left = takeKey(queue, depth + 1);
      return { kind: 'or', left, right: takeKey(queue, depth + 1) };
    }
    case 'UID': return { kind: 'uid', set: takeSet(queue) };
    case 'MODSEQ': {
      // Optional entry name and type (per-flag mod-sequences) are accepted and treated as the message's.
      if (queue[0]?.type === 'string') {
        queue.shift();
        const type = takeString(queue, 'MODSEQ').toLowerCase();
        if (!['priv', 'shared', 'all'].includes(type)) throw new ImapSyntaxError('MODSEQ entry type must be priv, shared or all');
      }
      const text = takeString(queue, name);
      if (!/^\d{1,19}$/.test(text)) throw new ImapSyntaxError('MODSEQ needs a mod-sequence');
      return { kind: 'modseq', modseq: Number(text) };
    }
    default:
      if (isSequenceSet(token.value)) return { kind: 'sequence', set: parseSequenceSet(token.value) };
      throw new ImapSyntaxError(`Unknown SEARCH criterion ${token.value.slice(0, 40)}`);
  }
}

function takeString(queue: Token[], after: string): string {
  const token = queue.shift();
  if (!token || token.type === 'list') throw new ImapSyntaxError(`${after} needs an argument`);
  return token.type === 'atom' ? token.value : token.value.toString('utf8');
}

function takeSet(queue: Token[]): SequenceSet {
  const token = queue.shift();
  if (token?.type !== 'atom' || !isSequenceSet(token.value)) throw new ImapSyntaxError('UID needs a sequence set');
  return parseSequenceSet(token.value);
}

/** Every key of a tree, depth first (to find what a search needs before running it). */
export function searchKeys(key: SearchKey): SearchKey[] {
  switch (key.kind) {
    case 'not': return [key, ...searchKeys(key.key)];
    case 'or': return [key, ...searchKeys(key.left), ...searchKeys(key.right)];
    case 'and': return [key, ...key.keys.flatMap(searchKeys)];
    default: return [key];
  }
}

/** Whether matching needs the message's bytes, given the header fields the caller has without them. */
export function searchNeedsContent(key: SearchKey, knownFields: ReadonlySet<string> = new Set()): boolean {
  switch (key.kind) {
    case 'header':
      return !knownFields.has(key.field);
    case 'body':
    case 'text':
      return true;
    case 'not':
      return searchNeedsContent(key.key, knownFields);
    case 'or':
      return searchNeedsContent(key.left, knownFields) || searchNeedsContent(key.right, knownFields);
    case 'and':
      return key.keys.some((inner) => searchNeedsContent(inner, knownFields));
    default:
      return false;
  }
}

export function matchSearch(key: SearchKey, message: SearchCandidate, scope: SearchScope): boolean {
  switch (key.kind) {
    case 'all': return true;
    case 'none': return false;
    case 'flag': return hasFlag(message.flags, key.flag) === key.present;
    case 'sequence': return sequenceSetContains(key.set, message.seq, scope.count);
    case 'uid': return sequenceSetContains(key.set, message.uid, scope.maxUid);
    case 'header': {
      const values = message.header(key.field);
      return values.length > 0 && (key.value === '' || values.some((value) => contains(value, key.value)));
    }
    case 'body': return message.textContains ? message.textContains('body', key.value) : contains(message.body(), key.value);
    case 'text': return message.textContains ? message.textContains('text', key.value)
      : contains(allHeaders(message), key.value) || contains(message.body(), key.value);
    case 'modseq': return message.modseq >= key.modseq;
    case 'date': {
      const date = key.field === 'internal' ? message.internalDate : message.sentAt;
      if (!date) return false;
      const day = dayOf(date);
      return key.op === 'before' ? day < key.day : key.op === 'on' ? day === key.day : day >= key.day;
    }
    case 'size': return key.op === 'larger' ? message.size > key.size : message.size < key.size;
    case 'not': return !matchSearch(key.key, message, scope);
    case 'or': return matchSearch(key.left, message, scope) || matchSearch(key.right, message, scope);
    case 'and': return key.keys.every((inner) => matchSearch(inner, message, scope));
  }
}

function allHeaders(message: SearchCandidate): string {
  return message.header('*').join('\n');
}

function hasFlag(flags: readonly string[], flag: string): boolean {
  const lower = flag.toLowerCase();
  return flags.some((candidate) => candidate.toLowerCase() === lower);
}

function contains(haystack: string, needle: string): boolean {
  return haystack.toLowerCase().includes(needle.toLowerCase());
}
