/**
 * The ranked list of what matches, one SQL statement: professionals, hosted
 * organisational/applicative boxes and registry ORG boxes side by side, each with its
 * rank (how many words matched only as a prefix), its distance and its sort name, then
 * one page of them with the total.
 *
 * Each kind is first gathered into a materialised candidate table, started from the most
 * selective index the query offers — a name's key ranges or an identifier when there is
 * one (places then checked per candidate), else the area's communes (structures, then
 * their activities), else a profession, specialty or structure. Only then is the
 * `directory_addresses` view — the one rule for which addresses are visible — asked
 * about those candidates, in the form each engine pushes into both arms of the view:
 * SQLite as `key IN (SELECT … FROM candidates)` (a correlated EXISTS would make it read
 * the whole view), PostgreSQL as a correlated scalar subquery (its parameter reaches the
 * arms' indexes, where a semi-join with the view would be planned as a scan of it).
 */
import type { Area } from './area.js';
import type { Criteria } from './query.js';
import { and, join, raw, sql, type Dialect, type Sql } from './sql.js';

/** Codes and ids resolved before the SQL is built. */
export interface Resolved {
  readonly criteria: Criteria;
  readonly area?: Area;
  readonly professionCodes?: readonly string[];
  readonly specialtyCodes?: readonly string[];
  /** Hosted ORG/APP boxes whose names match the text, with their rank and sort key (matched in memory: there are few). */
  readonly hostedMatches?: ReadonlyMap<number, HostedMatch>;
}

export interface HostedMatch {
  readonly rank: number;
  readonly sortKey: string;
}

/** P: professional, H: hosted box, R: box known from the registry extraction. */
export type CandidateKind = 'P' | 'H' | 'R';

const NO_KM = 'CAST(NULL AS DOUBLE PRECISION)';
/**
 * Keeps a subquery that computes a distance from being merged into the query that
 * filters on it, which would compute the distance twice (a LIMIT stops SQLite's
 * flattening; PostgreSQL computes it once either way).
 */
const KEEP_APART = 'LIMIT 1000000000';

/** One page of candidates, each row with the total. */
export function candidatesQuery(dialect: Dialect, resolved: Resolved): Sql {
  const { criteria } = resolved;
  const { ctes, branches } = parts(dialect, resolved);
  return sql`WITH ${join(ctes, ',\n')}
    SELECT u.kind, u.id, u.km, COUNT(*) OVER () AS total FROM (${join(branches, ' UNION ALL ')}) u
    ORDER BY u.name_rank, COALESCE(u.km, 0), u.sort_name, u.kind, u.id
    LIMIT ${criteria.pageSize} OFFSET ${(criteria.page - 1) * criteria.pageSize}`;
}

/** The number of matches alone, for a page past the end (which returns no row to carry the total). */
export function countQuery(dialect: Dialect, resolved: Resolved): Sql {
  const { ctes, branches } = parts(dialect, resolved);
  return sql`WITH ${join(ctes, ',\n')} SELECT COUNT(*) AS total FROM (${join(branches, ' UNION ALL ')}) u`;
}

function parts(dialect: Dialect, resolved: Resolved): { ctes: Sql[]; branches: Sql[] } {
  const { criteria, area } = resolved;
  const ctes: Sql[] = area ? areaTables(dialect, area) : [];
  const branches: Sql[] = [];
  const add = (kind: Kind): void => {
    ctes.push(sql`${raw(kind.table)} AS MATERIALIZED (${kind.candidates})`);
    let where = '';
    if (kind.visibility && dialect.kind === 'sqlite') {
      ctes.push(raw(`${kind.table}_visible AS (${visibleKeysSqlite(kind.table, kind.visibility)})`));
      where = ` WHERE c.${kind.visibility.candidateColumn} IN (SELECT k FROM ${kind.table}_visible)`;
    } else if (kind.visibility) {
      where = ` WHERE ${visibleExistsPostgres(kind.visibility)}`;
    }
    branches.push(raw(`SELECT '${kind.code}' AS kind, c.id, c.km, c.name_rank, c.sort_name FROM ${kind.table} c${where}`));
  };
  if (criteria.kinds.has('professional')) add(professionals(dialect, resolved));
  if (criteria.kinds.has('box') && boxesCanMatch(criteria)) {
    add(hostedBoxes(dialect, resolved));
    add(registryBoxes(dialect, resolved));
  }
  if (branches.length === 0) {
    ctes.push(raw('no_kind AS (SELECT 1 AS one)'));
    branches.push(raw(`SELECT 'P' AS kind, 0 AS id, ${NO_KM} AS km, 0 AS name_rank, '' AS sort_name FROM no_kind WHERE 1 = 0`));
  }
  return { ctes, branches };
}

