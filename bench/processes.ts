/** What several benchmarks need of the processes they measure: memory figures and whether a reference tool is installed. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

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

/** CPU time (user + system) a process has used so far, in microseconds (Linux /proc; USER_HZ = 100). */
export function cpuMicrosOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * (1_000_000 / 100);
}
