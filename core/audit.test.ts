/**
 * The audit trail inside group commits: records made within a write (held for the end of
 * the commit) and records made on their own (grouped into a job of their own) come out in
 * the order they were made, one commit for all.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Knex } from 'knex';
import { AuditTrail, auditMigrations } from './audit.js';
import { ManualClock } from './clock.js';
import { openDatabase } from './database.js';
import { WriteBatcher } from './write-batcher.js';

let dataDir: string;
let db: Knex;

before(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'hygie-audit-'));
  db = await openDatabase({ url: '', dataDir, migrations: auditMigrations });
});
after(async () => {
  await db.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

test('records made within writes and on their own, in one group commit, are stored in the order they were made', async () => {
  const audit = new AuditTrail(db, new ManualClock(new Date('2026-11-25T08:00:00Z')));
  const batcher = WriteBatcher.of(db);
  const transactions = new Set<Knex.Transaction>();
  const within = (action: string): Promise<void> => batcher.run(async (trx) => {
    transactions.add(trx);
    await audit.record({ action, outcome: 'success', actor: 'test' }, trx);
  });
  await Promise.all([
    within('test.first'),
    audit.record({ action: 'test.second', outcome: 'success', actor: 'test' }),
    audit.record({ action: 'test.third', outcome: 'success', actor: 'test' }),
    within('test.fourth'),
  ]);
  assert.equal(transactions.size, 1);
  const stored = await db('audit_events').where('action', 'like', 'test.%').orderBy('id').select('action');
  assert.deepEqual(stored.map((row: { action: string }) => row.action), ['test.first', 'test.second', 'test.third', 'test.fourth']);
});