/** A kind of result: how its candidates are gathered, and which of them the view says can be shown. */
interface Kind {
  readonly code: CandidateKind;
  /** CTE name; its rows are (id, km, name_rank, sort_name[, address]). */
  readonly table: string;
  readonly candidates: Sql;
  /** What the view must show for a candidate to be shown; undefined when every candidate may be. */
  readonly visibility: Visibility | undefined;
}

/** A candidate is shown when the view has a row whose `viewColumn` is its `candidateColumn` (through its hosted addresses for a hosted box). */
interface Visibility {
  readonly viewColumn: 'professional_id' | 'address';
  readonly candidateColumn: 'id' | 'address';
  /** More conditions on the view's row `d` (trusted SQL). */
  readonly extra: string;
  readonly throughHostedAddresses?: boolean;
}

function visibleKeysSqlite(table: string, v: Visibility): string {
  if (v.throughHostedAddresses) {
    return `SELECT ma.mailbox_id AS k FROM addresses ma WHERE ma.mailbox_id IN (SELECT id FROM ${table})
      AND ma.address IN (SELECT d.address FROM directory_addresses d
        WHERE d.address IN (SELECT address FROM addresses WHERE mailbox_id IN (SELECT id FROM ${table}))${v.extra})`;
  }
  return `SELECT d.${v.viewColumn} AS k FROM directory_addresses d WHERE d.${v.viewColumn} IN (SELECT ${v.candidateColumn} FROM ${table})${v.extra}`;
}

/**
 * A scalar subquery rather than EXISTS: PostgreSQL would turn an EXISTS into a semi-join,
 * which cannot reach into the view's arms; a subquery stays a per-candidate lookup whose
 * parameter each arm's index answers.
 */
function visibleExistsPostgres(v: Visibility): string {
  if (v.throughHostedAddresses) {
    return `(SELECT 1 FROM addresses ma WHERE ma.mailbox_id = c.id
      AND (SELECT 1 FROM directory_addresses d WHERE d.address = ma.address${v.extra} LIMIT 1) IS NOT NULL LIMIT 1) IS NOT NULL`;
  }
  return `(SELECT 1 FROM directory_addresses d WHERE d.${v.viewColumn} = c.${v.candidateColumn}${v.extra} LIMIT 1) IS NOT NULL`;
}

/** Organisational boxes have no profession, specialty or RPPS: asking for one leaves only professionals. */
function boxesCanMatch(criteria: Criteria): boolean {
  return !criteria.profession && !criteria.specialty && !criteria.identifier;
}

function hasPlace(resolved: Resolved): boolean {
  const c = resolved.criteria;
  return resolved.area !== undefined || c.department !== undefined || c.postalCode !== undefined || c.structure !== undefined;
}

function professionals(dialect: Dialect, resolved: Resolved): Kind {
  const { criteria } = resolved;
  const conditions: Sql[] = [];
  if (!criteria.includeHidden) conditions.push(raw('p.vanished_at IS NULL'));
  if (criteria.tokens.length > 0) conditions.push(dialect.wordPrefixes('p.search_name', criteria.tokens));
  if (criteria.identifier) conditions.push(sql`(p.identifier = ${criteria.identifier} OR p.national_id = ${criteria.identifier})`);
  if (resolved.professionCodes) conditions.push(sql`p.profession_code IN (${resolved.professionCodes})`);
  if (resolved.specialtyCodes) {
    const current = criteria.includeHidden ? raw('') : raw(' AND k.vanished_at IS NULL');
    conditions.push(sql`p.id IN (SELECT k.professional_id FROM professional_skills k WHERE k.code IN (${resolved.specialtyCodes})${current})`);
  }
  const columns = sql`p.id, ${dialect.prefixOnlyCount('p.search_name', criteria.tokens)} AS name_rank, p.search_name AS sort_name`;
  let candidates: Sql;
  if (!hasPlace(resolved)) {
    candidates = sql`SELECT ${columns}, ${raw(NO_KM)} AS km FROM professionals p WHERE ${and(conditions)}`;
  } else if (criteria.tokens.length > 0 || criteria.identifier) {
    // A name or an identifier finds few people: check each one's practices against the place.
    const practices = sql`FROM activities a JOIN structures s ON s.id = a.structure_id
      WHERE a.professional_id = p.id${raw(criteria.includeHidden ? '' : ' AND a.vanished_at IS NULL')} AND ${and(placeConditions(dialect, resolved, 'structure'))}`;
    candidates = resolved.area
      ? sql`SELECT * FROM (SELECT ${columns}, (SELECT MIN(${raw(placeKm('s'))}) ${practices}) AS km FROM professionals p WHERE ${and(conditions)}
          ${raw(KEEP_APART)}) x WHERE x.km IS NOT NULL`
      : sql`SELECT ${columns}, ${raw(NO_KM)} AS km FROM professionals p WHERE ${and(conditions)} AND EXISTS (SELECT 1 ${practices})`;
  } else {
    // A place alone: its structures, their activities, then the people (CROSS JOIN keeps SQLite in that order).
    candidates = sql`SELECT ${columns}, pl.km FROM (${professionalPlaces(dialect, resolved)}) pl CROSS JOIN professionals p
      WHERE p.id = pl.pid AND ${and(conditions)}`;
  }
  return {
    code: 'P',
    table: 'pro_candidates',
    candidates,
    visibility: criteria.includeUnreachable ? undefined
      : { viewColumn: 'professional_id', candidateColumn: 'id', extra: ` AND d.box_type = 'PER'${visibleOnly(criteria)}` },
  };
}

