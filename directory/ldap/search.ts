/**
 * The LDAP search operation without sockets or ldapjs: given a snapshot of the tree and
 * a request (base, scope, filter, attributes, limits), which entries go back and with
 * which result code. The server only translates the protocol to and from these types,
 * so a replacement for ldapjs reuses this unchanged, with its tests.
 */
import { isWithin, parseDn, type DnKey } from './dn.js';
import { matchesFilter, type LdapFilter } from './filter.js';
import { LdapResultCode } from './result-codes.js';
import {
  PEOPLE_RDN, canonicalAttribute, mailboxEntry, peopleEntry, rootDse, suffixEntry, type LdapAttributes, type LdapEntry,
} from './schema.js';
import type { PublishedEntry } from '../types.js';

export type SearchScope = 'base' | 'one' | 'sub';

export interface SearchQuery {
  baseDn: string;
  scope: SearchScope;
  filter: LdapFilter;
  /** Requested attributes as the client wrote them; empty or `*` means all, `1.1` alone means none. */
  attributes: readonly string[];
  /** The client's limit; 0 means none (the server's limit still applies). */
  sizeLimit: number;
  typesOnly: boolean;
}

export interface SearchOutcome {
  resultCode: LdapResultCode;
  entries: LdapEntry[];
  /** For an error: text for the client; for noSuchObject, `matchedDn` is the deepest existing ancestor. */
  message?: string;
  matchedDn?: string;
}

interface IndexedEntry {
  key: DnKey;
  entry: LdapEntry;
}

/** One consistent view of the tree for one search: the root DSE, the suffix, ou=people and the published boxes. */
export class DirectoryTree {
  readonly rootDse: LdapEntry;
  /** Suffix first, then ou=people, then mailboxes in directory order. */
  private readonly entries: IndexedEntry[];
  private readonly byKey: Map<string, LdapEntry>;

  constructor(options: { baseDn: string; published: readonly PublishedEntry[]; organisationName?: string; vendorVersion?: string }) {
    const { baseDn } = options;
    this.rootDse = rootDse(baseDn, options.vendorVersion);
    // Keys are built, not parsed: parsing thousands of DNs per search would cost more than the search.
    const suffixKey = parseDn(baseDn) ?? fail(baseDn);
    const peopleKey = [PEOPLE_RDN, ...suffixKey];
    this.entries = [
      { key: suffixKey, entry: suffixEntry(baseDn, options.organisationName) },
      { key: peopleKey, entry: peopleEntry(baseDn) },
      ...options.published.map((p) => ({ key: [`uid=${p.mailboxId}`, ...peopleKey], entry: mailboxEntry(p, baseDn) })),
    ];
    this.byKey = new Map(this.entries.map((e) => [e.key.join(','), e.entry]));
  }

  /** The entry at exactly this DN, if any (the root DSE for `[]`). */
  find(key: DnKey): LdapEntry | undefined {
    if (key.length === 0) return this.rootDse;
    return this.byKey.get(key.join(','));
  }

  /** The entries in scope below `base`, which must exist. */
  inScope(base: DnKey, scope: SearchScope): LdapEntry[] {
    if (scope === 'base') {
      const found = this.find(base);
      return found ? [found] : [];
    }
    // The root DSE is never part of a one-level or subtree search (RFC 4512 §5.1). Below it we
    // hold one naming context, the suffix, as its only child: a client with an empty base
    // still finds people.
    if (base.length === 0) return scope === 'one' ? [this.entries[0]!.entry] : this.entries.map((e) => e.entry);
    return this.entries
      .filter((e) => isWithin(e.key, base) && (scope === 'sub' || e.key.length === base.length + 1))
      .map((e) => e.entry);
  }

  /** The DN of the deepest existing entry above `key` (for noSuchObject's matchedDN). */
  deepestAncestor(key: DnKey): string {
    for (let length = key.length - 1; length > 0; length--) {
      const found = this.find(key.slice(key.length - length));
      if (found) return found.dn;
    }
    return '';
  }
}

export function runSearch(tree: DirectoryTree, query: SearchQuery, serverSizeLimit: number): SearchOutcome {
  const base = parseDn(query.baseDn);
  if (!base) return { resultCode: LdapResultCode.invalidDNSyntax, entries: [], message: `invalid base DN "${query.baseDn}"` };
  if (!tree.find(base)) {
    return {
      resultCode: LdapResultCode.noSuchObject, entries: [],
      message: `no entry at "${query.baseDn}"`, matchedDn: tree.deepestAncestor(base),
    };
  }

  const limit = query.sizeLimit > 0 ? Math.min(query.sizeLimit, serverSizeLimit) : serverSizeLimit;
  const selection = attributeSelection(query.attributes);
  const entries: LdapEntry[] = [];
  for (const entry of tree.inScope(base, query.scope)) {
    if (!matchesFilter(query.filter, entry.attributes)) continue;
    if (entries.length >= limit) {
      return { resultCode: LdapResultCode.sizeLimitExceeded, entries, message: `more than ${limit} entries match` };
    }
    entries.push(selectAttributes(entry, selection, query.typesOnly));
  }
  return { resultCode: LdapResultCode.success, entries };
}

/** `all`, or the canonical names asked for (unknown names are dropped, as LDAP servers do). */
type AttributeSelection = 'all' | ReadonlySet<string>;

function attributeSelection(requested: readonly string[]): AttributeSelection {
  const names = requested.map((n) => n.trim()).filter((n) => n !== '');
  if (names.length === 0 || names.includes('*')) return 'all';
  // `1.1` means "no attributes" (RFC 4511 §4.5.1.8); `+` asks for operational attributes, of which we have none to add.
  return new Set(names.map(canonicalAttribute).filter((n): n is string => n !== undefined));
}

function selectAttributes(entry: LdapEntry, selection: AttributeSelection, typesOnly: boolean): LdapEntry {
  const attributes: LdapAttributes = {};
  for (const [name, values] of Object.entries(entry.attributes)) {
    if (selection !== 'all' && !selection.has(name)) continue;
    attributes[name] = typesOnly ? [] : [...values];
  }
  return { dn: entry.dn, attributes };
}

function fail(dn: string): never {
  throw new Error(`the directory produced an invalid DN "${dn}"`);
}
