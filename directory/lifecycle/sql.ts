/**
 * SQL for the lifecycle's set-based statements: a tagged template that turns values into
 * bindings (so statements read as SQL, with no binding order to get wrong), and the few
 * pieces that differ between SQLite and PostgreSQL: date arithmetic on ISO-8601 strings,
 * the larger of several strings, boolean literals, and the number of rows changed.
 */
import type { Knex } from 'knex';
import { databaseKind } from '../../core/database.js';

/** A piece of SQL with its bindings, to run or to nest in another piece. */
export class Sql {
  constructor(readonly text: string, readonly bindings: readonly Knex.Value[] = []) {}
}

/** `sql\`… ${value} …\``: values become bindings, nested `Sql` pieces are inlined with theirs. */
export function sql(strings: TemplateStringsArray, ...values: ReadonlyArray<Sql | string | number | boolean | null>): Sql {
  let text = strings[0] ?? '';
  const bindings: Knex.Value[] = [];
  values.forEach((value, i) => {
    if (value instanceof Sql) {
      text += value.text;
      bindings.push(...value.bindings);
    } else {
      text += '?';
      bindings.push(value);
    }
    text += strings[i + 1] ?? '';
  });
  return new Sql(text, bindings);
}

/** SQL text written by this module, never from input. */
export function raw(text: string): Sql {
  return new Sql(text);
}

export interface LifecycleDialect {
  readonly TRUE: Sql;
  readonly FALSE: Sql;
  /** `expr` (an ISO-8601 UTC string) plus whole days, as the same kind of string. */
  plusDays(expr: Sql, days: number): Sql;
  /** The largest of ISO strings (they sort as text). */
  greatest(...exprs: Sql[]): Sql;
  /**
   * How an INSERT…SELECT into lifecycle_notices skips the notices already recorded
   * (`recorded`: a correlated EXISTS on its unique key): a condition for the SELECT
   * (always true on PostgreSQL) and a clause after it. SQLite probes the index before
   * computing the row; PostgreSQL lets the unique index refuse the row, since its planner,
   * while the table's statistics still say "empty" (the first sweep), would scan per row
   * the very table the statement fills.
   */
  insertOnce(recorded: Sql): { unless: Sql; onConflict: Sql };
  /** Runs a statement in a transaction and returns how many rows it inserted, updated or deleted. */
  run(trx: Knex.Transaction, statement: Sql): Promise<number>;
  /**
   * After a statement changed many rows of a table: fresh planner statistics, so that the
   * statements that follow (delivery batches) are planned for its real size.
   */
  refreshStatistics(db: Knex, table: string): Promise<void>;
  /** Keeps logins and operators from changing boxes until the sweep's transaction ends. */
  lockMailboxes(trx: Knex.Transaction): Promise<void>;
}

/** A box's connection: its last login, or its creation when it never logged in. */
export const CONNECTION = raw('COALESCE(mailboxes.last_login_at, mailboxes.created_at)');

export function lifecycleDialect(db: Knex): LifecycleDialect {
  return databaseKind(db) === 'postgres' ? postgres : sqlite;
}

export async function selectRows<T>(db: Knex | Knex.Transaction, statement: Sql): Promise<T[]> {
  const result = await execute(db, statement) as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}

export async function execute(db: Knex | Knex.Transaction, statement: Sql): Promise<unknown> {
  return db.raw(statement.text, [...statement.bindings]);
}

function wholeDays(days: number): string {
  // Inlined in SQL text: only integers ever get there.
  if (!Number.isInteger(days)) throw new Error(`not a whole number of days: ${days}`);
  return days >= 0 ? `+${days}` : String(days);
}

const sqlite: LifecycleDialect = {
  TRUE: raw('1'),
  FALSE: raw('0'),
  plusDays: (expr, days) => sql`strftime('%Y-%m-%dT%H:%M:%fZ', ${expr}, ${raw(`'${wholeDays(days)} days'`)})`,
  greatest: (...exprs) => sql`MAX(${join(exprs)})`,
  insertOnce: (recorded) => ({ unless: sql`NOT ${recorded}`, onConflict: raw('') }),
  async run(trx, statement) {
    await execute(trx, statement);
    // changes() is per connection: the transaction holds its own.
    const [row] = await trx.raw('SELECT changes() AS n') as Array<{ n: number }>;
    return Number(row?.n ?? 0);
  },
  // SQLite plans these statements from their indexes alone.
  refreshStatistics: async () => undefined,
  // One writer at a time: the transaction's first write holds everyone else's.
  lockMailboxes: async () => undefined,
};

const postgres: LifecycleDialect = {
  TRUE: raw('TRUE'),
  FALSE: raw('FALSE'),
  plusDays: (expr, days) =>
    sql`to_char((CAST(${expr} AS timestamptz) + interval ${raw(`'${wholeDays(days)} days'`)}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
  greatest: (...exprs) => sql`GREATEST(${join(exprs)})`,
  insertOnce: () => ({ unless: raw('TRUE'), onConflict: raw('ON CONFLICT (mailbox_id, step, kind, cycle_from) DO NOTHING') }),
  async run(trx, statement) {
    const result = await execute(trx, statement) as { rowCount: number | null };
    return Number(result.rowCount ?? 0);
  },
  // Until autovacuum comes by, PostgreSQL would take a table just filled for empty, and sort it whole for each batch.
  refreshStatistics: async (db, table) => { await db.raw('ANALYZE ??', [table]); },
  // Readers go on; writers (a login's last_login_at) wait for the sweep.
  lockMailboxes: async (trx) => { await trx.raw('LOCK TABLE mailboxes IN EXCLUSIVE MODE'); },
};

export function join(pieces: readonly Sql[], separator = ', '): Sql {
  return new Sql(pieces.map((p) => p.text).join(separator), pieces.flatMap((p) => p.bindings));
}
