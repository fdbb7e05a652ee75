/**
 * How the directory's published mailboxes look over LDAP: the entries of the tree
 * (root DSE, the suffix, `ou=people`, one inetOrgPerson per published mailbox) as plain
 * objects. No ldapjs here, so the mapping outlives the library. The attributes are
 * documented in README.md next to this file; keep both in step.
 */
import { HygieError } from '../../core/errors.js';
import { parseDn } from './dn.js';
import type { AddressNetwork, PublishedEntry } from '../types.js';

/** Attribute name (canonical spelling) → values. Insertion order is the order clients see. */
export type LdapAttributes = Record<string, string[]>;

export interface LdapEntry {
  /** The DN as we write it to clients. */
  dn: string;
  attributes: LdapAttributes;
}

export const PEOPLE_RDN = 'ou=people';

/** Our own attributes, for what inetOrgPerson has no standard slot for (see README.md). */
export const HYGIE_ATTRIBUTES = {
  hygieMailboxType: 'MSSanté mailbox type: PER (personal), ORG (organisational) or APP (applicative)',
  hygieRpps: '11-digit RPPS number of the professional',
  hygieAdeli: '9-character ADELI number of the professional',
  hygieRegionalMail: 'the regional (S/MIME) address',
  hygieMssanteMail: 'the MSSanté address (health professionals only)',
  hygieApicryptMail: 'the Apicrypt alias',
} as const;

/** Auxiliary object class that carries the hygie* attributes. */
export const HYGIE_OBJECT_CLASS = 'hygieMailbox';

/** Attributes of the root DSE (RFC 4512 §5.1). */
const ROOT_DSE_ATTRIBUTES = ['namingContexts', 'supportedLDAPVersion', 'vendorName', 'vendorVersion'];

/** Every attribute type this service knows, by lower-case name → canonical name. Filters on others are Undefined. */
const KNOWN_ATTRIBUTES = new Map<string, string>(
  ['objectClass', 'dc', 'o', 'ou', 'uid', 'cn', 'sn', 'givenName', 'displayName', 'mail', 'employeeNumber', 'title',
    ...Object.keys(HYGIE_ATTRIBUTES), ...ROOT_DSE_ATTRIBUTES].map((name) => [name.toLowerCase(), name]),
);

/** Standard alternative names (RFC 4519, RFC 4524) clients use for the same types. */
const ALIASES: Record<string, string> = {
  commonname: 'cn', surname: 'sn', gn: 'givenName', rfc822mailbox: 'mail', userid: 'uid',
  domaincomponent: 'dc', organizationname: 'o', organizationalunitname: 'ou',
};

/** The canonical name of an attribute type as a client spelled it, or `undefined` if we do not know it. */
export function canonicalAttribute(name: string): string | undefined {
  const lower = name.trim().toLowerCase();
  return KNOWN_ATTRIBUTES.get(lower) ?? ALIASES[lower];
}

export function peopleDn(baseDn: string): string {
  return `${PEOPLE_RDN},${baseDn}`;
}

export function mailboxDn(mailboxId: number, baseDn: string): string {
  return `uid=${mailboxId},${peopleDn(baseDn)}`;
}

/** Regional first (the operator's own network), then MSSanté, then Apicrypt. */
const NETWORK_ORDER: Record<AddressNetwork, number> = { regional: 0, mssante: 1, apicrypt: 2 };

/** One published mailbox as an inetOrgPerson entry. */
export function mailboxEntry(entry: PublishedEntry, baseDn: string): LdapEntry {
  const addresses = [...entry.addresses].sort((a, b) => NETWORK_ORDER[a.network] - NETWORK_ORDER[b.network]);
  const ofNetwork = (network: AddressNetwork) => addresses.filter((a) => a.network === network).map((a) => a.address);
  return {
    dn: mailboxDn(entry.mailboxId, baseDn),
    attributes: withoutEmpty({
      objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson', HYGIE_OBJECT_CLASS],
      uid: [String(entry.mailboxId)],
      cn: [entry.displayName],
      // `person` requires sn; organisational and applicative boxes have no last name.
      sn: [entry.lastName ?? entry.displayName],
      givenName: values(entry.firstName),
      displayName: [entry.displayName],
      mail: addresses.map((a) => a.address),
      // The national identifier clients can key on; RPPS wins when a professional has both.
      employeeNumber: values(entry.rpps ?? entry.adeli),
      title: values(entry.profession),
      hygieMailboxType: [entry.type],
      hygieRpps: values(entry.rpps),
      hygieAdeli: values(entry.adeli),
      hygieRegionalMail: ofNetwork('regional'),
      hygieMssanteMail: ofNetwork('mssante'),
      hygieApicryptMail: ofNetwork('apicrypt'),
    }),
  };
}

/** The suffix entry (`dc=esante-demo,dc=test`), its object classes chosen from its first RDN. */
export function suffixEntry(baseDn: string, organisationName?: string): LdapEntry {
  const first = baseDn.split(',')[0] ?? '';
  const equals = first.indexOf('=');
  const type = first.slice(0, equals).trim().toLowerCase();
  const value = first.slice(equals + 1).trim();
  const byType: Record<string, LdapAttributes> = {
    dc: { objectClass: ['top', 'dcObject', 'organization'], dc: [value], o: [organisationName ?? value] },
    o: { objectClass: ['top', 'organization'], o: [value] },
    ou: { objectClass: ['top', 'organizationalUnit'], ou: [value] },
  };
  return { dn: baseDn, attributes: byType[type] ?? { objectClass: ['top', 'extensibleObject'], [type]: [value] } };
}

export function peopleEntry(baseDn: string): LdapEntry {
  return { dn: peopleDn(baseDn), attributes: { objectClass: ['top', 'organizationalUnit'], ou: ['people'] } };
}

/**
 * The root DSE: what a client asks first to learn the naming context. Its attributes
 * are operational in RFC 4512; we return them to every search of it so that a plain
 * `ldapsearch -s base -b ""` shows the base DN.
 */
export function rootDse(baseDn: string, vendorVersion?: string): LdapEntry {
  return {
    dn: '',
    attributes: withoutEmpty({
      objectClass: ['top'],
      namingContexts: [baseDn],
      supportedLDAPVersion: ['3'],
      vendorName: ['Hygie'],
      vendorVersion: values(vendorVersion),
    }),
  };
}

/** Checks a configured base DN; returns it trimmed, or throws with the reason. */
export function checkBaseDn(baseDn: string): string {
  const trimmed = baseDn.trim();
  const key = parseDn(trimmed);
  if (!key || key.length === 0) throw new HygieError('CONFIG_INVALID', `ldap.baseDn: "${baseDn}" is not a valid LDAP DN`);
  return trimmed;
}

function values(value: string | null | undefined): string[] {
  return value ? [value] : [];
}

function withoutEmpty(attributes: LdapAttributes): LdapAttributes {
  return Object.fromEntries(Object.entries(attributes).filter(([, v]) => v.length > 0));
}
