/**
 * A per-thread buffer reused for intermediate bytes that are consumed before the function
 * that wrote them returns (no await in between): a fresh buffer of that size for every
 * message costs more in allocation, page faults and garbage collection than writing it.
 * Sizes above the cap get a buffer of their own rather than keeping megabytes alive.
 */
export class Scratch {
  private buffer = Buffer.alloc(0);

  constructor(private readonly cap: number) {}

  /** A buffer of at least `size` bytes, overwritten by the next call: use it synchronously. */
  take(size: number): Buffer {
    if (size > this.cap) return Buffer.allocUnsafe(size);
    if (this.buffer.length < size) this.buffer = Buffer.allocUnsafe(Math.min(this.cap, Math.max(size, 64 * 1024, 2 * this.buffer.length)));
    return this.buffer;
  }
}
