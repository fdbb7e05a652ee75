/**
 * Batched upserts keyed by natural keys, the same SQL on SQLite and PostgreSQL:
 * `INSERT … SELECT … FROM <the rows as JSON> ON CONFLICT (key) DO UPDATE`. Every row written gets the
 * current import's id and has `vanished_at` cleared; `updated_at` moves to the import's
 * time only when a value really changed (or the row came back), which is how the import
 * tells updated rows from rows merely seen again.
 *
 * One statement shape per table and mode, prepared once and reused for the whole file.
 */
import { differs, jsonText, type SqlRunner } from './sql.js';
import { rowForEngine, valuesSql, type TableSpec } from './tables.js';

export interface ImportStamp {
  importId: number;
  /** ISO time of the import, unique among imports: what `updated_at` becomes on change. */
  at: string;
}

/** replace: the line's values win. fill: only empty columns take the line's values (duplicate lines merged). */
export type UpsertMode = 'replace' | 'fill';

/** Rows per statement: one statement per table for each batch of lines, as a rule. */
const MAX_ROWS = 1024;

export class UpsertWriter {
  private readonly statements = new Map<TableSpec, Map<string, string>>();

  constructor(private readonly runner: SqlRunner, private readonly stamp: ImportStamp) {
    if (!Number.isInteger(stamp.importId) || !/^[0-9T:.Z-]+$/.test(stamp.at)) throw new Error('invalid import stamp');
  }

  /** Rows are arrays of strings, ids or nulls: the values of the table's columns in order, lookup columns left out. */
  async upsert(table: TableSpec, rows: ReadonlyArray<readonly unknown[]>, mode: UpsertMode = 'replace'): Promise<void> {
    for (let offset = 0; offset < rows.length; offset += MAX_ROWS) {
      await this.runner.run(this.statement(table, mode), [this.runner.json(slice(table, rows, offset, this.runner.engine))]);
    }
  }

  /** The same, telling the id of every row written, by the value of its `key` column. */
  async upsertReturningIds(table: TableSpec, rows: ReadonlyArray<readonly unknown[]>, key: string): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    for (let offset = 0; offset < rows.length; offset += MAX_ROWS) {
      const written = await this.runner.all<Record<string, unknown>>(this.statement(table, 'replace', key), [this.runner.json(slice(table, rows, offset, this.runner.engine))]);
      for (const row of written) ids.set(row[key] as string, Number(row.id));
    }
    return ids;
  }

  private statement(table: TableSpec, mode: UpsertMode, returning?: string): string {
    let shapes = this.statements.get(table);
    if (!shapes) this.statements.set(table, shapes = new Map());
    const shape = `${mode}/${returning ?? ''}`;
    let sql = shapes.get(shape);
    if (!sql) {
      sql = upsertSql(this.runner.engine, table, mode, this.stamp) + (returning ? ` RETURNING id, ${returning}` : '');
      shapes.set(shape, sql);
    }
    return sql;
  }
}

function slice(table: TableSpec, rows: ReadonlyArray<readonly unknown[]>, offset: number, engine: SqlRunner['engine']): ReadonlyArray<readonly unknown[]> {
  const part = offset === 0 && rows.length <= MAX_ROWS ? rows : rows.slice(offset, offset + MAX_ROWS);
  return part.map((row) => rowForEngine(table, row, engine));
}

/**
 * The rows travel as one JSON array of arrays, unpacked by the database (SQLite's
 * jsonb_each, PostgreSQL's jsonb_array_elements): one parameter per statement instead of
 * one per value, because binding values one by one costs the driver more than the insert.
 */
export function upsertSql(engine: SqlRunner['engine'], table: TableSpec, mode: UpsertMode, stamp: ImportStamp): string {
  const t = table.name;
  const fixed = Object.entries(table.fixed ?? {});
  const names = [...table.columns.map((c) => c.name), ...fixed.map(([name]) => name)];
  const values = [...valuesSql(table, engine === 'postgres' ? 'r' : 'value', engine), ...fixed.map(([, value]) => `'${value.replace(/'/g, "''")}'`)];
  const source = engine === 'postgres' ? `jsonb_array_elements(${jsonText(engine)}) AS r` : `jsonb_each(${jsonText(engine)})`;
  const data = names.filter((name) => !table.conflict.includes(name));
  const assignments = mode === 'replace'
    ? [
      ...data.map((c) => `${c} = excluded.${c}`),
      'import_id = excluded.import_id',
      'vanished_at = NULL',
      `updated_at = CASE WHEN ${[...data.map((c) => differs(engine, `${t}.${c}`, `excluded.${c}`)), `${t}.vanished_at IS NOT NULL`].join(' OR ')}`
        + ` THEN excluded.updated_at ELSE ${t}.updated_at END`,
    ]
    : data.map((c) => `${c} = COALESCE(${t}.${c}, excluded.${c})`);
  // "WHERE true": SQLite needs it to tell the SELECT's end from the upsert clause.
  return `INSERT INTO ${t} (${names.join(', ')}, import_id, updated_at) SELECT ${values.join(', ')}, ${stamp.importId}, '${stamp.at}'`
    + ` FROM ${source} WHERE true ON CONFLICT (${table.conflict.join(', ')}) DO UPDATE SET ${assignments.join(', ')}`;
}
