/**
 * The rows the entries of one kind are built from, in one statement: each row set (the
 * professionals, their addresses, places of practice, specialties…) comes back as a
 * JSON array in one column, because with node-sqlite3 every statement is a hand-off to
 * its thread pool and back, which costs more than the query itself. Addresses and their
 * visibility come from the directory's one rule, the `directory_addresses` view, read
 * once per statement (a second reference in one statement makes SQLite compute it
 * whole: 350 µs instead of 30 on 20 000 addresses, measured).
 */
import { HOSTED_MEMBERSHIP, LISTED_MEMBERSHIP } from './candidate-sql.js';
import type { AddressRow, HostedBoxRow, ListedMailboxRow, ProfessionalRow, StructureRow } from './entries.js';
import type { EntryKind } from './schema.js';
import type { SqlDialect, SqlReader } from './sql-reader.js';
import { TextMemo } from './text-memo.js';

/** One row set: output names → SQL expressions, the FROM … WHERE clause (`IDS`: the kind's ids), and its order. */
interface RowSet {
  columns: ReadonlyArray<readonly [string, string]>;
  from: string;
  order: string;
}

const POSTAL_COLUMNS = ['address_recipient', 'address_point', 'street_number', 'street_repetition', 'street_type', 'street_name',
  'address_mention', 'cedex', 'postal_code', 'city'];
const STRUCTURE_COLUMNS = ['id', 'technical_id', 'name', 'trade_name', 'finess_site', 'finess_legal', 'siret', 'siren',
  'phone', 'phone2', 'fax', 'vanished_at', ...POSTAL_COLUMNS];
const of = (alias: string, names: readonly string[]) => names.map((n) => [n, `${alias}.${n}`] as const);

const ADDRESS_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['address', 'd.address'], ['network', 'd.network'], ['visible', 'd.visible'], ['mailbox_status', 'm.status'],
];

const SETS = {
  professionals: {
    columns: of('p', ['id', 'national_id', 'id_type', 'identifier', 'civility', 'exercise_civility', 'last_name', 'first_name', 'profession', 'vanished_at']),
    from: 'professionals p WHERE p.id IN IDS', order: 'p.id',
  },
  activities: {
    columns: [['owner', 'a.professional_id'], ['activity_vanished_at', 'a.vanished_at'], ['structure_id', 'a.structure_id'], ...of('s', STRUCTURE_COLUMNS)],
    from: 'activities a LEFT JOIN structures s ON s.id = a.structure_id WHERE a.professional_id IN IDS', order: 'a.id',
  },
  skills: {
    columns: [['owner', 'k.professional_id'], ['label', 'k.label'], ['vanished_at', 'k.vanished_at']],
    from: 'professional_skills k WHERE k.professional_id IN IDS', order: 'k.id',
  },
  professionalAddresses: {
    columns: [['owner', 'd.professional_id'], ...ADDRESS_COLUMNS],
    from: `directory_addresses d LEFT JOIN mailboxes m ON m.id = d.mailbox_id WHERE d.professional_id IN IDS AND d.box_type = 'PER'`, order: 'd.address',
  },
  hostedAddresses: {
    columns: [['owner', 'd.mailbox_id'], ...ADDRESS_COLUMNS],
    // By address: SQLite cannot look up the view's extraction half by mailbox_id (a NULL there) and would scan it.
    from: `directory_addresses d LEFT JOIN mailboxes m ON m.id = d.mailbox_id
            WHERE d.address IN (SELECT h.address FROM addresses h WHERE h.mailbox_id IN IDS) AND d.mailbox_id IS NOT NULL`, order: 'd.address',
  },
  listed: {
    columns: [...of('r', ['id', 'address', 'network', 'box_type', 'national_id', 'civility', 'last_name', 'first_name', 'service', 'profession',
      'structure_name', ...POSTAL_COLUMNS]), ['visible', 'd.visible']],
    // Through the view: an extraction row shadowed by a hosted box is no entry at all.
    from: `directory_addresses d JOIN registry_addresses r ON r.id = d.registry_address_id
            WHERE d.address IN (SELECT x.address FROM registry_addresses x WHERE x.id IN IDS) AND d.registry_address_id IS NOT NULL AND ${LISTED_MEMBERSHIP}`,
    order: 'r.id',
  },
  structures: { columns: of('s', STRUCTURE_COLUMNS), from: 'structures s WHERE s.id IN IDS', order: 's.id' },
} satisfies Record<string, RowSet>;

