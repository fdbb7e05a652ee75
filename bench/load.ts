/** A bounded load: `count` operations over `concurrency` parallel workers, with each operation's latency. */
import { performance } from 'node:perf_hooks';

export async function runLoad(count: number, concurrency: number, operation: (n: number) => Promise<unknown>): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const n = next++;
      const t0 = performance.now();
      await operation(n);
      latencies.push(performance.now() - t0);
    }
  }));
  return { latencies, seconds: (performance.now() - started) / 1000 };
}
