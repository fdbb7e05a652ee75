/**
 * On SQLite, the secondary indexes of the tables an import fills are dropped for its
 * duration and rebuilt at the end, inside the same transaction. Maintaining an index on
 * names or structures row by row means a random B-tree insertion per row, which on a
 * national file no page cache holds; building it once from the finished table is a sort.
 * Unique indexes stay: the upserts need them. So do the `import_id` indexes: every row an
 * import writes takes the same new value, so their entries are appended in order. A
 * rollback restores everything, indexes included (SQLite's schema changes are transactional).
 */
import { availableParallelism } from 'node:os';
import type { SqlRunner } from './sql.js';
import type { TableSpec } from './tables.js';

/**
 * Measured on a national file's tables (four of its indexes): a 2 MiB cache with two sorter
 * threads built them in 3.4 s, against 4.8 s with 4 MiB and none; larger caches were slower
 * still (7.5 s at 32 MiB, 10 s at 64 MiB) and grew the process.
 */
const SORT_MEMORY_KIB = 2 * 1024;
const SORT_THREADS = Math.min(2, Math.max(1, availableParallelism()));

/** Drops the non-unique indexes of `tables`; returns how to create them again, exactly as they were. */
export async function suspendSecondaryIndexes(runner: SqlRunner, tables: readonly TableSpec[]): Promise<() => Promise<void>> {
  if (runner.engine !== 'sqlite') return async () => undefined;
  const indexes: Array<{ name: string; sql: string }> = [];
  for (const table of tables) {
    const rows = await runner.all<{ name: string; sql: string | null }>(
      'SELECT name, sql FROM sqlite_master WHERE type = \'index\' AND tbl_name = ? AND sql IS NOT NULL', [table.name]);
    indexes.push(...rows.filter((r): r is { name: string; sql: string } => r.sql !== null
      && !/^\s*create\s+unique\s/i.test(r.sql) && !/\(\s*[`"]?import_id[`"]?\s*\)\s*$/i.test(r.sql)));
  }
  for (const index of indexes) await runner.run(`DROP INDEX "${index.name.replace(/"/g, '""')}"`);
  return async () => {
    // Each CREATE INDEX sorts in memory up to the page cache's size before spilling to a
    // temporary file: a small cache while sorting keeps the import's memory flat. Sorts
    // spill only with temporary files on disk (the import turned them off for its
    // statement journals: SQLite reads the setting for those once, when the transaction
    // began, so changing it now leaves them in memory).
    // The sorter may also merge on helper threads (`PRAGMA threads`): the import's own
    // JavaScript is idle while the indexes are built.
    const [row] = await runner.all<{ cache_size: number }>('PRAGMA cache_size');
    const [store] = await runner.all<{ temp_store: number }>('PRAGMA temp_store');
    const [threads] = await runner.all<{ threads: number }>('PRAGMA threads');
    await runner.run(`PRAGMA cache_size = ${-SORT_MEMORY_KIB}`);
    await runner.run('PRAGMA temp_store = FILE');
    await runner.run(`PRAGMA threads = ${SORT_THREADS}`);
    for (const index of indexes) await runner.run(index.sql);
    await runner.run(`PRAGMA threads = ${Number(threads?.threads ?? 0)}`);
    await runner.run(`PRAGMA temp_store = ${Number(store?.temp_store ?? 0)}`);
    await runner.run(`PRAGMA cache_size = ${Number(row?.cache_size ?? -2000)}`);
  };
}
