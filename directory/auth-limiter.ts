/**
 * Failed-authentication throttling, per login and per client address, over a sliding
 * window: after `maxFailures` failures either key is refused until old failures age out.
 */
import type { Clock } from '../core/clock.js';
import { SlidingWindowCounter } from '../core/sliding-window.js';

export class AuthLimiter {
  private readonly failures: SlidingWindowCounter;

  constructor(private readonly options: { maxFailures: number; windowSeconds: number; clock: Clock }) {
    this.failures = new SlidingWindowCounter(options);
  }

  isBlocked(keys: readonly string[]): boolean {
    return keys.some((key) => this.failures.count(key) >= this.options.maxFailures);
  }

  recordFailure(keys: readonly string[]): void {
    for (const key of keys) this.failures.add(key);
  }

  recordSuccess(keys: readonly string[]): void {
    for (const key of keys) this.failures.reset(key);
  }
}
