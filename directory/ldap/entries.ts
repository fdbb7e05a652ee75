/**
 * Database rows → LDAP entries, for each kind of entry (schema.ts), and who may see
 * them. Which addresses are visible comes from the directory's one rule (the
 * `directory_addresses` view, read by entry-source.ts): this module only decides what an
 * entry looks like for the public and for operators, who see everything with a
 * `hygieState` saying why the public does not. No SQL and no ldapjs here.
 */
import type { AddressNetwork, MailboxType } from '../types.js';
import {
  HOSTED_UID_PREFIX, OBJECT_CLASSES, hostedBoxDn, listedMailboxDn, professionalDn, structureDn, withoutEmpty,
  type LdapAttributes, type LdapEntry,
} from './schema.js';

/** Anonymous and ordinary clients see what the directory publishes; an operator sees everything. */
export type Viewer = 'public' | 'operator';

/** Why the public does not see an entry or an address, or that it does. */
export type EntryState = 'visible' | 'unpublished' | 'deleted' | 'vanished';

/** Postal address columns as the registry tables name them. */
export interface PostalRow {
  address_recipient: string | null;
  address_point: string | null;
  street_number: string | null;
  street_repetition: string | null;
  street_type: string | null;
  street_name: string | null;
  address_mention: string | null;
  cedex: string | null;
  postal_code: string | null;
  city: string | null;
}

export interface ProfessionalRow {
  id: number;
  national_id: string;
  id_type: string;
  identifier: string;
  civility: string | null;
  exercise_civility: string | null;
  last_name: string | null;
  first_name: string | null;
  profession: string | null;
  vanished_at: string | null;
}

export interface StructureRow extends PostalRow {
  id: number;
  technical_id: string;
  name: string | null;
  trade_name: string | null;
  finess_site: string | null;
  finess_legal: string | null;
  siret: string | null;
  siren: string | null;
  phone: string | null;
  phone2: string | null;
  fax: string | null;
  vanished_at: string | null;
}

/** A secure address with its visibility from `directory_addresses`. */
export interface AddressRow {
  address: string;
  network: AddressNetwork;
  visible: boolean;
  /** Hosted boxes: `active` or `deleted`; null for addresses from the extractions. */
  mailbox_status: string | null;
}

export interface ProfessionalParts {
  activities: ReadonlyArray<{ vanished: boolean; structure: StructureRow | null }>;
  skills: ReadonlyArray<{ label: string | null; vanished: boolean }>;
  addresses: readonly AddressRow[];
}

export interface HostedBoxRow {
  id: number;
  type: MailboxType;
  display_name: string;
  first_name: string | null;
  last_name: string | null;
  rpps: string | null;
  adeli: string | null;
  profession: string | null;
  description: string | null;
  status: string;
  structure_name: string | null;
}

export interface ListedMailboxRow extends PostalRow {
  id: number;
  address: string;
  network: AddressNetwork;
  box_type: MailboxType;
  national_id: string | null;
  civility: string | null;
  last_name: string | null;
  first_name: string | null;
  service: string | null;
  profession: string | null;
  structure_name: string | null;
  visible: boolean;
}

/** Regional first (the operator's own network), then MSSanté, then Apicrypt. */
const NETWORK_ORDER: Record<AddressNetwork, number> = { regional: 0, mssante: 1, apicrypt: 2 };
const NETWORK_ATTRIBUTE: Record<AddressNetwork, string> = {
  regional: 'hygieRegionalMail', mssante: 'hygieMssanteMail', apicrypt: 'hygieApicryptMail',
};

