/**
 * Turns one page of candidate ids into results: the professional's identity,
 * specialties, practices with their structure and address, and secure addresses; a
 * box's name, structure, place and addresses. A few queries per page, each by ids.
 */
import type { Knex } from 'knex';
import { toBoolean } from '../../core/database.js';
import type { Area, PlaceColumns } from './area.js';
import type { CandidateKind } from './candidates.js';
import type { Criteria } from './query.js';
import type { BoxResult, PostalAddress, Practice, ProfessionalResult, SearchResult, SecureAddress, Specialty, StructureSummary } from './results.js';

export interface PageRow {
  kind: CandidateKind;
  id: number;
  km: number | null;
}

type Row = Record<string, unknown>;

const NETWORK_ORDER = ['mssante', 'apicrypt', 'regional'];

export async function hydrate(db: Knex, rows: readonly PageRow[], criteria: Criteria, area: Area | undefined): Promise<SearchResult[]> {
  const ids = (kind: CandidateKind): number[] => rows.filter((r) => r.kind === kind).map((r) => r.id);
  const measured = area?.measured ? area : undefined;
  const [professionals, hosted, registry] = await Promise.all([
    professionalsById(db, ids('P'), criteria, measured),
    hostedBoxesById(db, ids('H'), criteria, measured),
    registryBoxesById(db, ids('R'), measured),
  ]);
  const results: SearchResult[] = [];
  for (const row of rows) {
    const found = row.kind === 'P' ? professionals.get(row.id) : row.kind === 'H' ? hosted.get(row.id) : registry.get(row.id);
    // Gone between the two queries (an operator deleted it): leave it out rather than fail the page.
    if (!found) continue;
    if (measured && row.km !== null) found.distanceKm = round(Number(row.km));
    results.push(found);
  }
  return results;
}

async function professionalsById(db: Knex, ids: number[], criteria: Criteria, area: Area | undefined): Promise<Map<number, ProfessionalResult>> {
  const results = new Map<number, ProfessionalResult>();
  if (ids.length === 0) return results;
  const current = (query: Knex.QueryBuilder, column: string): Knex.QueryBuilder => (criteria.includeHidden ? query : query.whereNull(column));
  const [people, skills, practices, addresses] = await Promise.all([
    db('professionals').whereIn('id', ids) as Promise<Row[]>,
    current(db('professional_skills').whereIn('professional_id', ids), 'vanished_at').orderBy(['type_code', 'code']) as Promise<Row[]>,
    current(db('activities as a').leftJoin('structures as s', 's.id', 'a.structure_id').whereIn('a.professional_id', ids), 'a.vanished_at')
      .select('a.professional_id', 'a.role', 'a.mode', 'a.sector', 'a.function', 'a.vanished_at as activity_vanished_at',
        ...STRUCTURE_COLUMNS.map((c) => `s.${c}`), 's.phone', 's.fax')
      .orderBy('a.id') as Promise<Row[]>,
    addressesOf(db('directory_addresses as d').whereIn('d.professional_id', ids).where('d.box_type', 'PER')
      .select('d.professional_id as owner'), criteria),
  ]);
  for (const p of people) {
    const id = Number(p.id);
    results.set(id, {
      kind: 'professional',
      id,
      nationalId: String(p.national_id),
      idType: p.id_type === '8' ? 'RPPS' : 'ADELI',
      identifier: String(p.identifier),
      civility: text(p.exercise_civility) ?? text(p.civility),
      lastName: text(p.last_name),
      firstName: text(p.first_name),
      profession: p.profession_code ? { code: String(p.profession_code), label: text(p.profession) } : null,
      category: text(p.category),
      specialties: skills.filter((s) => Number(s.professional_id) === id).map(toSpecialty),
      practices: practices.filter((a) => Number(a.professional_id) === id).map((a) => toPractice(a, area)),
      addresses: addresses.get(id) ?? [],
      vanished: p.vanished_at !== null && p.vanished_at !== undefined,
    });
  }
  return results;
}

async function hostedBoxesById(db: Knex, ids: number[], criteria: Criteria, area: Area | undefined): Promise<Map<number, BoxResult>> {
  const results = new Map<number, BoxResult>();
  if (ids.length === 0) return results;
  const [boxes, addresses] = await Promise.all([
    db('mailboxes as m').leftJoin('structures as s', 's.id', 'm.structure_id').whereIn('m.id', ids)
      .select('m.id as box_id', 'm.type', 'm.display_name', 'm.description', ...STRUCTURE_COLUMNS.map((c) => `s.${c}`)) as Promise<Row[]>,
    addressesOf(db('addresses as ma').join('directory_addresses as d', 'd.address', 'ma.address').whereIn('ma.mailbox_id', ids)
      .select('ma.mailbox_id as owner'), criteria),
  ]);
  for (const b of boxes) {
    const id = Number(b.box_id);
    const box: BoxResult = {
      kind: 'box',
      boxType: b.type === 'APP' ? 'APP' : 'ORG',
      source: 'hosted',
      id,
      name: String(b.display_name),
      description: text(b.description),
      structure: b.id === null || b.id === undefined ? null : toStructure(b),
      address: b.id === null || b.id === undefined ? null : toPostalAddress(b),
      addresses: addresses.get(id) ?? [],
    };
    const km = b.id === null || b.id === undefined ? undefined : area?.kmOf(b as PlaceColumns);
    if (km !== undefined) box.distanceKm = round(km);
    results.set(id, box);
  }
  return results;
}

