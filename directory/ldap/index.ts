/** The read-only LDAP service of the healthcare directory: the server, its migrations, and the pieces a replacement for ldapjs would reuse. */
export {
  LdapServer, DEFAULT_SCAN_LIMIT, DEFAULT_SIZE_LIMIT, DEFAULT_TIME_LIMIT_MS, type LdapServerOptions,
} from './server.js';
export { ldapMigrations } from './migrations.js';
export { type CertificateLookup } from './attributes.js';
export {
  CERTIFICATE_ATTRIBUTES, HC_ATTRIBUTES, HYGIE_ATTRIBUTES, OBJECT_CLASSES, UNITS, canonicalAttribute, hostedBoxDn, listedMailboxDn,
  professionalDn, rootDse, structureDn, suffixEntry, unitDn, unitEntry, type EntryKind, type LdapAttributes, type LdapEntry,
} from './schema.js';
export { type Viewer } from './entries.js';
export { evaluateFilter, filterToString, matchesFilter, normaliseValue, type FilterResult, type LdapFilter } from './filter.js';
export { runSearch, type SearchLimits, type SearchOutcome, type SearchQuery, type SearchScope } from './search.js';
export { runCompare, type CompareQuery } from './compare.js';
export { isWithin, normaliseDn, parseDn, type DnKey } from './dn.js';
export { LdapResultCode } from './result-codes.js';