/** A professional's entry, or `undefined` when the viewer may not see it. */
export function professionalEntry(row: ProfessionalRow, parts: ProfessionalParts, baseDn: string, viewer: Viewer): LdapEntry | undefined {
  const addresses = parts.addresses.filter((a) => viewer === 'operator' || a.visible);
  const visibleAddresses = parts.addresses.some((a) => a.visible);
  // Gone from the registry, the entry stays while a box of theirs is still published here.
  const visible = row.vanished_at === null || visibleAddresses;
  if (!visible && viewer !== 'operator') return undefined;
  const structures = unique(parts.activities.filter((a) => a.structure && (viewer === 'operator' || (!a.vanished && !a.structure.vanished_at)))
    .map((a) => a.structure!), (s) => s.id);
  const cn = personName(row.first_name, row.last_name) ?? row.national_id;
  const civility = row.exercise_civility ?? row.civility;
  const rpps = row.id_type === '8' ? row.identifier : null;
  const adeli = row.id_type === '0' ? row.identifier : null;
  return {
    dn: professionalDn(row.national_id, baseDn),
    attributes: withoutEmpty({
      objectClass: [...OBJECT_CLASSES.professional],
      uid: [row.national_id],
      cn: [cn],
      sn: [row.last_name ?? cn], // `person` requires sn
      givenName: values(row.first_name),
      displayName: [cn],
      personalTitle: values(civility),
      title: values(row.profession),
      ...mailAttributes(addresses),
      employeeNumber: [row.identifier],
      o: uniqueValues(structures.map((s) => s.name ?? s.trade_name)),
      ...postalAttributes(structures),
      telephoneNumber: uniqueValues(structures.flatMap((s) => [s.phone, s.phone2])),
      facsimileTelephoneNumber: uniqueValues(structures.map((s) => s.fax)),
      hcIdentifier: [row.national_id],
      hcProfession: values(row.profession),
      hcSpecialisation: uniqueValues(parts.skills.filter((s) => viewer === 'operator' || !s.vanished).map((s) => s.label)),
      hcRegisteredName: [civility ? `${civility} ${cn}` : cn],
      hcPracticeLocation: structures.map((s) => structureDn(s.technical_id, baseDn)),
      hygieRpps: values(rpps),
      hygieAdeli: values(adeli),
      ...(viewer === 'operator' ? {
        hygieState: [visible ? 'visible' : 'vanished'],
        hygieAddressState: parts.addresses.filter((a) => !a.visible).map((a) => `${a.address} ${addressState(a)}`),
      } : {}),
    }),
  };
}

/** A box hosted here with its own entry (no professional linked, or an ORG/APP box). */
export function hostedBoxEntry(row: HostedBoxRow, addresses: readonly AddressRow[], baseDn: string, viewer: Viewer): LdapEntry | undefined {
  // All addresses of a box share its publication: the view says whether the public sees them.
  const visible = addresses.some((a) => a.visible);
  if (!visible && viewer !== 'operator') return undefined;
  const kind = row.type === 'PER' ? 'hostedPerson' : 'hostedService';
  return {
    dn: hostedBoxDn(row.id, kind, baseDn),
    attributes: withoutEmpty({
      objectClass: [...OBJECT_CLASSES[kind]],
      uid: [`${HOSTED_UID_PREFIX}${row.id}`],
      cn: [row.display_name],
      // `person` requires sn; organisational and applicative boxes have no last name.
      sn: [row.last_name ?? row.display_name],
      givenName: values(row.first_name),
      displayName: [row.display_name],
      title: values(row.profession),
      description: values(row.description),
      o: values(row.structure_name),
      ...mailAttributes(addresses),
      // The national identifier clients can key on; RPPS wins when a professional has both.
      employeeNumber: values(row.rpps ?? row.adeli),
      hygieMailboxType: [row.type],
      hygieRpps: values(row.rpps),
      hygieAdeli: values(row.adeli),
      ...(viewer === 'operator' ? { hygieState: [visible ? 'visible' : row.status === 'deleted' ? 'deleted' : 'unpublished'] } : {}),
    }),
  };
}

/** An address from the extractions that is not on a professional's entry. */
export function listedMailboxEntry(row: ListedMailboxRow, baseDn: string, viewer: Viewer): LdapEntry | undefined {
  if (!row.visible && viewer !== 'operator') return undefined;
  const person = personName(row.first_name, row.last_name);
  const cn = row.box_type === 'PER' ? person ?? row.address : row.service ?? row.structure_name ?? person ?? row.address;
  return {
    dn: listedMailboxDn(row.address, baseDn),
    attributes: withoutEmpty({
      objectClass: [...OBJECT_CLASSES.listedMailbox],
      cn: [cn],
      sn: [row.box_type === 'PER' ? row.last_name ?? cn : cn],
      givenName: row.box_type === 'PER' ? values(row.first_name) : [],
      displayName: [cn],
      title: values(row.profession),
      o: values(row.structure_name),
      ...postalAttributes([row]),
      ...mailAttributes([{ address: row.address, network: row.network, visible: row.visible, mailbox_status: null }]),
      hcIdentifier: values(row.national_id),
      hygieMailboxType: [row.box_type],
      ...(viewer === 'operator' ? { hygieState: [row.visible ? 'visible' : 'vanished'] } : {}),
    }),
  };
}

