/**
 * Bytes to numbered lines, in batches, with the encoding checked line by line: the
 * extractions are UTF-8, and a line that is not (a file saved in Windows-1252, a
 * truncated character) is reported, never decoded into mojibake. Whole blocks are decoded
 * at once by a fatal TextDecoder (native, and faster than Buffer#toString) and only a
 * block that fails is examined line by line, so valid files pay nothing for the check.
 */
import { isUtf8 } from 'node:buffer';
import { HygieError } from '../../core/errors.js';

export type EncodingProblem = 'invalid-utf8' | 'replacement-character';

export interface LineBatch {
  /** The number (from 1) of `lines[0]` in the file. */
  first: number;
  /**
   * Lines without their end of line. A line with an encoding problem holds its bytes read
   * as Latin-1, only to show the operator what it looks like: it must not be imported.
   */
  lines: string[];
  /** Index in `lines` → what is wrong with that line's encoding. */
  problems: Map<number, EncodingProblem> | undefined;
  /**
   * Index of the first valid line with non-ASCII text (accents), -1 if none: proof that
   * the file is UTF-8. In a batch without problems any such line counts, so it is 0.
   */
  firstNonAscii: number;
}

/** Longer than any sane extraction line: a file without line breaks is not one. */
const MAX_LINE_BYTES = 1 << 20;
/**
 * Lines are decoded by blocks of about this size: even as two-byte text (a block with a
 * ’ or œ) its string stays below V8's large-object threshold (about 128 KiB), so the
 * young-generation collector reclaims it; large objects wait for a full collection and
 * would pile up to hundreds of megabytes on a national file.
 */
const BLOCK_BYTES = 48 * 1024;
const NEWLINE = 0x0a;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The block's text, or undefined when it is not valid UTF-8. */
function decode(block: Buffer): string | undefined {
  try {
    return strictUtf8.decode(block);
  } catch {
    return undefined;
  }
}

export async function* readLineBatches(input: AsyncIterable<Buffer>): AsyncGenerator<LineBatch> {
  let rest: Buffer | undefined;
  let next = 1;
  for await (const data of input) {
    const chunk = rest ? Buffer.concat([rest, data]) : data;
    const end = chunk.lastIndexOf(NEWLINE);
    if (end < 0) {
      if (chunk.length > MAX_LINE_BYTES) throw new HygieError('INVALID_INPUT', `line ${next} is longer than ${MAX_LINE_BYTES} bytes: this is not a line-oriented text file`);
      rest = chunk;
      continue;
    }
    rest = end + 1 < chunk.length ? chunk.subarray(end + 1) : undefined;
    for (let start = 0; start <= end;) {
      let stop = start + BLOCK_BYTES >= end ? end : chunk.lastIndexOf(NEWLINE, start + BLOCK_BYTES);
      if (stop < start) stop = chunk.indexOf(NEWLINE, start + BLOCK_BYTES);
      const batch = splitBlock(chunk.subarray(start, stop), next);
      next += batch.lines.length;
      yield batch;
      start = stop + 1;
    }
  }
  if (rest && rest.length > 0) yield splitBlock(rest, next);
}

/** `block` holds whole lines separated by LF, without the last LF. */
function splitBlock(block: Buffer, first: number): LineBatch {
  const text = decode(block);
  if (text !== undefined) {
    const lines = text.split('\n');
    if (text.includes('\r')) stripCarriageReturns(lines);
    const problems = text.includes('\uFFFD') ? replacementProblems(lines) : undefined;
    // The byte length exceeds the UTF-16 length exactly when some character is not ASCII.
    return { first, lines, problems, firstNonAscii: block.length !== text.length ? 0 : -1 };
  }
  const lines: string[] = [];
  const problems = new Map<number, EncodingProblem>();
  let firstNonAscii = -1;
  let start = 0;
  while (start <= block.length) {
    let stop = block.indexOf(NEWLINE, start);
    if (stop < 0) stop = block.length;
    const bytes = block.subarray(start, stop);
    if (isUtf8(bytes)) {
      const line = bytes.toString('utf8');
      if (line.includes('\uFFFD')) problems.set(lines.length, 'replacement-character');
      else if (firstNonAscii < 0 && line.length !== bytes.length) firstNonAscii = lines.length;
      lines.push(line.endsWith('\r') ? line.slice(0, -1) : line);
    } else {
      problems.set(lines.length, 'invalid-utf8');
      lines.push(bytes.toString('latin1').replace(/\r$/, ''));
    }
    start = stop + 1;
  }
  return { first, lines, problems, firstNonAscii };
}

function stripCarriageReturns(lines: string[]): void {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.endsWith('\r')) lines[i] = line.slice(0, -1);
  }
}

/** U+FFFD in a valid UTF-8 file: the text was already decoded wrongly upstream, its letters are lost. */
function replacementProblems(lines: string[]): Map<number, EncodingProblem> {
  const problems = new Map<number, EncodingProblem>();
  lines.forEach((line, i) => { if (line.includes('\uFFFD')) problems.set(i, 'replacement-character'); });
  return problems;
}