/** People by where they practise: structures in the area (or matching the structure, department, postal code), then their activities. */
function professionalPlaces(dialect: Dialect, resolved: Resolved): Sql {
  const { criteria, area } = resolved;
  const current = criteria.includeHidden ? '' : ' AND a.vanished_at IS NULL';
  const source = area ? sql`(${areaRows('structures')}) ar CROSS JOIN structures s` : raw('structures s');
  const conditions = [...(area ? [raw('s.id = ar.rid')] : []), ...placeConditions(dialect, resolved, 'structure')];
  return sql`SELECT a.professional_id AS pid, MIN(${raw(area ? 'ar.km' : NO_KM)}) AS km
    FROM ${source} CROSS JOIN activities a
    WHERE a.structure_id = s.id${raw(current)} AND ${and(conditions)}
    GROUP BY a.professional_id`;
}

function hostedBoxes(dialect: Dialect, resolved: Resolved): Kind {
  const { criteria, area, hostedMatches } = resolved;
  const conditions: Sql[] = [raw(`m.type IN ('ORG', 'APP')`), ...placeConditions(dialect, resolved, 'structure', { keepVanished: true })];
  let rank: Sql = raw('0');
  let sortName: Sql = raw('lower(m.display_name)');
  if (criteria.tokens.length > 0) {
    const matches = hostedMatches ?? new Map<number, HostedMatch>();
    conditions.push(matches.size > 0 ? sql`m.id IN (${[...matches.keys()]})` : raw('1 = 0'));
    if (matches.size > 0) {
      rank = caseById('m.id', matches, (m) => sql`CAST(${m.rank} AS INTEGER)`);
      sortName = caseById('m.id', matches, (m) => sql`CAST(${m.sortKey} AS TEXT)`);
    }
  }
  const inner = sql`SELECT m.id, ${raw(area ? placeKm('s') : NO_KM)} AS km, ${rank} AS name_rank, ${sortName} AS sort_name
    FROM mailboxes m LEFT JOIN structures s ON s.id = m.structure_id WHERE ${and(conditions)}${raw(area ? ` ${KEEP_APART}` : '')}`;
  return {
    code: 'H',
    table: 'hosted_candidates',
    candidates: area ? sql`SELECT * FROM (${inner}) x WHERE x.km IS NOT NULL` : inner,
    visibility: criteria.includeHidden ? undefined
      : { viewColumn: 'address', candidateColumn: 'id', extra: visibleOnly(criteria), throughHostedAddresses: true },
  };
}

function registryBoxes(dialect: Dialect, resolved: Resolved): Kind {
  const { criteria, area } = resolved;
  const conditions: Sql[] = [raw(`r.box_type IN ('ORG', 'APP')`), ...placeConditions(dialect, resolved, 'registry')];
  if (criteria.tokens.length > 0) conditions.push(dialect.wordPrefixes('r.search_name', criteria.tokens));
  const columns = sql`r.id, r.address, ${dialect.prefixOnlyCount('r.search_name', criteria.tokens)} AS name_rank, r.search_name AS sort_name`;
  let candidates: Sql;
  if (!area) {
    candidates = sql`SELECT ${columns}, ${raw(NO_KM)} AS km FROM registry_addresses r WHERE ${and(conditions)}`;
  } else if (criteria.tokens.length > 0) {
    candidates = sql`SELECT * FROM (SELECT ${columns}, ${raw(placeKm('r'))} AS km FROM registry_addresses r WHERE ${and(conditions)} ${raw(KEEP_APART)}) x
      WHERE x.km IS NOT NULL`;
  } else {
    candidates = sql`SELECT ${columns}, ar.km FROM (${areaRows('registry_addresses')}) ar CROSS JOIN registry_addresses r
      WHERE r.id = ar.rid AND ${and(conditions)}`;
  }
  return {
    code: 'R',
    table: 'registry_candidates',
    candidates,
    visibility: criteria.includeHidden ? undefined : { viewColumn: 'address', candidateColumn: 'address', extra: visibleOnly(criteria) },
  };
}

