/**
 * Events per key over a sliding window (failed logins per account, messages per sender):
 * the building block of the rate limits. In-process by design for the embedded
 * deployment; limits across several gateway processes need a shared store.
 */
import type { Clock } from './clock.js';

export class SlidingWindowCounter {
  private readonly events = new Map<string, number[]>();

  constructor(private readonly options: { windowSeconds: number; clock: Clock }) {}

  count(key: string): number {
    return this.recent(key).length;
  }

  add(key: string): void {
    this.events.set(key, [...this.recent(key), this.options.clock.now().getTime()]);
  }

  reset(key: string): void {
    this.events.delete(key);
  }

  /** Seconds until the oldest event in the window ages out (when a blocked key frees up). */
  secondsUntilFree(key: string): number {
    const [oldest] = this.recent(key);
    if (oldest === undefined) return 0;
    return Math.max(1, Math.ceil((oldest + this.options.windowSeconds * 1000 - this.options.clock.now().getTime()) / 1000));
  }

  private recent(key: string): number[] {
    const since = this.options.clock.now().getTime() - this.options.windowSeconds * 1000;
    const kept = (this.events.get(key) ?? []).filter((at) => at > since);
    if (kept.length === 0) this.events.delete(key);
    else this.events.set(key, kept);
    return kept;
  }
}
