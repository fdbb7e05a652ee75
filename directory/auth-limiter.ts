/**
 * Failed-authentication throttling, per login and per client address, over a sliding
 * window: after `maxFailures` failures either key is refused until old failures age out.
 * In-process by design for the embedded deployment; a shared store is needed to
 * rate-limit across several gateway processes.
 */
import type { Clock } from '../core/clock.js';

export class AuthLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly options: { maxFailures: number; windowSeconds: number; clock: Clock }) {}

  isBlocked(keys: readonly string[]): boolean {
    return keys.some((key) => this.recent(key).length >= this.options.maxFailures);
  }

  recordFailure(keys: readonly string[]): void {
    const now = this.options.clock.now().getTime();
    for (const key of keys) this.failures.set(key, [...this.recent(key), now]);
  }

  recordSuccess(keys: readonly string[]): void {
    for (const key of keys) this.failures.delete(key);
  }

  private recent(key: string): number[] {
    const since = this.options.clock.now().getTime() - this.options.windowSeconds * 1000;
    const kept = (this.failures.get(key) ?? []).filter((at) => at > since);
    if (kept.length === 0) this.failures.delete(key);
    else this.failures.set(key, kept);
    return kept;
  }
}
