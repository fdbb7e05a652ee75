/**
 * Answers to exact lookups, kept encoded, for as long as the database has not changed.
 * A mail gateway or an address book asks for the same few addresses again and again;
 * answering them from here skips the SQL round trip, the building of entries and their
 * encoding.
 *
 * Freshness is all or nothing: `check()`, called when a request arrives, reads the
 * database's change stamp and drops every answer if anything was committed since the
 * last check (the directory's rules, such as an unpublished box vanishing at once, are
 * kept whatever table changed). An answer computed for a request is stored under the
 * generation its request saw on arrival, and only if no change was seen meanwhile; its
 * SQL ran after that check, so it is at least as fresh as the state the generation
 * stands for.
 */
import type { ChangeStamp } from './change-stamp.js';

export interface CachedAnswer {
  /** The answer's protocol operations (entries, then the result), without the message id. */
  operations: readonly Buffer[];
  bytes: number;
  /** What the search log line says about it. */
  log: Readonly<Record<string, unknown>>;
}

export interface AnswerCacheLimits {
  /** Most answers kept. */
  answers: number;
  /** Most bytes kept, all answers together. */
  bytes: number;
}

export const DEFAULT_ANSWER_CACHE_LIMITS: AnswerCacheLimits = { answers: 20_000, bytes: 32 * 1024 * 1024 };

export class AnswerCache {
  private readonly answers = new Map<string, CachedAnswer>();
  private readonly seen = Buffer.alloc(64);
  private seenLength = -1;
  private bytes = 0;
  private generation = 0;

  constructor(private readonly stamp: ChangeStamp, private readonly limits: AnswerCacheLimits = DEFAULT_ANSWER_CACHE_LIMITS) {}

  /**
   * On a request's arrival: drops every answer if the database changed. Returns the
   * generation the request's answer belongs to, or `undefined` when the state of the
   * database cannot be told (then nothing may be served from here or stored).
   */
  check(): number | undefined {
    const now = this.stamp.read();
    if (!now) {
      this.forget();
      return undefined;
    }
    if (now.length !== this.seenLength || !now.equals(this.seen.subarray(0, this.seenLength))) {
      this.forget();
      now.copy(this.seen);
      this.seenLength = now.length;
    }
    return this.generation;
  }

  /** The answer stored for this key in the current generation (call `check()` first). */
  get(key: string): CachedAnswer | undefined {
    return this.answers.get(key);
  }

  /** Keeps an answer computed for a request that arrived in `generation`, if nothing changed since. */
  set(key: string, generation: number, answer: CachedAnswer): void {
    if (generation !== this.generation || answer.bytes > this.limits.bytes / 64) return;
    const previous = this.answers.get(key);
    if (previous) this.bytes -= previous.bytes;
    this.answers.set(key, answer);
    this.bytes += answer.bytes;
    // Oldest first: Map keeps insertion order.
    for (const [oldest, old] of this.answers) {
      if (this.answers.size <= this.limits.answers && this.bytes <= this.limits.bytes) break;
      this.answers.delete(oldest);
      this.bytes -= old.bytes;
    }
  }

  get size(): number {
    return this.answers.size;
  }

  close(): void {
    this.forget();
    this.stamp.close();
  }

  private forget(): void {
    this.answers.clear();
    this.bytes = 0;
    this.generation++;
    this.seenLength = -1;
  }
}
