/**
 * Sequence sets (`1:4,7,10:*`) for message sequence numbers and UIDs: parsing, matching
 * against a mailbox, and compacting a list of numbers back into a set.
 */

/** `*` stands for the largest number in use in the mailbox. */
export type SequenceBound = number | '*';
export interface SequenceRange {
  start: SequenceBound;
  end: SequenceBound;
}
export type SequenceSet = readonly SequenceRange[];

const MAX_NUMBER = 0xffffffff;

export function isSequenceSet(text: string): boolean {
  return /^(\d+|\*)(:(\d+|\*))?(,(\d+|\*)(:(\d+|\*))?)*$/.test(text);
}

/** Parses a sequence set; throws on anything else (including 0, which is never valid). */
export function parseSequenceSet(text: string): SequenceSet {
  if (!isSequenceSet(text)) throw new Error(`Invalid sequence set: ${text.slice(0, 64)}`);
  return text.split(',').map((piece) => {
    const [first, second] = piece.split(':');
    const start = parseBound(first!);
    return { start, end: second === undefined ? start : parseBound(second) };
  });
}

function parseBound(text: string): SequenceBound {
  if (text === '*') return '*';
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_NUMBER) throw new Error(`Invalid number in sequence set: ${text}`);
  return value;
}

function bounds(range: SequenceRange, largest: number): [number, number] {
  const a = range.start === '*' ? largest : range.start;
  const b = range.end === '*' ? largest : range.end;
  return a <= b ? [a, b] : [b, a];
}

/** Whether `value` is in the set, `*` meaning `largest`. */
export function sequenceSetContains(set: SequenceSet, value: number, largest: number): boolean {
  return set.some((range) => {
    const [low, high] = bounds(range, largest);
    return value >= low && value <= high;
  });
}

/** Sequence numbers (1..count) the set names, ascending, without duplicates; numbers past count are ignored. */
export function resolveSequenceNumbers(set: SequenceSet, count: number): number[] {
  if (count === 0) return [];
  const picked = new Set<number>();
  for (const range of set) {
    const [low, high] = bounds(range, count);
    for (let n = Math.max(1, low); n <= Math.min(count, high); n++) picked.add(n);
  }
  return [...picked].sort((a, b) => a - b);
}

/**
 * Indexes (0-based) into `uids` (ascending) of the UIDs the set names. `*` is the largest
 * UID in use, so `100:*` still names the last message when every UID is below 100.
 */
export function resolveUidIndexes(set: SequenceSet, uids: readonly number[]): number[] {
  if (uids.length === 0) return [];
  const largest = uids[uids.length - 1]!;
  const picked: number[] = [];
  for (let index = 0; index < uids.length; index++) {
    if (sequenceSetContains(set, uids[index]!, largest)) picked.push(index);
  }
  return picked;
}

/** `[1,2,3,5,7,8]` → `1:3,5,7:8` */
export function formatSequenceSet(numbers: readonly number[]): string {
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  const pieces: string[] = [];
  let index = 0;
  while (index < sorted.length) {
    const start = sorted[index]!;
    let end = start;
    while (index + 1 < sorted.length && sorted[index + 1] === end + 1) end = sorted[++index]!;
    pieces.push(start === end ? String(start) : `${start}:${end}`);
    index++;
  }
  return pieces.join(',');
}
