/**
 * Reading LDAP requests from their BER bytes (RFC 4511 §4.1.1, §4.5.1), for the search
 * requests the server answers without ldapjs: decoding one here costs a few
 * microseconds, where ldapjs builds message objects, prints the filter to text and
 * parses it again. Only what this service answers is decoded; anything else, or
 * anything unusual (controls, extensible matches, deep nesting, malformed bytes), is
 * `undefined` and goes to ldapjs, which keeps answering it as before. Assertion values
 * are unescaped as on the ldapjs path (`unescapeFilterValue`): ldapjs's client sends them
 * RFC 4515-escaped.
 */
import { unescapeFilterValue, type LdapFilter } from './filter.js';
import type { SearchScope } from './tree.js';

/** An LDAPMessage's envelope: the operation's tag and where its TLV lies in the message. */
export interface RequestEnvelope {
  messageId: number;
  /** The protocolOp's tag, e.g. SEARCH_REQUEST. */
  operation: number;
  /** Offsets of the whole protocolOp TLV (tag and length included) in the message. */
  start: number;
  end: number;
  hasControls: boolean;
}

/** What a SearchRequest asks, in our terms. */
export interface DecodedSearch {
  baseDn: string;
  scope: SearchScope;
  sizeLimit: number;
  /** Seconds; 0 for none. */
  timeLimit: number;
  typesOnly: boolean;
  filter: LdapFilter;
  attributes: string[];
}

export const SEARCH_REQUEST = 0x63;
/** Deepest AND/OR/NOT nesting decoded here; deeper filters go to ldapjs, which refuses them. */
export const MAX_DECODED_DEPTH = 32;

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const OCTET_STRING = 0x04;
const ENUMERATED = 0x0a;
const BOOLEAN = 0x01;
const CONTROLS = 0xa0;
const SCOPES: readonly SearchScope[] = ['base', 'one', 'sub'];
const FILTER = { and: 0xa0, or: 0xa1, not: 0xa2, equality: 0xa3, substrings: 0xa4, greaterOrEqual: 0xa5, lessOrEqual: 0xa6, present: 0x87, approx: 0xa8 } as const;
const SUBSTRING = { initial: 0x80, any: 0x81, final: 0x82 } as const;

/** Not the BER this reader expects: the request is handed to ldapjs instead. */
class Unreadable extends Error {}

/** A cursor over the TLVs between `at` and `end` of one buffer (definite lengths only, as LDAP requires). */
class BerCursor {
  constructor(readonly bytes: Buffer, public at: number, readonly end: number) {}

  get done(): boolean {
    return this.at >= this.end;
  }

  peekTag(): number {
    if (this.at >= this.end) throw new Unreadable();
    return this.bytes[this.at]!;
  }

  /** Reads a tag and length; returns a cursor over the contents and moves past them. */
  enter(tag: number): BerCursor {
    if (this.peekTag() !== tag) throw new Unreadable();
    let at = this.at + 1;
    if (at >= this.end) throw new Unreadable();
    const first = this.bytes[at++]!;
    let length = first;
    if (first & 0x80) {
      const count = first & 0x7f;
      if (count === 0 || count > 4 || at + count > this.end) throw new Unreadable();
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + this.bytes[at++]!;
    }
    if (at + length > this.end) throw new Unreadable();
    this.at = at + length;
    return new BerCursor(this.bytes, at, at + length);
  }

  /** A non-negative INTEGER or ENUMERATED that fits in 31 bits (message ids, limits, scopes). */
  natural(tag: number): number {
    const inner = this.enter(tag);
    const length = inner.end - inner.at;
    if (length < 1 || length > 5 || this.bytes[inner.at]! & 0x80) throw new Unreadable();
    let value = 0;
    for (let i = inner.at; i < inner.end; i++) value = value * 256 + this.bytes[i]!;
    if (value > 0x7fffffff) throw new Unreadable();
    return value;
  }

  text(tag = OCTET_STRING): string {
    const inner = this.enter(tag);
    return this.bytes.toString('utf8', inner.at, inner.end);
  }

  boolean(): boolean {
    const inner = this.enter(BOOLEAN);
    if (inner.end - inner.at !== 1) throw new Unreadable();
    return this.bytes[inner.at] !== 0;
  }
}

