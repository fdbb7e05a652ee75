/**
 * What each kind of file contributes to the import: its columns (found by header name),
 * its separator, the tables it fills (counted, and marked vanished when a later file of
 * the same kind no longer holds a row), and a handler that turns lines into rows.
 *
 * A handler buffers rows between writes; `take` detaches them so the next lines are read
 * while the previous rows are written. Rows name related rows by natural key (national
 * identifier, structure technical id); the write turns those into ids, from the rows it
 * has just written or by asking the database.
 */
import type { ColumnSpecs, FieldReader } from './fields.js';
import type { ImportKind } from './kinds.js';
import type { LineRejection } from './rejections.js';
import type { SqlRunner } from './sql.js';
import type { TableSpec } from './tables.js';
import type { ImportStamp, UpsertWriter } from './upsert.js';

/** Writes the rows taken from a handler; resolves to the lines found bad only then (e.g. an unknown professional). */
export type PendingWrite = (writer: UpsertWriter, runner: SqlRunner) => Promise<LineRejection[]>;

export interface KindHandler {
  /** One data line whose values `fields` now reads; throws `Rejected` to refuse it (before buffering anything). */
  line(lineNumber: number, text: string): void;
  /** Lines buffered since the last `take`. */
  readonly pending: number;
  take(): PendingWrite;
  /** After the last write, in the same transaction: set-based fix-ups. */
  finish?(runner: SqlRunner, stamp: ImportStamp): Promise<void>;
  /**
   * After a line was refused: the record it was about, when `fields` still name it beyond
   * doubt (a valid identity). Such a record is still in the extraction, only unreadable this
   * time: `keepRefused` keeps its rows as they were rather than mark them vanished.
   */
  keyOfRefused?(): string | undefined;
  /** In the same transaction, before the vanished rows are marked; resolves to the records kept. */
  keepRefused?(runner: SqlRunner, stamp: ImportStamp, kind: ImportKind, keys: readonly string[]): Promise<number>;
  /** Figures worth reporting besides the counts (e.g. duplicate lines merged). */
  notes?(): Record<string, number>;
}

export interface KindDefinition<K extends string = string> {
  readonly kind: ImportKind;
  /** As the files name it, for messages: "PS_LibreAcces_Personne_activite". */
  readonly title: string;
  /** Field separators this kind accepts; the first found in the header is the file's. */
  readonly separators: readonly string[];
  readonly columns: ColumnSpecs<K>;
  readonly tables: readonly TableSpec[];
  createHandler(fields: FieldReader<K>): KindHandler;
}

/** Erases the column keys' type so that definitions of every kind fit in one list. */
export function defineKind<K extends string>(definition: KindDefinition<K>): KindDefinition {
  return definition as unknown as KindDefinition;
}