const hostedBoxes = (kind: 'hostedPerson' | 'hostedService'): RowSet => ({
  columns: [...of('m', ['id', 'type', 'display_name', 'first_name', 'last_name', 'rpps', 'adeli', 'profession', 'description', 'status']),
    ['structure_name', 's.name']],
  from: `mailboxes m LEFT JOIN structures s ON s.id = m.structure_id WHERE m.id IN IDS AND ${HOSTED_MEMBERSHIP[kind]}`, order: 'm.id',
});

export interface ProfessionalRows {
  professionals: ProfessionalRow[];
  addresses: Array<AddressRow & { owner: number }>;
  activities: Array<StructureRow & { owner: number; activity_vanished_at: string | null; structure_id: number | null }>;
  skills: Array<{ owner: number; label: string | null; vanished_at: string | null }>;
}

/** The rows of each kind of entry. */
export type KindRows =
  | { kind: 'professional'; rows: ProfessionalRows }
  | { kind: 'hostedPerson' | 'hostedService'; boxes: HostedBoxRow[]; addresses: Array<AddressRow & { owner: number }> }
  | { kind: 'listedMailbox'; boxes: ListedMailboxRow[] }
  | { kind: 'structure'; structures: StructureRow[] };

/** What a professional's entry needs beyond the row and addresses. */
export interface ProfessionalParts {
  activities: boolean;
  skills: boolean;
}



/** Where the ids of a statement come from: `sql` replaces `IDS`, and `params` are bound at each occurrence. */
export interface IdSource {
  sql: string;
  params: readonly unknown[];
}

/** The rows of these entries of one kind, in one statement. */
export async function readRows(sql: SqlReader, kind: EntryKind, ids: readonly number[], parts: ProfessionalParts): Promise<KindRows> {
  // A JSON array of ids as one bound parameter: one prepared statement whatever their number.
  const list = sql.dialect === 'postgres' ? '(SELECT value::int AS id FROM json_array_elements_text(?::json))' : '(SELECT value AS id FROM json_each(?))';
  return (await readKind(sql, kind, { sql: list, params: [JSON.stringify(ids)] }, parts)).rows;
}

/**
 * The ids a subquery yields and the rows of their entries, in one statement: with the
 * subquery of an exact lookup, an entry is found and read in one round trip. `alsoIds`
 * are more subqueries whose ids only come back (other kinds: their rows would need a
 * second reference to the directory_addresses view, which makes SQLite compute it whole).
 */
export async function readKind(sql: SqlReader, kind: EntryKind, ids: IdSource, parts: ProfessionalParts, alsoIds: readonly IdSource[] = []):
  Promise<{ ids: number[]; rows: KindRows; alsoIds: number[][] }> {
  const shape = `${sql.dialect}|${kind}|${parts.activities}|${parts.skills}`;
  const statement = statements.get([shape, ids.sql, ...alsoIds.map((a) => a.sql)],
    () => buildStatement(sql.dialect, rowSetsOf(kind, parts), ids.sql, alsoIds.map((a) => a.sql)));
  const params: unknown[] = [];
  for (let i = 0; i < statement.idOccurrences; i++) params.push(...ids.params);
  for (const also of alsoIds) params.push(...also.params);
  const [row] = await sql.all<Record<string, unknown>>(statement.text, params);
  const idsOf = (value: unknown) => (parse(value) as unknown[]).map(Number).sort((a, b) => a - b);
  const sets: Record<string, Array<Record<string, unknown>>> = {};
  for (const [name, set] of Object.entries(statement.sets)) sets[name] = decode(row?.[name], set.columns);
  return { ids: idsOf(row?.ids), rows: kindRows(kind, sets), alsoIds: alsoIds.map((_, n) => idsOf(row?.[`also${n}`])) };
}

interface Statement {
  text: string;
  sets: Record<string, RowSet>;
  /** How many times the id subquery's parameters are bound (once on SQLite, where they are numbered). */
  idOccurrences: number;
}

