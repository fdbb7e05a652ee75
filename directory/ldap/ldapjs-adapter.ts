/**
 * The ldapjs side of the boundary: the few shapes of ldapjs 3 request objects we read,
 * and their translation into our own types (filter tree, scope). ldapjs is
 * decommissioned upstream; replacing it means rewriting this file and server.ts only.
 * The shapes are declared here, structurally, because @types/ldapjs describes ldapjs 2
 * (e.g. it types `scope` as a string where ldapjs 3 gives a number).
 *
 * ldapjs 3 quirk handled here: the server decodes the filter from BER, prints it to RFC 4515
 * text and parses that text again, so every assertion value reaches us escaped
 * (`Hélène` arrives as `H\c3\a9l\c3\a8ne`, `*` inside a value as `\2a`): we unescape.
 * A raw backslash followed by two hex digits in a client's value is therefore read as an
 * escape; names and mail addresses do not contain one.
 */
import { unescapeFilterValue, type LdapFilter } from './filter.js';
import { PAGED_RESULTS_OID } from './schema.js';
import type { SearchScope } from './search.js';

/** What we read of an `@ldapjs/filter` object (`FilterString` and its subclasses). */
export interface LdapjsFilter {
  readonly type: string;
  readonly attribute?: string;
  readonly value?: unknown;
  readonly clauses?: readonly LdapjsFilter[];
  /** NotFilter's inner filter. */
  readonly filter?: LdapjsFilter;
  readonly initial?: string;
  readonly any?: readonly string[];
  readonly final?: string;
  toString(): string;
}

/** The client's socket, as ldapjs decorates it. */
export interface LdapjsConnection {
  readonly remoteAddress?: string;
  /** Set by ldapjs after each successful bind: the bound DN (`cn=anonymous` for anonymous binds). */
  readonly ldap?: { readonly bindDN?: { toString(): string } };
  write(data: Buffer): boolean;
}

/** A request control (RFC 4511 §4.1.11): `type` is the OID; ldapjs decodes the value of the controls it knows. */
export interface LdapjsControl {
  readonly type: string;
  readonly criticality: boolean;
  readonly value?: unknown;
}

export interface LdapjsRequest {
  readonly messageId: number;
  readonly connection: LdapjsConnection;
  readonly controls: readonly LdapjsControl[];
}

export interface LdapjsSearchRequest extends LdapjsRequest {
  readonly baseObject: { toString(): string };
  readonly scope: number | string;
  readonly filter: LdapjsFilter;
  readonly attributes: readonly string[];
  readonly sizeLimit: number;
  /** Seconds; 0 for none. */
  readonly timeLimit: number;
  readonly typesOnly: boolean;
}

export interface LdapjsBindRequest extends LdapjsRequest {
  readonly dn: { toString(): string } | string;
  readonly credentials: string;
}

export interface LdapjsCompareRequest extends LdapjsRequest {
  readonly entry: { toString(): string };
  readonly attribute: string;
  readonly value: unknown;
}

/** Any request with a target DN (add, delete, modify, modify DN). */
export interface LdapjsWriteRequest extends LdapjsRequest {
  readonly dn: { toString(): string } | string;
}

/**
 * ldapjs's response object, for the answers ldapjs writes (binds, compares, refusals):
 * set the fields, then `end(resultCode)`. Search answers are written by ber.ts instead:
 * ldapjs's `send` re-parses every DN and drops attributes whose lower-cased name was not
 * requested (that lost `employeeNumber`).
 */
export interface LdapjsResponse {
  /** The result's diagnosticMessage (ldapjs 3 ignores the older `errorMessage` name: it is never sent). */
  diagnosticMessage: string;
  matchedDN: string;
  end(resultCode?: number): void;
}

export type LdapjsNext = (error?: unknown) => void;

/** The controls we implement, by OID: a critical control outside this list refuses the operation. */
export const IMPLEMENTED_CONTROLS: ReadonlySet<string> = new Set([PAGED_RESULTS_OID]);

