/**
 * The directory tables the import fills, described once: which columns a row carries (in
 * order), their maximum lengths (PostgreSQL enforces them, so a line with a longer value
 * is rejected rather than failing the whole import), the natural key upserts conflict on,
 * and the columns that reference other rows: by id (known to the import, e.g. looked up
 * before writing) or by natural key, looked up inside the statement. An activity names its
 * professional and structure by national identifier and technical id, written by earlier
 * statements of the same import, so nothing has to be read back into JavaScript; an
 * address names its professional by national identifier, who may not be in the directory.
 */

export interface ColumnDef {
  readonly name: string;
  /** An integer column (an id): PostgreSQL needs the JSON text cast. */
  readonly integer?: boolean;
  /** The id of the professional whose national identifier is in the row's column `from`, or NULL; takes no value of its own. */
  readonly lookup?: { readonly professionalBy: string };
  /** The row carries the natural key of a row of `table` (its unique column `key`); the column stores that row's id, or NULL. */
  readonly references?: NaturalKey;
}

export interface NaturalKey {
  readonly table: string;
  readonly key: string;
}

const PROFESSIONAL_BY_NATIONAL_ID: NaturalKey = { table: 'professionals', key: 'national_id' };
const STRUCTURE_BY_TECHNICAL_ID: NaturalKey = { table: 'structures', key: 'technical_id' };

export interface TableSpec {
  readonly name: string;
  /** The natural key: the unique columns an upsert conflicts on. */
  readonly conflict: readonly string[];
  /** A row's values, in this order (lookup columns take none). */
  readonly columns: readonly ColumnDef[];
  /** Columns with the same value on every row this spec writes (written into the SQL, not sent per row). */
  readonly fixed?: Readonly<Record<string, string>>;
}

function columns(...names: string[]): ColumnDef[] {
  return names.map((name) => ({ name }));
}

const POSTAL_ADDRESS = columns(
  'address_recipient', 'address_point', 'street_number', 'street_repetition', 'street_type', 'street_name',
  'address_mention', 'cedex', 'postal_code', 'commune_code', 'city', 'country_code', 'country', 'department_code', 'department',
);

export const PROFESSIONALS: TableSpec = {
  name: 'professionals',
  conflict: ['national_id'],
  columns: columns(
    'national_id', 'id_type', 'identifier', 'civility_code', 'civility', 'exercise_civility_code', 'exercise_civility',
    'last_name', 'first_name', 'profession_code', 'profession', 'category_code', 'category', 'search_name',
  ),
  fixed: { source: 'registry' },
};

export const STRUCTURES: TableSpec = {
  name: 'structures',
  conflict: ['technical_id'],
  columns: [
    ...columns('technical_id', 'finess_site', 'finess_legal', 'siret', 'siren', 'name', 'trade_name', 'search_name'),
    ...POSTAL_ADDRESS,
    ...columns('phone', 'phone2', 'fax', 'email'),
  ],
  fixed: { source: 'registry' },
};

export const ACTIVITIES: TableSpec = {
  name: 'activities',
  conflict: ['activity_key'],
  columns: [
    { name: 'activity_key' },
    { name: 'professional_id', references: PROFESSIONAL_BY_NATIONAL_ID },
    { name: 'structure_id', references: STRUCTURE_BY_TECHNICAL_ID },
    ...columns('mode_code', 'mode', 'sector_code', 'sector', 'pharmacy_section_code', 'pharmacy_section',
      'role_code', 'role', 'genre_code', 'genre', 'registration_authority'),
  ],
};

export const SKILLS: TableSpec = {
  name: 'professional_skills',
  conflict: ['professional_id', 'type_code', 'code'],
  columns: [{ name: 'professional_id', integer: true }, ...columns('type_code', 'type_label', 'code', 'label')],
};

/** Skills as Personne_activite writes them: the professional by national identifier, written just before. */
export const SKILLS_BY_NATIONAL_ID: TableSpec = {
  ...SKILLS,
  columns: [{ name: 'professional_id', references: PROFESSIONAL_BY_NATIONAL_ID }, ...SKILLS.columns.slice(1)],
};

