/**
 * The texts substring searches run on, one definition shared by the migration, the
 * SQLite text index refresher and the queries: for each large registry table, which SQL
 * expressions hold the names and addresses that `cn`, `sn`, `givenName`, `o` and `mail`
 * are built from. The hosted mailboxes (a few thousand rows) are searched directly.
 */

export type TextSourceName = 'professionals' | 'registry_addresses' | 'structures';
/** `names`: what cn, sn, givenName, displayName and o come from; `address`: what mail comes from. */
export type TextColumn = 'names' | 'address';

export interface TextSource {
  table: TextSourceName;
  /** SQLite FTS5 table (trigram), rowid = the source row's id. */
  ftsTable: string;
  /**
   * The expressions indexed, on the source row. `sqliteOnly`: a correlated subquery
   * PostgreSQL cannot index; there the queries reach those rows through their own table.
   */
  columns: ReadonlyArray<{ name: TextColumn; sql: string; sqliteOnly?: boolean }>;
  /**
   * Rows of another source whose changes change this source's text: the source ids
   * to re-index when rows of `table` changed (`changed` is a condition on that table).
   */
  dependsOn?: { table: TextSourceName; ids: (changed: string) => string };
}

const joined = (...columns: string[]) => columns.map((c) => `coalesce(${c}, '')`).join(` || ' ' || `);

export const TEXT_SOURCES: Readonly<Record<TextSourceName, TextSource>> = {
  professionals: {
    table: 'professionals', ftsTable: 'ldap_text_professionals',
    columns: [
      { name: 'names', sql: joined('first_name', 'last_name') },
      // A professional's addresses from the extractions, with their names: `(mail=*x*)` on
      // people then reads one index in professional order and stops at the size limit.
      {
        name: 'address', sqliteOnly: true,
        sql: `(SELECT group_concat(x.address, ' ') FROM registry_addresses x WHERE x.professional_id = professionals.id AND x.box_type = 'PER')`,
      },
    ],
    dependsOn: {
      table: 'registry_addresses',
      ids: (changed) => `SELECT professional_id FROM registry_addresses WHERE professional_id IS NOT NULL AND (${changed})`,
    },
  },
  registry_addresses: {
    table: 'registry_addresses', ftsTable: 'ldap_text_registry_addresses',
    columns: [
      { name: 'address', sql: 'address' },
      { name: 'names', sql: joined('first_name', 'last_name', 'service', 'structure_name', 'structure_trade_name') },
    ],
  },
  structures: {
    table: 'structures', ftsTable: 'ldap_text_structures',
    columns: [{ name: 'names', sql: joined('name', 'trade_name') }],
  },
};

/** The SQL expression of a source's column that both engines search (`undefined` for SQLite-only ones). */
export function textExpression(source: TextSourceName, column: TextColumn): string | undefined {
  const found = TEXT_SOURCES[source].columns.find((c) => c.name === column);
  return found && !found.sqliteOnly ? found.sql : undefined;
}

/** PostgreSQL trigram indexes (when pg_trgm exists), on exactly the expressions the ILIKE queries use. */
export const PG_TEXT_EXPRESSIONS: Readonly<Record<string, { table: TextSourceName; expression: string }>> = Object.fromEntries(
  Object.values(TEXT_SOURCES).flatMap((source) => source.columns.filter((column) => !column.sqliteOnly).map((column) => [
    `ldap_${source.table}_${column.name}_trgm`, { table: source.table, expression: column.sql },
  ])),
);