/**
 * Filters on a row's place columns other than the area itself: not vanished, department,
 * postal code, and the structure asked for (a structure by FINESS, SIRET or name; a
 * registry address by the structure identifier it carries, or by its own name).
 */
function placeConditions(dialect: Dialect, resolved: Resolved, table: 'structure' | 'registry', options: { keepVanished?: boolean } = {}): Sql[] {
  const { criteria } = resolved;
  const alias = table === 'structure' ? 's' : 'r';
  const column = (name: string): Sql => raw(`${alias}.${name}`);
  const conditions: Sql[] = [];
  if (table === 'structure' && !criteria.includeHidden && !options.keepVanished) conditions.push(raw('s.vanished_at IS NULL'));
  if (criteria.postalCode) conditions.push(sql`${column('postal_code')} = ${criteria.postalCode}`);
  if (criteria.department) {
    const department = criteria.department;
    const postalPrefix = department === '2A' || department === '2B' ? '20' : department;
    conditions.push(sql`(${column('department_code')} = ${department} OR (${column('department_code')} IS NULL
      AND (${column('commune_code')} LIKE ${`${department}%`} OR (${column('commune_code')} IS NULL AND ${column('postal_code')} LIKE ${`${postalPrefix}%`}))))`);
  }
  const structure = criteria.structure;
  if (structure && table === 'structure') {
    if (structure.finess) conditions.push(sql`(s.finess_site = ${structure.finess} OR s.finess_legal = ${structure.finess})`);
    if (structure.siret) conditions.push(sql`s.siret = ${structure.siret}`);
    if (structure.tokens) conditions.push(dialect.wordPrefixes('s.search_name', structure.tokens));
  } else if (structure) {
    const identifier = structure.finess ?? structure.siret;
    if (identifier) conditions.push(sql`r.structure_identifier = ${identifier}`);
    if (structure.tokens) conditions.push(dialect.wordPrefixes('r.search_name', structure.tokens));
  }
  return conditions;
}

/** A row's distance when its place is in the area (NULL otherwise): by INSEE code, else by postal code and city. */
function placeKm(alias: 's' | 'r'): string {
  return `COALESCE((SELECT MIN(n.km) FROM area_codes n WHERE n.code = ${alias}.commune_code),
    (SELECT MIN(n.km) FROM area_postal n WHERE n.postal_code = ${alias}.postal_code AND (${alias}.commune_code IS NULL OR ${alias}.commune_code = '')
       AND (n.city_key = '' OR n.city_key = lower(${alias}.city))))`;
}

/** The area as two small tables the planner can start from: INSEE codes, and postal codes (with a city spelling when shared). */
function areaTables(dialect: Dialect, area: Area): Sql[] {
  const codes = [...area.codes].map(([code, km]) => sql`(${code}, ${dialect.real(km)})`);
  const postal = area.postalCodes.map((p) => sql`(${p.postalCode}, ${p.cityKey}, ${dialect.real(p.km)})`);
  return [
    codes.length > 0 ? sql`area_codes(code, km) AS (VALUES ${join(codes, ', ')})`
      : raw(`area_codes(code, km) AS (SELECT '', ${NO_KM} WHERE 1 = 0)`),
    postal.length > 0 ? sql`area_postal(postal_code, city_key, km) AS (VALUES ${join(postal, ', ')})`
      : raw(`area_postal(postal_code, city_key, km) AS (SELECT '', '', ${NO_KM} WHERE 1 = 0)`),
  ];
}

/** Rows of `table` in the area, with their distance: by INSEE code, else by postal code (and city where the postal code is shared). */
function areaRows(table: 'structures' | 'registry_addresses'): Sql {
  return raw(`SELECT x.id AS rid, n.km AS km FROM area_codes n CROSS JOIN ${table} x WHERE x.commune_code = n.code
    UNION ALL
    SELECT x.id AS rid, n.km AS km FROM area_postal n CROSS JOIN ${table} x WHERE x.postal_code = n.postal_code
      AND (x.commune_code IS NULL OR x.commune_code = '') AND (n.city_key = '' OR n.city_key = lower(x.city))`);
}

function visibleOnly(criteria: Criteria): string {
  return criteria.includeHidden ? '' : ' AND d.visible = 1';
}

function caseById<T>(column: string, values: ReadonlyMap<number, T>, pick: (value: T) => Sql): Sql {
  const whens = [...values].map(([id, value]) => sql`WHEN ${id} THEN ${pick(value)}`);
  return sql`(CASE ${raw(column)} ${join(whens, ' ')} END)`;
}