/** The envelope of one whole LDAPMessage (as the framer cuts them), or `undefined` when it is not one. */
export function readEnvelope(message: Buffer): RequestEnvelope | undefined {
  try {
    const body = new BerCursor(message, 0, message.length).enter(SEQUENCE);
    const messageId = body.natural(INTEGER);
    const start = body.at;
    const operation = body.peekTag();
    body.enter(operation);
    const end = body.at;
    const hasControls = !body.done && body.peekTag() === CONTROLS;
    return { messageId, operation, start, end, hasControls };
  } catch (error) {
    if (error instanceof Unreadable) return undefined;
    throw error;
  }
}

/** The SearchRequest whose TLV spans `start`–`end` of `message`, or `undefined` to let ldapjs answer it. */
export function decodeSearchRequest(message: Buffer, start: number, end: number): DecodedSearch | undefined {
  try {
    const request = new BerCursor(message, start, end).enter(SEARCH_REQUEST);
    const baseDn = request.text();
    const scope = SCOPES[request.natural(ENUMERATED)];
    if (!scope) return undefined; // ldapjs answers protocolError
    if (request.natural(ENUMERATED) > 3) return undefined; // derefAliases: we have no aliases, but only 0–3 are valid
    const sizeLimit = request.natural(INTEGER);
    const timeLimit = request.natural(INTEGER);
    const typesOnly = request.boolean();
    const filter = readFilter(request, 1);
    const attributes: string[] = [];
    const list = request.enter(SEQUENCE);
    while (!list.done) attributes.push(list.text());
    if (!request.done) return undefined;
    return { baseDn, scope, sizeLimit, timeLimit, typesOnly, filter, attributes };
  } catch (error) {
    if (error instanceof Unreadable) return undefined;
    throw error;
  }
}

function readFilter(cursor: BerCursor, depth: number): LdapFilter {
  if (depth > MAX_DECODED_DEPTH) throw new Unreadable();
  const tag = cursor.peekTag();
  switch (tag) {
    case FILTER.and:
    case FILTER.or: {
      const set = cursor.enter(tag);
      const filters: LdapFilter[] = [];
      while (!set.done) filters.push(readFilter(set, depth + 1));
      return { type: tag === FILTER.and ? 'and' : 'or', filters };
    }
    case FILTER.not: {
      const inner = cursor.enter(tag);
      const filter = readFilter(inner, depth + 1);
      if (!inner.done) throw new Unreadable();
      return { type: 'not', filter };
    }
    case FILTER.equality: return { type: 'equality', ...assertion(cursor.enter(tag)) };
    case FILTER.approx: return { type: 'approx', ...assertion(cursor.enter(tag)) };
    case FILTER.greaterOrEqual: return { type: 'greaterOrEqual', ...assertion(cursor.enter(tag)) };
    case FILTER.lessOrEqual: return { type: 'lessOrEqual', ...assertion(cursor.enter(tag)) };
    case FILTER.present: {
      const attribute = cursor.text(FILTER.present);
      if (attribute === '') throw new Unreadable();
      return { type: 'present', attribute };
    }
    case FILTER.substrings: return substrings(cursor.enter(tag));
    default: throw new Unreadable(); // extensible matches and unknown choices: ldapjs's business
  }
}

/** AttributeValueAssertion { attributeDesc, assertionValue }. */
function assertion(cursor: BerCursor): { attribute: string; value: string } {
  const attribute = cursor.text();
  const value = unescapeFilterValue(cursor.text());
  if (attribute === '' || !cursor.done) throw new Unreadable();
  return { attribute, value };
}

/** SubstringFilter { type, SEQUENCE OF (initial | any | final) }: at least one, initial first, final last (RFC 4511). */
function substrings(cursor: BerCursor): LdapFilter {
  const attribute = cursor.text();
  const parts = cursor.enter(SEQUENCE);
  if (attribute === '' || parts.done || !cursor.done) throw new Unreadable();
  const result: Extract<LdapFilter, { type: 'substrings' }> = { type: 'substrings', attribute, any: [] };
  let seen = 0;
  while (!parts.done) {
    const tag = parts.peekTag();
    const value = unescapeFilterValue(parts.text(tag));
    if (tag === SUBSTRING.initial && seen === 0) {
      if (value) result.initial = value;
    } else if (tag === SUBSTRING.any) {
      result.any.push(value);
    } else if (tag === SUBSTRING.final && parts.done) {
      if (value) result.final = value;
    } else {
      throw new Unreadable();
    }
    seen++;
  }
  return result;
}
