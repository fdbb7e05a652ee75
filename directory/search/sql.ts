/**
 * SQL as text plus bindings, composed with a tagged template so that every value is a
 * `?` binding (never spliced into the text) and fragments nest. Also the few
 * expressions that differ between SQLite and PostgreSQL.
 */
import type { Knex } from 'knex';
import { databaseKind } from '../../core/database.js';
import { prefixUpperBound } from './text.js';

export type SqlValue = string | number | null;

export class Sql {
  constructor(readonly text: string, readonly bindings: readonly SqlValue[] = []) {}
}

/** `sql\`a = ${value} AND ${fragment}\``: values become bindings, fragments are inlined, arrays become lists. */
export function sql(strings: TemplateStringsArray, ...values: ReadonlyArray<Sql | SqlValue | readonly SqlValue[]>): Sql {
  let text = strings[0] as string;
  const bindings: SqlValue[] = [];
  values.forEach((value, i) => {
    if (value instanceof Sql) {
      text += value.text;
      bindings.push(...value.bindings);
    } else if (Array.isArray(value)) {
      text += value.map(() => '?').join(', ');
      bindings.push(...value);
    } else {
      text += '?';
      bindings.push(value as SqlValue);
    }
    text += strings[i + 1] as string;
  });
  return new Sql(text, bindings);
}

/** Trusted text (a column name, a keyword chosen in code): never user input. */
export function raw(text: string): Sql {
  return new Sql(text);
}

export function join(fragments: readonly Sql[], separator: string): Sql {
  return new Sql(fragments.map((f) => f.text).join(separator), fragments.flatMap((f) => f.bindings));
}

export function and(fragments: readonly Sql[]): Sql {
  return fragments.length === 0 ? raw('1 = 1') : sql`(${join(fragments, ' AND ')})`;
}

export function or(fragments: readonly Sql[]): Sql {
  return fragments.length === 0 ? raw('1 = 0') : sql`(${join(fragments, ' OR ')})`;
}

export async function run<T>(db: Knex, query: Sql): Promise<T[]> {
  const result = await db.raw(query.text, query.bindings as SqlValue[]);
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/**
 * The engine's spelling of what differs: `instr` / `strpos`. The suffix expressions must
 * be written exactly as in the search indexes' definitions for the planner to use them.
 */
export class Dialect {
  readonly kind: 'sqlite' | 'postgres';

  constructor(db: Knex) {
    this.kind = databaseKind(db);
  }

  /** What follows the first space of `expression` (all of it when there is none). */
  afterFirstSpace(expression: string): string {
    const position = this.kind === 'postgres' ? `strpos(${expression}, ' ')` : `instr(${expression}, ' ')`;
    return `substr(${expression}, ${position} + 1)`;
  }

  /** `column`, and the same without its first and first two words: three indexed places a word can start. */
  wordStarts(column: string): string[] {
    const second = this.afterFirstSpace(column);
    return [column, second, this.afterFirstSpace(second)];
  }

  /**
   * Rows whose `column` (a search key) has a word starting with each token: index
   * ranges on the longest token at the first three word starts, then each token checked
   * as a word prefix. `column` must be a trusted column reference.
   */
  wordPrefixes(column: string, tokens: readonly string[]): Sql {
    const driver = tokens.reduce((a, b) => (b.length > a.length ? b : a));
    const upper = prefixUpperBound(driver);
    const ranges = this.wordStarts(column).map((start) => (upper === undefined
      ? sql`${raw(start)} >= ${driver}`
      : sql`(${raw(start)} >= ${driver} AND ${raw(start)} < ${upper})`));
    return sql`${or(ranges)} AND ${and(tokens.map((t) => sql`${raw(words(column))} LIKE ${`% ${t}%`}`))}`;
  }

  /** How many tokens are not a whole word of `column`: 0 ranks an exact name first. */
  prefixOnlyCount(column: string, tokens: readonly string[]): Sql {
    if (tokens.length === 0) return raw('0');
    return sql`(${join(tokens.map((t) => sql`CASE WHEN ${raw(words(column))} LIKE ${`% ${t} %`} THEN 0 ELSE 1 END`), ' + ')})`;
  }

  /** A number binding the engine reads as a floating-point number (PostgreSQL would take an untyped one as text in VALUES). */
  real(value: number): Sql {
    return sql`CAST(${value} AS DOUBLE PRECISION)`;
  }
}

/** `column` as " word word " with hyphens and apostrophes as spaces, for word-prefix LIKE patterns. */
function words(column: string): string {
  return `(' ' || replace(replace(${column}, '-', ' '), '''', ' ') || ' ')`;
}
