/**
 * SavoirFaire and Dipl_AutExerc lines add to a professional that Personne_activite
 * brought: a line whose professional is not in the directory is refused (with its line
 * number) when its rows are written, since only the database knows.
 */
import type { PendingWrite } from './kind.js';
import type { LineRejection } from './rejections.js';
import { idsByKey } from './sql.js';
import type { TableSpec } from './tables.js';

interface PendingLine {
  line: number;
  text: string;
  nationalId: string;
  rows: unknown[][];
}

/** Rows of one table, each naming its professional by national identifier in its first value (replaced by the id when written). */
export class LinkedRows {
  private lines: PendingLine[] = [];
  private readonly keyColumns: number[];

  constructor(private readonly table: TableSpec) {
    this.keyColumns = table.conflict.map((name) => table.columns.findIndex((c) => c.name === name));
  }

  get pending(): number {
    return this.lines.length;
  }

  add(line: number, text: string, nationalId: string, rows: unknown[][]): void {
    this.lines.push({ line, text, nationalId, rows });
  }

  take(): PendingWrite {
    const lines = this.lines;
    this.lines = [];
    return async (writer, runner) => {
      const known = await idsByKey(runner, 'professionals', 'national_id', [...new Set(lines.map((l) => l.nationalId))]);
      const rejections: LineRejection[] = [];
      const rows = new Map<string, unknown[]>();
      for (const line of lines) {
        const id = known.get(line.nationalId);
        if (id === undefined) {
          rejections.push({ line: line.line, code: 'unknown-professional', params: { value: line.nationalId }, excerpt: line.text });
          continue;
        }
        for (const row of line.rows) {
          row[0] = id;
          // Keyed like the table's unique key, so one statement never holds the same row twice.
          rows.set(this.keyColumns.map((i) => row[i]).join('|'), row);
        }
      }
      await writer.upsert(this.table, [...rows.values()]);
      return rejections;
    };
  }
}
