/**
 * Lifecycle figures (issue 5): sweeps over a national-size directory — 1 000 000 boxes by
 * default (BENCH_LIFECYCLE_BOXES), SQLite in a temporary folder — with a spread of ages
 * and last connections like a regional operator's (most boxes used this month, some
 * silent for months, a tenth silent for years, some never used), each with two
 * addresses and a password. Timed, each from a fresh start of the engine's work:
 *  1. the first sweep, as on the day the engine is switched on: every silent box gets its
 *     notice (recorded, then delivered to a notifier that only counts);
 *  2. the same sweep again: idempotent, nothing to do;
 *  3. a dry run thirty days later (the boxes in use have logged in meanwhile; the same work, rolled back);
 *  4. the sweep thirty days later: the noticed boxes are unpublished or deleted;
 *  5. the next day's sweep: a day like the others;
 * and the plan of the next 30 days.
 * Target: each sweep under 10 s. Each line splits the sweep into its two parts: the rules
 * (the set-based SQL, one transaction: steps, reminders, notices recorded) and the
 * delivery of the notices recorded (reading each notice with its box's addresses, then
 * marking it delivered and writing it into the box history, a transaction per batch of 5 000). The
 * notifier here only counts: writing the notices into the boxes and sending them out is the
 * gateway's mail delivery, not measured here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Knex } from 'knex';
import { AuditTrail, auditMigrations } from '../core/audit.js';
import { ManualClock } from '../core/clock.js';
import { openDatabase } from '../core/database.js';
import { LifecycleEngine, type LifecycleNotice, type LifecycleNotifier, type SweepReport } from '../directory/lifecycle/index.js';
import { directoryMigrations } from '../directory/migrations.js';
import { line, mib } from './stats.js';

const BOXES = Number(process.env.BENCH_LIFECYCLE_BOXES ?? 1_000_000);
const NOW = new Date('2026-11-24T03:00:00.000Z');
const DAY = 86_400_000;
const CHUNK = 100_000;

/**
 * Box n's facts from a multiplicative hash of n (deterministic, spread out): age up to six
 * years; last login in one of five bands; 85 % personal, 12 % organisational, 3 %
 * applicative; 1 % unlisted, 1 % unpublished by an operator, 0.5 % already deleted.
 */
async function fill(db: Knex): Promise<void> {
  const now = NOW.toISOString();
  const iso = (days: string, seconds: string): string =>
    `strftime('%Y-%m-%dT%H:%M:%fZ', '${now}', '-' || (${days}) || ' days', '-' || (${seconds}) || ' seconds')`;
  for (let from = 1; from <= BOXES; from += CHUNK) {
    const to = Math.min(BOXES, from + CHUNK - 1);
    await db.transaction(async (trx) => {
      await trx.raw(`CREATE TEMP TABLE IF NOT EXISTS bench_boxes (n INTEGER PRIMARY KEY, h1 INTEGER, h2 INTEGER, h3 INTEGER, created_at TEXT)`);
      await trx.raw(`DELETE FROM bench_boxes`);
      await trx.raw(`WITH RECURSIVE seq(n) AS (SELECT ${from} UNION ALL SELECT n + 1 FROM seq WHERE n < ${to})
        INSERT INTO bench_boxes SELECT n, (n * 2654435761) % 1000003, (n * 40503 + 7) % 100, (n * 69069 + 1) % 1000, NULL FROM seq`);
      await trx.raw(`UPDATE bench_boxes SET created_at = ${iso('h1 % 2190', '(h1 * 7) % 86400')}`);
      const silenceDays = `CASE WHEN h2 < 70 THEN h1 % 30 WHEN h2 < 80 THEN 30 + h1 % 45 WHEN h2 < 90 THEN 75 + h1 % 325 ELSE 400 + h1 % 1100 END`;
      await trx.raw(`INSERT INTO mailboxes (id, type, display_name, is_health, published, created_at, last_login_at, status, unlisted,
          unpublished_at, unpublished_reason, deleted_at, notification_address)
        SELECT n, CASE WHEN h3 < 850 THEN 'PER' WHEN h3 < 970 THEN 'ORG' ELSE 'APP' END, 'Boîte ' || n, 1,
          CASE WHEN h3 % 200 < 5 THEN 0 ELSE 1 END, created_at,
          CASE WHEN h2 < 8 THEN NULL ELSE MAX(created_at, ${iso(silenceDays, '(h1 * 13) % 86400')}) END,
          CASE WHEN h3 % 200 = 0 THEN 'deleted' ELSE 'active' END,
          CASE WHEN h3 % 200 IN (1, 2) THEN 1 ELSE 0 END,
          CASE WHEN h3 % 200 < 5 THEN created_at END,
          CASE WHEN h3 % 200 IN (1, 2) THEN 'unlisted' WHEN h3 % 200 IN (0, 3, 4) THEN 'operator' END,
          CASE WHEN h3 % 200 = 0 THEN created_at END,
          CASE WHEN h1 % 2 = 0 THEN 'proprietaire' || n || '@exemple.test' END
        FROM bench_boxes`);
      await trx.raw(`INSERT INTO addresses (mailbox_id, address, network)
        SELECT n, 'boite' || n || '@esante-demo.test', 'regional' FROM bench_boxes
        UNION ALL SELECT n, 'boite' || n || '@demo.mssante.test', 'mssante' FROM bench_boxes`);
      await trx.raw(`INSERT INTO credentials (mailbox_id, kind, secret, updated_at)
        SELECT n, 'password', 'scrypt$bench', created_at FROM bench_boxes WHERE h3 % 200 <> 0`);
    });
  }
  // The fill's pages out of the write-ahead log now, not during the first timed sweep.
  await db.raw('PRAGMA wal_checkpoint(TRUNCATE)');
}

