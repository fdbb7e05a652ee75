/**
 * Columns found by header name, and a line's values read through them. Header names are
 * compared by `headerKey` (accents, case, apostrophes, spacing ignored) and may have
 * aliases (names seen in older files). A value is trimmed, '' becomes null, and a value
 * longer than the column that stores it rejects the line.
 */
import { luhnValid } from '../identifiers.js';
import { Rejected } from './rejections.js';
import { headerKey } from './text.js';

export interface ColumnSpec {
  /** The name as published. */
  readonly header: string;
  /** Other names older files use. */
  readonly aliases?: readonly string[];
  /** The header must have it for the file to be of this kind. */
  readonly required?: boolean;
  /** The longest value the table column it feeds accepts. */
  readonly max?: number;
}

export type ColumnSpecs<K extends string> = Readonly<Record<K, ColumnSpec>>;

export interface ResolvedHeader<K extends string> {
  /** Where each column is in a line; -1 when the file does not have it. */
  readonly index: Readonly<Record<K, number>>;
  /** Columns a line has (a trailing separator on every line is not a column). */
  readonly width: number;
  /** Required columns the header lacks, by published name. */
  readonly missing: readonly string[];
}

/** The header's fields without the empty one a trailing separator makes. */
export function headerFields(line: string, separator: string): string[] {
  const fields = line.replace(/^\uFEFF/, '').split(separator);
  if (fields.length > 1 && fields[fields.length - 1]?.trim() === '') fields.pop();
  return fields;
}

export function resolveHeader<K extends string>(fields: readonly string[], specs: ColumnSpecs<K>): ResolvedHeader<K> {
  const positions = new Map<string, number>();
  fields.forEach((field, i) => { const key = headerKey(field); if (!positions.has(key)) positions.set(key, i); });
  const index = {} as Record<K, number>;
  const missing: string[] = [];
  for (const key of Object.keys(specs) as K[]) {
    const spec = specs[key];
    const found = [spec.header, ...(spec.aliases ?? [])].map((name) => positions.get(headerKey(name))).find((i) => i !== undefined);
    index[key] = found ?? -1;
    if (found === undefined && spec.required) missing.push(spec.header);
  }
  return { index, width: fields.length, missing };
}

/** Where a column is in this file's lines (-1: absent), and what the value may be. */
export interface Column {
  readonly position: number;
  readonly max: number;
  readonly header: string;
}

/**
 * Reads a line's values by column. `use` only finds where the fields are; a value becomes
 * a string when it is asked for, so the columns a line does not need (a structure already
 * written, a professional already seen) cost nothing. Handlers name columns through
 * `columns.x`, objects of one shape, so that reading a value stays a monomorphic access.
 */
export class FieldReader<K extends string> {
  readonly columns: Readonly<Record<K, Column>>;
  private text = '';
  private count = 0;
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;

  constructor(specs: ColumnSpecs<K>, header: ResolvedHeader<K>, private readonly separator: string) {
    const columns = {} as Record<K, Column>;
    for (const key of Object.keys(specs) as K[]) {
      columns[key] = { position: header.index[key], max: specs[key].max ?? Number.MAX_SAFE_INTEGER, header: specs[key].header };
    }
    this.columns = columns;
    // Room for a trailing separator's empty field.
    this.starts = new Int32Array(header.width + 1);
    this.ends = new Int32Array(header.width + 1);
  }

  /** Points the reader at `text`; returns how many fields it has. */
  use(text: string): number {
    this.text = text;
    const { starts, ends, separator } = this;
    const room = starts.length;
    let count = 0;
    let start = 0;
    for (;;) {
      const stop = text.indexOf(separator, start);
      if (count < room) {
        starts[count] = start;
        ends[count] = stop < 0 ? text.length : stop;
      }
      count++;
      if (stop < 0) break;
      start = stop + separator.length;
    }
    this.count = count;
    return count;
  }

  /** Whether the field at `position` is empty (a trailing separator leaves one). */
  emptyAt(position: number): boolean {
    return position < this.count && position < this.starts.length && this.starts[position] === this.ends[position];
  }

  /** The trimmed value, or null when empty or absent from this file. */
  get(column: Column): string | null {
    const i = column.position;
    if (i < 0 || i >= this.count) return null;
    let start = this.starts[i] as number;
    let end = this.ends[i] as number;
    const text = this.text;
    while (start < end && text.charCodeAt(start) <= 32) start++;
    while (end > start && text.charCodeAt(end - 1) <= 32) end--;
    if (start === end) return null;
    if (end - start > column.max) throw new Rejected('too-long', { column: column.header, length: end - start, max: column.max });
    return text.slice(start, end);
  }

  required(column: Column): string {
    const value = this.get(column);
    if (value === null) throw new Rejected('missing', { column: column.header });
    return value;
  }
}

export interface NationalIdentity {
  /** "8" RPPS, "0" ADELI. */
  idType: '8' | '0';
  identifier: string;
  /** idType + identifier. */
  nationalId: string;
}

export type IdentityColumn = 'idType' | 'identifier' | 'nationalId';

/**
 * Checks the three identity columns of a line against each other: a known type, an RPPS
 * with its Luhn key or a well-formed ADELI, and a national identifier that is the type
 * followed by the identifier (the rules of directory/identifiers.ts).
 */
export function readIdentity(f: FieldReader<IdentityColumn>): NationalIdentity {
  const c = f.columns;
  const type = f.required(c.idType);
  const identifier = f.required(c.identifier);
  if (type === '8') {
    if (!/^\d{11}$/.test(identifier)) throw new Rejected('rpps', { value: identifier, why: 'format' });
    if (!luhnValid(identifier)) throw new Rejected('rpps', { value: identifier, why: 'key' });
  } else if (type === '0') {
    if (!/^(\d{2}|2[AB])\d{7}$/.test(identifier)) throw new Rejected('adeli', { value: identifier });
  } else {
    throw new Rejected('id-type', { value: type });
  }
  const nationalId = f.required(c.nationalId);
  const expected = type + identifier;
  if (nationalId !== expected) throw new Rejected('national-id', { value: nationalId, expected });
  return { idType: type, identifier, nationalId };
}

/** The same, for files where a line may have no identity at all (undefined then). */
export function readOptionalIdentity(f: FieldReader<IdentityColumn>): NationalIdentity | undefined {
  const c = f.columns;
  if (f.get(c.idType) === null && f.get(c.identifier) === null && f.get(c.nationalId) === null) return undefined;
  return readIdentity(f);
}

/** A plausible e-mail address, lower-cased. */
export function checkAddress(value: string, column: string): string {
  const address = value.toLowerCase();
  if (!/^[^\s@|;,<>"]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/.test(address)) {
    throw new Rejected('invalid-value', { column, value, expected: 'address' });
  }
  return address;
}
