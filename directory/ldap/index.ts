/** The read-only LDAP service of published mailboxes: the server, and the pieces a replacement for ldapjs would reuse. */
export { LdapServer, DEFAULT_SIZE_LIMIT, type LdapServerOptions } from './server.js';
export {
  HYGIE_ATTRIBUTES, HYGIE_OBJECT_CLASS, PEOPLE_RDN, canonicalAttribute, mailboxDn, mailboxEntry, peopleDn, peopleEntry,
  rootDse, suffixEntry, type LdapAttributes, type LdapEntry,
} from './schema.js';
export { evaluateFilter, filterToString, matchesFilter, normaliseValue, type FilterResult, type LdapFilter } from './filter.js';
export { DirectoryTree, runSearch, type SearchOutcome, type SearchQuery, type SearchScope } from './search.js';
export { runCompare, type CompareQuery } from './compare.js';
export { isWithin, normaliseDn, parseDn, type DnKey } from './dn.js';
export { LdapResultCode } from './result-codes.js';
