/**
 * Tests only: a directory database (SQLite in a temporary folder, or a fresh PostgreSQL
 * database) with the mailbox service wired to the lifecycle as `hygie start` wires it, a
 * manual clock, and a notifier that records what it is given.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { AuditTrail, auditMigrations } from '../../core/audit.js';
import { ManualClock } from '../../core/clock.js';
import { DEFAULT_CONFIG } from '../../core/config.js';
import { openDatabase } from '../../core/database.js';
import { createTestPostgresDatabase } from '../../core/testing-postgres.js';
import { MailboxService } from '../mailbox-service.js';
import { directoryMigrations } from '../migrations.js';
import { LifecycleEngine } from './engine.js';
import { republishOnConnection } from './republish.js';
import type { LifecycleRules } from './rules.js';
import type { DeliveryFailure, LifecycleNotice, LifecycleNotifier } from './types.js';

export const DAY = 86_400_000;
export const PASSWORD = 'correct horse battery';

export class RecordingNotifier implements LifecycleNotifier {
  readonly delivered: Array<LifecycleNotice & { deliveredAt: string }> = [];
  /** Set: every delivery throws with this message. */
  down: string | null = null;
  /** Mailboxes whose notices fail one by one. */
  readonly refuse = new Set<number>();

  constructor(private readonly clock: ManualClock) {}

  async deliver(notices: readonly LifecycleNotice[]): Promise<DeliveryFailure[]> {
    if (this.down) throw new Error(this.down);
    const failures = notices.filter((n) => this.refuse.has(n.mailboxId)).map((n) => ({ id: n.id, error: 'mailbox full' }));
    const at = this.clock.now().toISOString();
    this.delivered.push(...notices.filter((n) => !this.refuse.has(n.mailboxId)).map((n) => ({ ...n, deliveredAt: at })));
    return failures;
  }
}

export interface LifecycleFixture {
  db: Knex;
  clock: ManualClock;
  audit: AuditTrail;
  mailboxes: MailboxService;
  notifier: RecordingNotifier;
  engine: LifecycleEngine;
  /** Day `n` after the start, at the start's time of day. */
  day(n: number): Date;
  close(): Promise<void>;
}

export async function openFixture(kind: 'sqlite' | 'postgres', start: Date, rules?: LifecycleRules): Promise<LifecycleFixture> {
  const migrations = [...auditMigrations, ...directoryMigrations];
  let cleanup: () => Promise<void>;
  let db: Knex;
  if (kind === 'sqlite') {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hygie-lifecycle-'));
    db = await openDatabase({ url: '', dataDir, migrations });
    cleanup = async () => rmSync(dataDir, { recursive: true, force: true });
  } else {
    const database = await createTestPostgresDatabase('hygie_lifecycle');
    db = await openDatabase({ url: database.url, dataDir: '', migrations });
    cleanup = () => database.drop();
  }
  const clock = new ManualClock(start);
  const audit = new AuditTrail(db, clock);
  const mailboxes = new MailboxService({
    db, clock, audit, domains: DEFAULT_CONFIG.operator.domains, auth: { maxFailures: 1000, windowSeconds: 60 },
    onConnection: republishOnConnection,
  });
  const notifier = new RecordingNotifier(clock);
  const engine = new LifecycleEngine({ db, clock, audit, notifier, ...(rules ? { rules } : {}) });
  return {
    db, clock, audit, mailboxes, notifier, engine,
    day: (n) => new Date(start.getTime() + n * DAY),
    async close() {
      await db.destroy();
      await cleanup();
    },
  };
}

/** Everything the lifecycle may touch, to show that something changed nothing. */
export async function snapshot(db: Knex): Promise<string> {
  const tables = ['mailboxes', 'credentials', 'delegations', 'lifecycle_notices', 'mailbox_events', 'audit_events'];
  const rows = await Promise.all(tables.map((t) => db(t).select().orderBy('id')));
  return JSON.stringify(rows);
}
