/**
 * At most `limit` concurrent deliveries per destination domain. A delivery that finds its
 * domain full waits in line and is handed the slot the moment one is released: polling
 * for a free slot would add its interval to every delivery beyond the limit, which with
 * one busy partner is most of them.
 */
export class DomainSlots {
  private readonly busy = new Map<string, number>();
  private readonly waiting = new Map<string, Array<() => void>>();

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`a per-domain limit must be a positive integer, not ${limit}`);
  }

  /** Resolves when the caller holds one of `domain`'s slots; give it back with release(). */
  acquire(domain: string): Promise<void> {
    const busy = this.busy.get(domain) ?? 0;
    if (busy < this.limit) {
      this.busy.set(domain, busy + 1);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const line = this.waiting.get(domain);
      if (line) line.push(resolve);
      else this.waiting.set(domain, [resolve]);
    });
  }

  /** Hands the slot to the first in line for `domain`, or frees it. */
  release(domain: string): void {
    const line = this.waiting.get(domain);
    const next = line?.shift();
    if (next) {
      if (line!.length === 0) this.waiting.delete(domain);
      next();
      return;
    }
    const busy = (this.busy.get(domain) ?? 1) - 1;
    if (busy > 0) this.busy.set(domain, busy);
    else this.busy.delete(domain);
  }

  /** Deliveries running for `domain` (those waiting not counted). */
  inUse(domain: string): number {
    return this.busy.get(domain) ?? 0;
  }
}