/** RFC 2696's request control, as ldapjs's PagedResultsControl decodes it. */
export function pagedResultsFromLdapjs(controls: readonly LdapjsControl[]): { size: number; cookie: Buffer } | undefined {
  const control = controls.find((c) => c.type === PAGED_RESULTS_OID);
  if (!control) return undefined;
  const value = control.value as { size?: unknown; cookie?: unknown } | undefined;
  const size = typeof value?.size === 'number' && value.size >= 0 ? value.size : 0;
  const cookie = Buffer.isBuffer(value?.cookie) ? value.cookie : Buffer.from(typeof value?.cookie === 'string' ? value.cookie : '', 'latin1');
  return { size, cookie };
}

/** The DN the connection is bound as, per ldapjs ('' when anonymous or unknown). */
export function boundDnOf(connection: LdapjsConnection): string {
  const dn = connection.ldap?.bindDN?.toString() ?? '';
  return dn === 'cn=anonymous' ? '' : dn;
}

/** Deepest filter nesting we accept: real clients send two or three levels. */
export const MAX_FILTER_DEPTH = 32;

/** How deep a decoded ldapjs filter nests (AND/OR/NOT levels). */
export function filterDepth(filter: LdapjsFilter, limit = MAX_FILTER_DEPTH + 1): number {
  if (limit <= 0) return 0;
  // `clauses` holds the operands of AND, OR and NOT (ldapjs's `filter` getter returns the filter itself on items).
  const children = filter.clauses ?? [];
  return 1 + children.reduce((max, child) => Math.max(max, filterDepth(child, limit - 1)), 0);
}

/** ldapjs 3 gives 0/1/2 (RFC 4511 values); older shapes gave names. */
export function scopeFromLdapjs(scope: number | string): SearchScope | undefined {
  switch (scope) {
    case 0: case 'base': return 'base';
    case 1: case 'one': case 'single': return 'one';
    case 2: case 'sub': case 'subtree': return 'sub';
    default: return undefined;
  }
}

export function filterFromLdapjs(filter: LdapjsFilter): LdapFilter {
  const attribute = filter.attribute ?? '';
  switch (filter.type) {
    case 'AndFilter': return { type: 'and', filters: (filter.clauses ?? []).map(filterFromLdapjs) };
    case 'OrFilter': return { type: 'or', filters: (filter.clauses ?? []).map(filterFromLdapjs) };
    case 'NotFilter':
      return filter.filter ? { type: 'not', filter: filterFromLdapjs(filter.filter) } : unsupported(filter);
    case 'EqualityFilter': return { type: 'equality', attribute, value: text(filter.value) };
    case 'ApproximateFilter': return { type: 'approx', attribute, value: text(filter.value) };
    case 'GreaterThanEqualsFilter': return { type: 'greaterOrEqual', attribute, value: text(filter.value) };
    case 'LessThanEqualsFilter': return { type: 'lessOrEqual', attribute, value: text(filter.value) };
    case 'PresenceFilter': return { type: 'present', attribute };
    case 'SubstringFilter': {
      const result: Extract<LdapFilter, { type: 'substrings' }> = { type: 'substrings', attribute, any: (filter.any ?? []).map(unescapeFilterValue) };
      if (filter.initial) result.initial = unescapeFilterValue(filter.initial);
      if (filter.final) result.final = unescapeFilterValue(filter.final);
      return result;
    }
    default: return unsupported(filter); // ExtensibleFilter and anything newer
  }
}

function unsupported(filter: LdapjsFilter): LdapFilter {
  return { type: 'unsupported', description: String(filter).replace(/^\(|\)$/g, '') };
}

/** An assertion value as ldapjs hands it over (escaped text, sometimes a Buffer), unescaped. */
function text(value: unknown): string {
  if (Buffer.isBuffer(value)) return unescapeFilterValue(value.toString('utf8'));
  return value === undefined || value === null ? '' : unescapeFilterValue(String(value));
}