/** Statement texts by dialect, kind, parts and id subqueries: built once, prepared once by the reader. */
const statements = new TextMemo<Statement>(2048);

function buildStatement(dialect: SqlDialect, sets: Record<string, RowSet>, ids: string, alsoIds: readonly string[]): Statement {
  const idArray = (subquery: string) => `(SELECT ${dialect === 'postgres' ? "coalesce(json_agg(i.id), '[]'::json)" : 'json_group_array(i.id)'} FROM ${subquery} AS i)`;
  // SQLite: the id subquery's placeholders numbered (?1, ?2…), so that its parameters are
  // bound once however many row sets repeat it (fewer values to convert on each lookup).
  // Every `?` of these fragments is a placeholder: none holds a string literal with one.
  let bound = 0;
  const numbered = (subquery: string) => (dialect === 'sqlite' ? subquery.replace(/\?/g, () => `?${++bound}`) : subquery);
  const idSubquery = numbered(ids);
  const columns = [`${idArray(idSubquery)} AS ids`];
  let idOccurrences = 1;
  for (const [name, set] of Object.entries(sets)) {
    if (dialect === 'postgres') idOccurrences += set.from.match(/\bIDS\b/g)?.length ?? 0;
    columns.push(`${aggregate(dialect, set.columns.map(([, expression]) => expression), set.from.replace(/\bIDS\b/g, idSubquery), set.order)} AS ${name}`);
  }
  // After the row sets: their parameters are bound first.
  alsoIds.forEach((subquery, n) => columns.push(`${idArray(numbered(subquery))} AS also${n}`));
  return { text: `SELECT ${columns.join(', ')}`, sets, idOccurrences };
}

/** `(SELECT <the rows as a JSON array of arrays> FROM …)`. */
function aggregate(dialect: SqlDialect, values: readonly string[], from: string, order: string): string {
  return dialect === 'postgres'
    ? `(SELECT coalesce(json_agg(json_build_array(${values.join(', ')}) ORDER BY ${order}), '[]'::json) FROM ${from})`
    : `(SELECT json_group_array(json_array(${values.join(', ')}) ORDER BY ${order}) FROM ${from})`;
}

/** The row sets of one kind of entry. */
function rowSetsOf(kind: EntryKind, parts: ProfessionalParts): Record<string, RowSet> {
  switch (kind) {
    case 'professional': return {
      professionals: SETS.professionals, addresses: SETS.professionalAddresses,
      ...(parts.activities ? { activities: SETS.activities } : {}), ...(parts.skills ? { skills: SETS.skills } : {}),
    };
    case 'hostedPerson':
    case 'hostedService': return { boxes: hostedBoxes(kind), addresses: SETS.hostedAddresses };
    case 'listedMailbox': return { boxes: SETS.listed };
    case 'structure': return { structures: SETS.structures };
  }
}

/** Typed rows of one kind from its decoded row sets. */
function kindRows(kind: EntryKind, sets: Record<string, Array<Record<string, unknown>>>): KindRows {
  const list = <T>(name: string) => (sets[name] ?? []) as unknown as T[];
  const visible = <T>(name: string) => (sets[name] ?? []).map((row) => ({ ...row, visible: truthy(row.visible) })) as unknown as T[];
  switch (kind) {
    case 'professional': return {
      kind, rows: { professionals: list('professionals'), addresses: visible('addresses'), activities: list('activities'), skills: list('skills') },
    };
    case 'hostedPerson':
    case 'hostedService': return { kind, boxes: list('boxes'), addresses: visible('addresses') };
    case 'listedMailbox': return { kind, boxes: visible('boxes') };
    case 'structure': return { kind, structures: list('structures') };
  }
}

function parse(value: unknown): unknown[] {
  return (typeof value === 'string' ? JSON.parse(value) : value ?? []) as unknown[];
}

function decode(value: unknown, columns: ReadonlyArray<readonly [string, string]>): Array<Record<string, unknown>> {
  return (parse(value) as unknown[][]).map((values) => {
    const object: Record<string, unknown> = {};
    columns.forEach(([column], i) => { object[column] = values[i] ?? null; });
    return object;
  });
}

function truthy(value: unknown): boolean {
  return value === true || value === 1 || value === '1';
}
