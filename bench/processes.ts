/** What several benchmarks need of the processes they measure: memory and CPU figures, and whether a reference tool is installed. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export function installed(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Resident memory of a process now, in bytes. */
export function rssOf(pid: number): number {
  return statusField(pid, 'VmRSS');
}

/** The highest resident memory the process has had, in bytes. */
export function peakRssOf(pid: number): number {
  return statusField(pid, 'VmHWM');
}

function statusField(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
}

/** The fields of /proc/<pid>/stat after the command name (index 0 = state), or undefined once the process is gone. */
function statFields(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  } catch {
    return undefined;
  }
}

const TICK_MICROS = 1_000_000 / 100; // USER_HZ = 100 on Linux

/** CPU time (user + system) a process has used so far, in microseconds (Linux /proc). */
export function cpuMicrosOf(pid: number): number {
  const fields = statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) * TICK_MICROS : 0;
}

/** Own CPU time plus that of the children it has reaped (cutime, cstime), in microseconds. */
function cpuWithReapedMicrosOf(pid: number): number {
  const fields = statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * TICK_MICROS : 0;
}

/** The live direct children of a process (a daemon's worker processes), from each of its threads' children list. */
export function childrenOf(parent: number): number[] {
  const children: number[] = [];
  try {
    for (const thread of readdirSync(`/proc/${parent}/task`)) {
      const list = readFileSync(`/proc/${parent}/task/${thread}/children`, 'utf8').trim();
      if (list !== '') children.push(...list.split(' ').map(Number));
    }
  } catch {
    // the process (or a thread) ended meanwhile
  }
  return children;
}

/**
 * A meter of the CPU time (µs) a daemon and its worker processes use from now on, such
 * as Postfix's master and the smtpd, cleanup, qmgr… it starts and ends: live workers are
 * read one by one, and those that exit in between are counted through the time the
 * parent reaped, minus what they had used before the meter started.
 */
export function cpuMeterOf(root: number): () => number {
  const snapshot = (): { root: number; children: Map<number, number> } =>
    ({ root: cpuWithReapedMicrosOf(root), children: new Map(childrenOf(root).map((pid) => [pid, cpuWithReapedMicrosOf(pid)])) });
  const before = snapshot();
  return () => {
    const after = snapshot();
    let used = after.root - before.root;
    for (const [pid, micros] of after.children) used += micros - (before.children.get(pid) ?? 0);
    for (const [pid, micros] of before.children) if (!after.children.has(pid)) used -= micros;
    return used;
  };
}

/** Proportional memory (PSS: shared pages split between their users) of a process and its live children, in bytes. */
export function treePssOf(root: number): number {
  let total = 0;
  for (const pid of [root, ...childrenOf(root)]) {
    try {
      total += Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0) * 1024;
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** Samples `measure` every `intervalMs` until stopped; stop() gives the highest value seen. */
export function peakSampler(measure: () => number, intervalMs = 100): () => number {
  let peak = measure();
  const timer = setInterval(() => { peak = Math.max(peak, measure()); }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    return Math.max(peak, measure());
  };
}
