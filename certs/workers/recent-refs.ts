/**
 * The certificates and keys a worker thread holds, known on both sides of its channel.
 * The pool and the worker apply the same operations to their copy, in the same order
 * (messages between two threads arrive in order), so the pool knows exactly what the
 * worker holds: a certificate or key crosses once, and again only after the worker let it
 * go to stay within its capacity (least recently used first).
 */
export class RecentRefs<V> {
  private readonly entries = new Map<number, V>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error('RecentRefs needs a positive capacity');
  }

  get(ref: number): V | undefined {
    return this.entries.get(ref);
  }

  /** Makes a held ref the most recent; false when it is not held. */
  touch(ref: number): boolean {
    const value = this.entries.get(ref);
    if (value === undefined) return false;
    this.entries.delete(ref);
    this.entries.set(ref, value);
    return true;
  }

  /** Holds a new ref as the most recent, letting the least recent go beyond capacity. */
  add(ref: number, value: V): void {
    this.entries.delete(ref);
    this.entries.set(ref, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  clear(): void {
    this.entries.clear();
  }
}