export function structureEntry(row: StructureRow, baseDn: string, viewer: Viewer): LdapEntry | undefined {
  const visible = row.vanished_at === null;
  if (!visible && viewer !== 'operator') return undefined;
  return {
    dn: structureDn(row.technical_id, baseDn),
    attributes: withoutEmpty({
      objectClass: [...OBJECT_CLASSES.structure],
      uid: [row.technical_id],
      o: [row.name ?? row.trade_name ?? row.technical_id],
      ...postalAttributes([row]),
      telephoneNumber: uniqueValues([row.phone, row.phone2]),
      facsimileTelephoneNumber: values(row.fax),
      hygieFiness: values(row.finess_site),
      hygieFinessLegal: values(row.finess_legal),
      hygieSiret: values(row.siret),
      hygieSiren: values(row.siren),
      ...(viewer === 'operator' ? { hygieState: [visible ? 'visible' : 'vanished'] } : {}),
    }),
  };
}

/** `mail` (every address, regional first) and one attribute per network. */
function mailAttributes(addresses: readonly AddressRow[]): LdapAttributes {
  // Within a network, the boxes hosted here before the addresses from the extractions.
  const rank = (a: AddressRow) => NETWORK_ORDER[a.network] * 2 + (a.mailbox_status === null ? 1 : 0);
  const sorted = [...addresses].sort((a, b) => rank(a) - rank(b) || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  const result: LdapAttributes = { mail: uniqueValues(sorted.map((a) => a.address)) };
  for (const network of Object.keys(NETWORK_ORDER) as AddressNetwork[]) {
    result[NETWORK_ATTRIBUTE[network]] = uniqueValues(sorted.filter((a) => a.network === network).map((a) => a.address));
  }
  return result;
}

/** street, postalCode, l and postalAddress (RFC 4517: lines joined by `$`) of one or more places. */
function postalAttributes(places: readonly PostalRow[]): LdapAttributes {
  const streets = places.map((p) => joinWords(p.street_number, p.street_repetition, p.street_type, p.street_name));
  return {
    street: uniqueValues(streets),
    postalCode: uniqueValues(places.map((p) => p.postal_code)),
    l: uniqueValues(places.map((p) => p.city)),
    postalAddress: uniqueValues(places.map((p, i) => {
      const town = joinWords(p.postal_code, p.cedex ?? p.city);
      const lines = [p.address_recipient, p.address_point, streets[i], p.address_mention, town].filter((l): l is string => !!l);
      return lines.length > 0 ? lines.map((l) => l.replace(/[\\$]/g, (c) => (c === '$' ? '\\24' : '\\5C'))).join('$') : null;
    })),
  };
}

function addressState(address: AddressRow): EntryState {
  if (address.visible) return 'visible';
  if (address.mailbox_status === null) return 'vanished';
  return address.mailbox_status === 'deleted' ? 'deleted' : 'unpublished';
}

function personName(first: string | null, last: string | null): string | undefined {
  return joinWords(first, last) ?? undefined;
}

function joinWords(...words: Array<string | null>): string | null {
  const text = words.map((w) => w?.trim()).filter((w) => w).join(' ');
  return text === '' ? null : text;
}

function values(value: string | null | undefined): string[] {
  return value ? [value] : [];
}

function uniqueValues(list: ReadonlyArray<string | null | undefined>): string[] {
  return [...new Set(list.filter((v): v is string => !!v))];
}

function unique<T>(list: readonly T[], key: (item: T) => unknown): T[] {
  const seen = new Set<unknown>();
  return list.filter((item) => !seen.has(key(item)) && seen.add(key(item)));
}