export const DIPLOMAS: TableSpec = {
  name: 'professional_diplomas',
  conflict: ['professional_id', 'kind', 'type_code', 'code'],
  columns: [{ name: 'professional_id', integer: true }, ...columns('kind', 'type_code', 'type_label', 'code', 'label')],
};

const ADDRESS_COLUMNS: readonly ColumnDef[] = [
  ...columns('address', 'box_type', 'national_id'),
  { name: 'professional_id', lookup: { professionalBy: 'national_id' } },
  ...columns('structure_id_type', 'structure_identifier', 'service', 'civility', 'last_name', 'first_name',
    'category_code', 'category', 'profession_code', 'profession', 'skill_code', 'skill', 'dematerialisation',
    'structure_name', 'structure_trade_name', 'search_name'),
  ...POSTAL_ADDRESS,
];

/** Addresses of the national MSSanté extraction. */
export const MSSANTE_ADDRESSES: TableSpec = {
  name: 'registry_addresses',
  conflict: ['address'],
  columns: ADDRESS_COLUMNS,
  fixed: { network: 'mssante', source: 'mssante-extraction' },
};

/** Addresses of a regional list: Apicrypt or regional S/MIME, line by line. */
export const REGIONAL_ADDRESSES: TableSpec = {
  name: 'registry_addresses',
  conflict: ['address'],
  columns: [...ADDRESS_COLUMNS, { name: 'network' }],
  fixed: { source: 'regional-list' },
};

/**
 * On SQLite the values of a long row travel in groups of this many (`[[v0…v5], [v6…v11],
 * …]`): `->>` reaches an element of a JSONB array by stepping over the ones before it, so
 * the 30th value of a flat row costs 30 steps and of a grouped one 5 + 5 (an MSSanté
 * extraction of 600 000 lines, 32 values a row: 15.9–16.4 s against 16.5–16.9 s). Rows
 * of at most GROUPED_FROM values stay flat: there the grouping cost the import's main
 * thread more than it saved the database. PostgreSQL's JSONB arrays are indexed: rows
 * stay flat there.
 */
export const SQLITE_ROW_GROUP = 6;
const GROUPED_FROM = 20;

/** Whether rows of `table` travel grouped to `engine` (see SQLITE_ROW_GROUP). */
function grouped(table: TableSpec, engine: 'sqlite' | 'postgres'): boolean {
  return engine === 'sqlite' && table.columns.filter((c) => !c.lookup).length > GROUPED_FROM;
}

/** A row of `table` as it travels to `engine`. */
export function rowForEngine(table: TableSpec, row: readonly unknown[], engine: 'sqlite' | 'postgres'): readonly unknown[] {
  if (!grouped(table, engine)) return row;
  const groups: unknown[][] = [];
  for (let i = 0; i < row.length; i += SQLITE_ROW_GROUP) groups.push(row.slice(i, i + SQLITE_ROW_GROUP));
  return groups;
}

/** The SQL of each column's value, in the table's column order, for the row `element` (a JSON array, made by rowForEngine). */
export function valuesSql(table: TableSpec, element: string, engine: 'sqlite' | 'postgres'): string[] {
  const positions = new Map<string, string>();
  const inGroups = grouped(table, engine);
  table.columns.filter((c) => !c.lookup).forEach((c, i) => positions.set(c.name,
    inGroups ? `'$[${Math.floor(i / SQLITE_ROW_GROUP)}][${i % SQLITE_ROW_GROUP}]'` : String(i)));
  return table.columns.map((column) => {
    if (column.lookup) return `(SELECT id FROM professionals WHERE national_id = ${element} ->> ${positions.get(column.lookup.professionalBy)})`;
    const extracted = `${element} ->> ${positions.get(column.name)}`;
    if (column.references) return `(SELECT id FROM ${column.references.table} WHERE ${column.references.key} = ${extracted})`;
    return column.integer && engine === 'postgres' ? `CAST(${extracted} AS integer)` : extracted;
  });
}
