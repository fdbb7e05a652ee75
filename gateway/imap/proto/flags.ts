/**
 * Message flags: the five storable system flags (case normalised) and keywords.
 * `\Recent` is session state the server does not keep: it is ignored on input.
 */
import { ImapSyntaxError } from './tokens.js';

export const SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'] as const;

const BY_LOWER = new Map<string, string>(SYSTEM_FLAGS.map((flag) => [flag.toLowerCase(), flag]));
const KEYWORD = /^[\x21-\x7e]+$/;
const NOT_IN_KEYWORD = /[(){%*"\\\]]/;

/** The stored form of a client flag; null for `\Recent`; ImapSyntaxError for anything invalid. */
export function normaliseFlag(flag: string): string | null {
  if (flag.startsWith('\\')) {
    const lower = flag.toLowerCase();
    if (lower === '\\recent') return null;
    const system = BY_LOWER.get(lower);
    if (!system) throw new ImapSyntaxError(`Unknown system flag ${flag.slice(0, 30)}`);
    return system;
  }
  if (!KEYWORD.test(flag) || NOT_IN_KEYWORD.test(flag) || flag.length > 128) throw new ImapSyntaxError(`Invalid keyword ${flag.slice(0, 30)}`);
  return flag;
}

export function normaliseFlags(flags: readonly string[]): string[] {
  const out: string[] = [];
  for (const flag of flags) {
    const normal = normaliseFlag(flag);
    if (normal !== null && !out.includes(normal)) out.push(normal);
  }
  return out;
}

export function hasFlag(flags: readonly string[], flag: string): boolean {
  const lower = flag.toLowerCase();
  return flags.some((candidate) => candidate.toLowerCase() === lower);
}
