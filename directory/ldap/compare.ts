/**
 * The LDAP compare operation (RFC 4511 §4.10) on the same tree as search: a read, so
 * clients may use it on what they can see.
 */
import type { Viewer } from './entries.js';
import { evaluateFilter } from './filter.js';
import { LdapResultCode } from './result-codes.js';
import { canonicalAttribute } from './schema.js';
import type { DirectoryTree } from './tree.js';

export interface CompareQuery {
  dn: string;
  attribute: string;
  value: string;
}

export async function runCompare(tree: DirectoryTree, query: CompareQuery, viewer: Viewer): Promise<{ resultCode: LdapResultCode; message?: string }> {
  const resolved = await tree.resolve(query.dn, 'base', viewer);
  if (!resolved.found) return { resultCode: resolved.resultCode, message: resolved.message };
  const [section] = resolved.sections;
  if (section?.type !== 'entry') return { resultCode: LdapResultCode.noSuchObject, message: `no entry at "${query.dn}"` };
  const name = canonicalAttribute(query.attribute);
  if (!name || !section.entry.attributes[name]) return { resultCode: LdapResultCode.noSuchAttribute, message: `no attribute ${query.attribute}` };
  const equal = evaluateFilter({ type: 'equality', attribute: name, value: query.value }, section.entry.attributes);
  return { resultCode: equal ? LdapResultCode.compareTrue : LdapResultCode.compareFalse };
}