async function registryBoxesById(db: Knex, ids: number[], area: Area | undefined): Promise<Map<number, BoxResult>> {
  const results = new Map<number, BoxResult>();
  if (ids.length === 0) return results;
  const rows = await db('registry_addresses as r').join('directory_addresses as d', 'd.address', 'r.address').whereIn('r.id', ids)
    .select('r.*', 'd.visible', 'd.source as visible_source') as Row[];
  for (const r of rows) {
    const id = Number(r.id);
    const name = text(r.service) ?? text(r.structure_name) ?? text(r.structure_trade_name) ?? String(r.address);
    const box: BoxResult = {
      kind: 'box',
      boxType: r.box_type === 'APP' ? 'APP' : 'ORG',
      source: 'registry',
      id,
      name,
      description: name === text(r.service) ? text(r.structure_name) : null,
      structure: null,
      address: toPostalAddress(r),
      addresses: [{ address: String(r.address), network: String(r.network), source: String(r.visible_source), visible: toBoolean(r.visible) }],
    };
    const km = area?.kmOf(r as PlaceColumns);
    if (km !== undefined) box.distanceKm = round(km);
    results.set(id, box);
  }
  return results;
}

/** Addresses grouped by `owner`, MSSanté first, visible ones only unless hidden entries were asked for. */
async function addressesOf(query: Knex.QueryBuilder, criteria: Criteria): Promise<Map<number, SecureAddress[]>> {
  const rows = await (criteria.includeHidden ? query : query.where('d.visible', 1))
    .select('d.address', 'd.network', 'd.source', 'd.visible') as Row[];
  const grouped = new Map<number, SecureAddress[]>();
  for (const row of rows) {
    const owner = Number(row.owner);
    const list = grouped.get(owner) ?? [];
    list.push({ address: String(row.address), network: String(row.network), source: String(row.source), visible: toBoolean(row.visible) });
    grouped.set(owner, list);
  }
  for (const list of grouped.values()) {
    list.sort((a, b) => networkRank(a.network) - networkRank(b.network) || a.address.localeCompare(b.address));
  }
  return grouped;
}

const STRUCTURE_COLUMNS = ['id', 'name', 'trade_name', 'finess_site', 'finess_legal', 'siret', 'address_recipient', 'address_point',
  'street_number', 'street_repetition', 'street_type', 'street_name', 'address_mention', 'cedex', 'postal_code', 'commune_code', 'city',
  'department_code'] as const;

function toPractice(a: Row, area: Area | undefined): Practice {
  const hasStructure = a.id !== null && a.id !== undefined;
  const practice: Practice = {
    role: text(a.role),
    mode: text(a.mode),
    sector: text(a.sector),
    function: text(a.function),
    structure: hasStructure ? toStructure(a) : null,
    address: hasStructure ? toPostalAddress(a) : null,
    phone: text(a.phone),
    fax: text(a.fax),
    vanished: a.activity_vanished_at !== null && a.activity_vanished_at !== undefined,
  };
  const km = hasStructure ? area?.kmOf(a as PlaceColumns) : undefined;
  if (km !== undefined) practice.distanceKm = round(km);
  return practice;
}

function toStructure(s: Row): StructureSummary {
  return {
    id: Number(s.id),
    name: text(s.name),
    tradeName: text(s.trade_name),
    finessSite: text(s.finess_site),
    finessLegal: text(s.finess_legal),
    siret: text(s.siret),
  };
}

function toPostalAddress(s: Row): PostalAddress {
  const street = [s.street_number, s.street_repetition, s.street_type, s.street_name].map(text).filter(Boolean).join(' ');
  const town = [s.postal_code, s.city, s.cedex].map(text).filter(Boolean).join(' ');
  return {
    lines: [text(s.address_recipient), text(s.address_point), street, text(s.address_mention), town].filter((l): l is string => Boolean(l)),
    postalCode: text(s.postal_code),
    city: text(s.city),
    communeCode: text(s.commune_code),
    departmentCode: text(s.department_code),
  };
}

function toSpecialty(s: Row): Specialty {
  return { code: String(s.code), label: text(s.label), typeCode: String(s.type_code ?? ''), typeLabel: text(s.type_label) };
}

function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const s = String(value).trim();
  return s === '' ? null : s;
}

function networkRank(network: string): number {
  const i = NETWORK_ORDER.indexOf(network);
  return i === -1 ? NETWORK_ORDER.length : i;
}

function round(km: number): number {
  return Math.round(km * 10) / 10;
}
