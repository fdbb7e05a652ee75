/**
 * The shape of the LDAP tree: the fixed entries (root DSE, suffix, the three
 * organisational units), the kinds of directory entries below them with their DNs and
 * object classes, and the attribute types this service knows. No ldapjs here, so the
 * schema outlives the library. README.md next to this file documents it; keep both in
 * step. How database rows become entries is in entries.ts.
 */
import { HygieError } from '../../core/errors.js';
import { escapeDnValue, parseDn } from './dn.js';

/** Attribute name (canonical spelling) → values. Insertion order is the order clients see. */
export type LdapAttributes = Record<string, string[]>;

export interface LdapEntry {
  /** The DN as we write it to clients. */
  dn: string;
  attributes: LdapAttributes;
  /** Binary values (certificates), sent as they are; never used in filters. */
  binary?: Record<string, Buffer[]>;
}

/**
 * The kinds of entries under the suffix:
 * - professional: a health professional of the registry, with every visible secure
 *   address of theirs (hosted personal boxes linked to them, and addresses from the
 *   extractions) — `uid=<national id>,ou=people`;
 * - hostedPerson: a personal box hosted here that no professional is linked to (people
 *   outside the registry) — `uid=box-<id>,ou=people`;
 * - structure: a place of practice from the registry — `uid=<technical id>,ou=structures`;
 * - hostedService: an organisational or applicative box hosted here — `uid=box-<id>,ou=mailboxes`;
 * - listedMailbox: an address from the extractions or regional lists that is not a known
 *   professional's (organisational boxes, applicative boxes, personal boxes of a
 *   professional the registry does not hold) — `mail=<address>,ou=mailboxes`.
 */
export type EntryKind = 'professional' | 'hostedPerson' | 'structure' | 'hostedService' | 'listedMailbox';

/** The organisational units under the suffix, in the order searches return them, and the kinds each holds. */
export const UNITS = [
  { ou: 'people', kinds: ['professional', 'hostedPerson'] },
  { ou: 'structures', kinds: ['structure'] },
  { ou: 'mailboxes', kinds: ['hostedService', 'listedMailbox'] },
] as const satisfies ReadonlyArray<{ ou: string; kinds: readonly EntryKind[] }>;

export type UnitName = (typeof UNITS)[number]['ou'];

/** The prefix of hosted boxes' uid, so that it never collides with a national identifier. */
export const HOSTED_UID_PREFIX = 'box-';

const PERSON = ['top', 'person', 'organizationalPerson', 'inetOrgPerson'];

/** ISO 21091's auxiliary class for health professionals (names as IHE HPD uses them). */
export const HC_PROFESSIONAL_CLASS = 'HCProfessional';

export const OBJECT_CLASSES: Readonly<Record<EntryKind, readonly string[]>> = {
  professional: [...PERSON, HC_PROFESSIONAL_CLASS, 'hygieProfessional'],
  hostedPerson: [...PERSON, 'hygieMailbox'],
  hostedService: [...PERSON, 'hygieMailbox'],
  listedMailbox: [...PERSON, 'hygieMailbox'],
  structure: ['top', 'organization', 'uidObject', 'hygieStructure'],
};

/** Attributes of ISO 21091's HCProfessional we fill (see README.md for their values). */
export const HC_ATTRIBUTES = {
  hcIdentifier: 'the national identifier of the professional (IdNatPS: 8 + RPPS or 0 + ADELI)',
  hcProfession: 'profession (e.g. Médecin)',
  hcSpecialisation: 'specialties and savoir-faire',
  hcRegisteredName: 'the name the professional practises under, with their exercise civility',
  hcPracticeLocation: 'DN of each structure where the professional practises',
} as const;

/** Our own attributes, for what the standard classes have no slot for (see README.md). */
export const HYGIE_ATTRIBUTES = {
  hygieMailboxType: 'MSSanté mailbox type: PER (personal), ORG (organisational) or APP (applicative)',
  hygieRpps: '11-digit RPPS number of the professional',
  hygieAdeli: '9-character ADELI number of the professional',
  hygieRegionalMail: 'the regional (S/MIME) addresses',
  hygieMssanteMail: 'the MSSanté addresses',
  hygieApicryptMail: 'the Apicrypt addresses',
  hygieFiness: 'FINESS number of the site (établissement géographique)',
  hygieFinessLegal: 'FINESS number of the legal entity (entité juridique)',
  hygieSiret: 'SIRET number',
  hygieSiren: 'SIREN number',
  hygieState: 'operators only: visible, or why the public does not see the entry (unpublished, deleted, vanished)',
  hygieAddressState: 'operators only: "<address> <state>" for each address of the entry the public does not see',
} as const;

/** Certificates, published for mail clients that encrypt (RFC 4523 and RFC 2798); never used in filters. */
export const CERTIFICATE_ATTRIBUTES = {
  userCertificate: 'userCertificate;binary',
  userSMIMECertificate: 'userSMIMECertificate',
} as const;

const STANDARD_ATTRIBUTES = [
  'objectClass', 'dc', 'o', 'ou', 'uid', 'cn', 'sn', 'givenName', 'displayName', 'personalTitle', 'title', 'description',
  'mail', 'employeeNumber', 'street', 'postalCode', 'l', 'postalAddress', 'telephoneNumber', 'facsimileTelephoneNumber',
];

/** Attributes of the root DSE (RFC 4512 §5.1). */
const ROOT_DSE_ATTRIBUTES = ['namingContexts', 'supportedLDAPVersion', 'supportedControl', 'vendorName', 'vendorVersion'];

