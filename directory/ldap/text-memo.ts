/**
 * Values built from a few strings, kept under those strings. The read model assembles
 * its SQL from fragments on every search; a Map keyed by the assembled text would hash
 * kilobytes per lookup, where this one looks up each fragment (short, or the same string
 * object as last time, whose hash V8 keeps).
 */
interface MemoNode<T> {
  value?: T;
  has: boolean;
  next?: Map<string, MemoNode<T>>;
}

export class TextMemo<T> {
  private readonly root: MemoNode<T> = { has: false };
  private nodes = 0;

  /** @param limit most strings kept (one per step of each sequence); once reached, new sequences are built each time. */
  constructor(private readonly limit: number) {}

  get(parts: readonly string[], build: () => T): T {
    let node = this.root;
    for (const part of parts) {
      let next = node.next?.get(part);
      if (!next) {
        if (this.nodes >= this.limit) return build();
        next = { has: false };
        (node.next ??= new Map()).set(part, next);
        this.nodes++;
      }
      node = next;
    }
    if (!node.has) {
      node.value = build();
      node.has = true;
    }
    return node.value!;
  }
}
