/**
 * What machine the figures come from, and two yardsticks of its speed, printed before
 * the benches: the targets of the issues are absolute (seconds, messages per second) and
 * the same code gave 2–3 times slower figures on one 2-core VM than on another. The
 * yardsticks: OpenSSL's RSA-2048 signatures per second on one core (`openssl speed`,
 * where installed), and a fixed piece of JavaScript (JSON and string work of the kind the
 * registry import does) timed in this process.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { line } from './stats.js';

/** RSA-2048 signatures per second on one core, or undefined without openssl. */
function opensslRsaSignsPerSecond(): number | undefined {
  const run = spawnSync('openssl', ['speed', '-seconds', '1', 'rsa2048'], { encoding: 'utf8' });
  if (run.status !== 0) return undefined;
  const match = /^rsa\s+2048 bits\s+\S+\s+\S+\s+([\d.]+)/m.exec(run.stdout);
  return match ? Number(match[1]) : undefined;
}

/** Milliseconds for a fixed JavaScript workload: 200 000 records split, folded and serialised. */
function javascriptYardstickMs(): number {
  const started = performance.now();
  let total = 0;
  for (let i = 0; i < 200_000; i++) {
    const fields = `8${String(i).padStart(10, '0')}|Dr|MARTIN|Hélène|Médecin|Brest|29200|${i}`.split('|');
    const record = { id: fields[0], name: fields[2]!.toLowerCase(), first: fields[3]!.normalize('NFD').replace(/\p{M}/gu, ''), city: fields[5] };
    total += JSON.stringify(record).length;
  }
  if (total === 0) throw new Error('unreachable: keeps the loop from being optimised away');
  return performance.now() - started;
}

export function describeMachine(): void {
  const cpu = os.cpus()[0];
  const signs = opensslRsaSignsPerSecond();
  console.log(line('machine', `${os.cpus().length} cores`, `${cpu?.model ?? 'unknown CPU'}${cpu?.speed ? ` at ${cpu.speed} MHz` : ''}; Node ${process.version}; load average ${os.loadavg()[0]!.toFixed(1)}`));
  console.log(line('  yardstick: openssl RSA-2048 signs/s, one core', signs === undefined ? 'n/a' : signs.toFixed(0), 'compare figures across machines with these two'));
  console.log(line('  yardstick: fixed JavaScript workload (ms)', javascriptYardstickMs().toFixed(0), '200 000 records split, accent-folded, serialised'));
}
