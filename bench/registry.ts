/**
 * Registry import figures (issue 5): a synthetic PS_LibreAcces_Personne_activite file of
 * national size (2 500 000 lines; target under 60 s with a peak RSS under 300 MB) and an
 * Extraction_Correspondance_MSSante file of 600 000 lines (target under 15 s), each
 * imported into a fresh SQLite database by a child process — `hygie registry import`'s
 * own code path — whose peak RSS is its own high-water mark (VmHWM). The files are
 * generated first (not timed). Sizes: BENCH_REGISTRY_LINES, BENCH_MSS_LINES.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ALL_MIGRATIONS } from '../app/context.js';
import { AuditTrail } from '../core/audit.js';
import { systemClock } from '../core/clock.js';
import { openDatabase } from '../core/database.js';
import { RegistryService, type ImportResult } from '../directory/registry/index.js';
import { writeSyntheticMssante, writeSyntheticPersonneActivite } from '../directory/registry/synthetic.js';
import { peakRssOf } from './processes.js';
import { line, mib } from './stats.js';

const PERSONNE_ACTIVITE_LINES = Number(process.env.BENCH_REGISTRY_LINES ?? 2_500_000);
const MSSANTE_LINES = Number(process.env.BENCH_MSS_LINES ?? 600_000);
const CHILD_FLAG = '--registry-import-child';

interface ChildReport {
  result: ImportResult;
  /** Bytes: the child's own peak resident set, from getrusage. */
  maxRss: number;
  /** Seconds of CPU the child used, all its threads (the database's included). */
  cpuSeconds: number;
}

/** Imports `file` into a fresh SQLite database in `dataDir`, in a child process. */
function importInChild(file: string, dataDir: string): Promise<{ report: ChildReport; seconds: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), CHILD_FLAG, file, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString('utf8'); });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) { reject(new Error(`registry import child exited with ${code}`)); return; }
      resolve({ report: JSON.parse(out) as ChildReport, seconds: (performance.now() - started) / 1000 });
    });
  });
}

async function child(file: string, dataDir: string): Promise<void> {
  const db = await openDatabase({ url: '', dataDir, migrations: ALL_MIGRATIONS });
  try {
    const service = new RegistryService({ db, clock: systemClock, audit: new AuditTrail(db, systemClock) });
    const [result] = await service.importFiles([file], { actor: 'bench', channel: 'bench' });
    if (!result || result.status !== 'done') throw new Error(`import failed: ${result?.error}`);
    const usage = process.resourceUsage();
    const cpuSeconds = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
    process.stdout.write(JSON.stringify({ result, maxRss: ownPeakRss(usage), cpuSeconds } satisfies ChildReport));
  } finally {
    await db.destroy();
  }
}

/**
 * This process's own peak resident memory, in bytes. Linux carries the peak of the memory
 * a process had before exec into getrusage's maxrss, and a child spawned by a large bench
 * process shares its parent's memory until exec: getrusage then reports the parent's peak
 * (seen: 745 MiB for an import whose own peak was 210). VmHWM is the peak of the process's
 * own memory since exec; getrusage is only the fallback where /proc is missing.
 */
function ownPeakRss(usage: NodeJS.ResourceUsage): number {
  try {
    return peakRssOf(process.pid);
  } catch {
    return usage.maxRSS * 1024;
  }
}

interface Target {
  lines: number;
  seconds: number;
  /** Bytes of peak RSS, when the target has one. */
  rss?: number;
}

function report(name: string, lines: number, run: { report: ChildReport; seconds: number }, target: Target): void {
  const { result, maxRss, cpuSeconds } = run.report;
  const goal = `target for ${target.lines.toLocaleString('en-US')} lines: < ${target.seconds} s${target.rss ? `, < ${target.rss / 1e6} MB` : ''}`;
  const verdict = lines !== target.lines ? 'other size, no verdict'
    : run.seconds < target.seconds && (!target.rss || maxRss < target.rss) ? 'met' : 'MISSED';
  console.log(line(`${name}, ${lines.toLocaleString('en-US')} lines (s)`, run.seconds.toFixed(1),
    `${Math.round(result.lines / run.seconds).toLocaleString('en-US')} lines/s, CPU ${cpuSeconds.toFixed(1)} s, peak RSS ${mib(maxRss)}, rejected ${result.rejected}; ${goal}: ${verdict}`));
  const tables = Object.entries(result.tables).map(([t, f]) => `${t} +${f.added}`).join(', ');
  console.log(line('  rows written', '', tables));
}

export async function benchRegistry(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hygie-bench-registry-'));
  try {
    console.log(`Registry import — SQLite; Node ${process.version}; ${os.cpus().length} cores; load average ${os.loadavg()[0]?.toFixed(1)} at start`);
    const personneActivite = path.join(dir, 'PS_LibreAcces_Personne_activite_202611240830.txt');
    const mssante = path.join(dir, 'Extraction_Correspondance_MSSante_202611240600.txt');
    let t0 = performance.now();
    const generated = await writeSyntheticPersonneActivite(personneActivite, { lines: PERSONNE_ACTIVITE_LINES });
    await writeSyntheticMssante(mssante, { lines: MSSANTE_LINES });
    console.log(line('  synthetic files generated (s)', ((performance.now() - t0) / 1000).toFixed(1),
      `Personne_activite ${mib(generated.bytes)}, ${generated.professionals.toLocaleString('en-US')} professionals`));
    report('registry import Personne_activite', PERSONNE_ACTIVITE_LINES, await importInChild(personneActivite, path.join(dir, 'db-pa')),
      { lines: 2_500_000, seconds: 60, rss: 300e6 });
    report('registry import MSSanté addresses', MSSANTE_LINES, await importInChild(mssante, path.join(dir, 'db-mss')), { lines: 600_000, seconds: 15 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === CHILD_FLAG && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  child(process.argv[3] as string, process.argv[4] as string).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
