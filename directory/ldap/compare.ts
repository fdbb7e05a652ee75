/**
 * The LDAP compare operation (RFC 4511 §4.10) on the same tree snapshot as search:
 * a read, so anonymous clients may use it on what they can see.
 */
import { parseDn } from './dn.js';
import { evaluateFilter } from './filter.js';
import { LdapResultCode } from './result-codes.js';
import { canonicalAttribute } from './schema.js';
import type { DirectoryTree } from './search.js';

export interface CompareQuery {
  dn: string;
  attribute: string;
  value: string;
}

export function runCompare(tree: DirectoryTree, query: CompareQuery): { resultCode: LdapResultCode; message?: string } {
  const key = parseDn(query.dn);
  if (!key) return { resultCode: LdapResultCode.invalidDNSyntax, message: `invalid DN "${query.dn}"` };
  const entry = tree.find(key);
  if (!entry) return { resultCode: LdapResultCode.noSuchObject, message: `no entry at "${query.dn}"` };
  const name = canonicalAttribute(query.attribute);
  if (!name || !entry.attributes[name]) return { resultCode: LdapResultCode.noSuchAttribute, message: `no attribute ${query.attribute}` };
  const equal = evaluateFilter({ type: 'equality', attribute: name, value: query.value }, entry.attributes);
  return { resultCode: equal ? LdapResultCode.compareTrue : LdapResultCode.compareFalse };
}