/** Every attribute type this service knows, by lower-case name → canonical name. Filters on others are Undefined. */
const KNOWN_ATTRIBUTES = new Map<string, string>(
  [...STANDARD_ATTRIBUTES, ...Object.keys(HC_ATTRIBUTES), ...Object.keys(HYGIE_ATTRIBUTES), ...ROOT_DSE_ATTRIBUTES]
    .map((name) => [name.toLowerCase(), name]),
);

/** Standard alternative names (RFC 4519, RFC 4524) clients use for the same types. */
const ALIASES: Record<string, string> = {
  commonname: 'cn', surname: 'sn', gn: 'givenName', rfc822mailbox: 'mail', userid: 'uid',
  domaincomponent: 'dc', organizationname: 'o', organizationalunitname: 'ou', localityname: 'l', streetaddress: 'street',
};

/** The attributes entries of each kind may carry: a filter on any other attribute is FALSE for that kind. */
export const KIND_ATTRIBUTES: Readonly<Record<EntryKind, ReadonlySet<string>>> = (() => {
  const mails = ['mail', 'hygieRegionalMail', 'hygieMssanteMail', 'hygieApicryptMail'];
  const postal = ['street', 'postalCode', 'l', 'postalAddress'];
  const hosted = ['objectClass', 'uid', 'cn', 'sn', 'givenName', 'displayName', 'title', 'description', 'o', ...mails,
    'employeeNumber', 'hygieMailboxType', 'hygieRpps', 'hygieAdeli', 'hygieState'];
  return {
    professional: new Set(['objectClass', 'uid', 'cn', 'sn', 'givenName', 'displayName', 'personalTitle', 'title', ...mails,
      'employeeNumber', 'o', ...postal, 'telephoneNumber', 'facsimileTelephoneNumber', ...Object.keys(HC_ATTRIBUTES),
      'hygieRpps', 'hygieAdeli', 'hygieState', 'hygieAddressState']),
    hostedPerson: new Set(hosted),
    hostedService: new Set(hosted),
    listedMailbox: new Set(['objectClass', 'cn', 'sn', 'givenName', 'displayName', 'title', 'o', ...postal, ...mails,
      'hcIdentifier', 'hygieMailboxType', 'hygieState']),
    structure: new Set(['objectClass', 'uid', 'o', ...postal, 'telephoneNumber', 'facsimileTelephoneNumber',
      'hygieFiness', 'hygieFinessLegal', 'hygieSiret', 'hygieSiren', 'hygieState']),
  };
})();

/** The canonical name of an attribute type as a client spelled it, or `undefined` if we do not know it. */
export function canonicalAttribute(name: string): string | undefined {
  const lower = name.trim().toLowerCase();
  return KNOWN_ATTRIBUTES.get(lower) ?? ALIASES[lower];
}

/**
 * The certificate attribute a client asked for, with or without the `;binary` option
 * (RFC 4523 wants it; clients forget it), or `undefined`.
 */
export function certificateAttribute(name: string): string | undefined {
  const [type, ...options] = name.trim().toLowerCase().split(';');
  if (options.some((o) => o !== 'binary')) return undefined;
  if (type === 'usercertificate') return CERTIFICATE_ATTRIBUTES.userCertificate;
  if (type === 'usersmimecertificate') return CERTIFICATE_ATTRIBUTES.userSMIMECertificate;
  return undefined;
}

// ---- DNs ---------------------------------------------------------------------------

export function unitDn(ou: UnitName, baseDn: string): string {
  return `ou=${ou},${baseDn}`;
}

export function unitOf(kind: EntryKind): UnitName {
  return UNITS.find((u) => (u.kinds as readonly EntryKind[]).includes(kind))!.ou;
}

export function professionalDn(nationalId: string, baseDn: string): string {
  return `uid=${escapeDnValue(nationalId)},${unitDn('people', baseDn)}`;
}

export function hostedBoxDn(mailboxId: number, kind: 'hostedPerson' | 'hostedService', baseDn: string): string {
  return `uid=${HOSTED_UID_PREFIX}${mailboxId},${unitDn(unitOf(kind), baseDn)}`;
}

export function listedMailboxDn(address: string, baseDn: string): string {
  return `mail=${escapeDnValue(address)},${unitDn('mailboxes', baseDn)}`;
}

export function structureDn(technicalId: string, baseDn: string): string {
  return `uid=${escapeDnValue(technicalId)},${unitDn('structures', baseDn)}`;
}

// ---- fixed entries -----------------------------------------------------------------

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

export function unitEntry(ou: UnitName, baseDn: string): LdapEntry {
  return { dn: unitDn(ou, baseDn), attributes: { objectClass: ['top', 'organizationalUnit'], ou: [ou] } };
}

/** RFC 2696 paged results: the one control this service implements. */
export const PAGED_RESULTS_OID = '1.2.840.113556.1.4.319';

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
      supportedControl: [PAGED_RESULTS_OID],
      vendorName: ['Hygie'],
      vendorVersion: vendorVersion ? [vendorVersion] : [],
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

export function withoutEmpty(attributes: LdapAttributes): LdapAttributes {
  // A loop rather than fromEntries(entries().filter()): every entry of every answer comes through here.
  const kept: LdapAttributes = {};
  for (const name in attributes) {
    const values = attributes[name]!;
    if (values.length > 0) kept[name] = values;
  }
  return kept;
}