/** The month's logins, between the sweeps: boxes in use (last login within 30 days) log in again, on some day before `day`. */
async function loginsUntil(db: Knex, day: number): Promise<void> {
  const now = NOW.toISOString();
  await db.raw(`UPDATE mailboxes SET last_login_at = strftime('%Y-%m-%dT%H:%M:%fZ', '${now}', '+' || (id % ${day}) || ' days')
    WHERE status = 'active' AND last_login_at >= strftime('%Y-%m-%dT%H:%M:%fZ', '${now}', '-30 days')`);
  await db.raw('PRAGMA wal_checkpoint(TRUNCATE)');
}

/** A moment of this process: wall clock, and CPU time (SQLite works on libuv's threads, in the process). */
interface Instant {
  wallMs: number;
  cpuMicros: number;
}

function instant(): Instant {
  const used = process.cpuUsage();
  return { wallMs: performance.now(), cpuMicros: used.user + used.system };
}

/** `12.34 s (CPU 5.67 s)` from `from` to `to`. */
function span(from: Instant, to: Instant): string {
  return `${((to.wallMs - from.wallMs) / 1000).toFixed(2)} s (CPU ${((to.cpuMicros - from.cpuMicros) / 1e6).toFixed(2)} s)`;
}

/**
 * A notifier that only counts, and notes when the sweep first hands it notices: the
 * rules' transaction (and the check of earlier pending notices) is over by then.
 */
class CountingNotifier implements LifecycleNotifier {
  delivered = 0;
  firstCall: Instant | undefined;

  async deliver(notices: readonly LifecycleNotice[]): Promise<void> {
    this.firstCall ??= instant();
    this.delivered += notices.length;
  }
}

function describe(report: SweepReport): string {
  const u = report.unpublish;
  const d = report.delete;
  return `notices ${u.notices}+${d.notices}, reminders ${u.reminders}+${d.reminders}, unpublished ${u.done}, deleted ${d.done}, `
    + `${report.delivery.delivered} delivered`;
}

export async function benchLifecycle(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hygie-bench-lifecycle-'));
  const db = await openDatabase({ url: '', dataDir, migrations: [...auditMigrations, ...directoryMigrations] });
  try {
    const t0 = performance.now();
    await fill(db);
    console.log(`Lifecycle sweeps — ${BOXES} boxes, SQLite; Node ${process.version}; ${os.cpus().length} cores`);
    console.log(line('fill the directory (s)', ((performance.now() - t0) / 1000).toFixed(1), `${BOXES} boxes, ${2 * BOXES} addresses`));

    const clock = new ManualClock(NOW);
    const notifier = new CountingNotifier();
    const engine = new LifecycleEngine({ db, clock, audit: new AuditTrail(db, clock), notifier });
    const runs: Array<[string, number, boolean]> = [
      ['first sweep: all silent boxes noticed', 0, false],
      ['same sweep again: idempotent', 0, false],
      ['dry run 30 days later', 30, true],
      ['sweep 30 days later: steps due', 30, false],
      ['next day\'s sweep', 31, false],
    ];
    let peakRss = process.memoryUsage().rss;
    for (const [name, day, dryRun] of runs) {
      if (day === 30 && dryRun) await loginsUntil(db, day);
      clock.set(new Date(NOW.getTime() + day * DAY));
      notifier.firstCall = undefined;
      const start = instant();
      const report = await engine.sweep({ dryRun });
      const end = instant();
      const rulesEnd = notifier.firstCall ?? end;
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      console.log(line(`lifecycle ${name} (s)`, ((end.wallMs - start.wallMs) / 1000).toFixed(2),
        `CPU ${((end.cpuMicros - start.cpuMicros) / 1e6).toFixed(2)} s = rules (SQL) ${span(start, rulesEnd)} + notice delivery ${span(rulesEnd, end)}; ${describe(report)}`));
    }
    const start = instant();
    const plan = await engine.plan({ horizonDays: 30, limit: 100 });
    const end = instant();
    console.log(line('lifecycle plan, next 30 days (s)', ((end.wallMs - start.wallMs) / 1000).toFixed(2),
      `CPU ${((end.cpuMicros - start.cpuMicros) / 1e6).toFixed(2)} s; ${plan.total} boxes with an action ahead`));
    console.log(line('lifecycle notices handed to the notifier', String(notifier.delivered), `process RSS peak ${mib(peakRss)}`));
  } finally {
    await db.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
