import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Knex } from 'knex';
import { auditMigrations } from '../../core/audit.js';
import { openDatabase } from '../../core/database.js';
import { directoryMigrations } from '../migrations.js';
import { silentBoxes } from './box-list.js';
import { LIFECYCLE_STEPS, type LifecycleStep } from './rules.js';
import { lifecycleDialect, selectRows, sql } from './sql.js';
import { stepSubject } from './statements.js';

const NOW = '2026-11-24T03:00:00.000Z';

describe('the boxes a sweep statement starts from (SQLite)', () => {
  let dataDir: string;
  let db: Knex;

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'hygie-box-list-'));
    db = await openDatabase({ url: '', dataDir, migrations: [...auditMigrations, ...directoryMigrations] });
    // Ids in the opposite order of the connection dates, so that index order and id order differ.
    const box = (id: number, lastLogin: string | null, state: Record<string, unknown> = {}) => ({
      id, type: 'PER', display_name: `Boîte ${id}`, is_health: true, created_at: '2020-01-01T00:00:00.000Z', last_login_at: lastLogin,
      status: 'active', published: true, unlisted: false, ...state,
    });
    await db('mailboxes').insert([
      box(1, '2026-11-01T00:00:00.000Z'),
      box(2, '2026-06-01T00:00:00.000Z'),
      box(3, '2026-03-01T00:00:00.000Z'),
      box(4, null),
      box(5, '2026-02-01T00:00:00.000Z', { published: false, unpublished_reason: 'operator' }),
      box(6, '2026-01-01T00:00:00.000Z', { status: 'deleted', published: false }),
    ]);
  });

  after(async () => {
    await db.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const silentSince = (step: LifecycleStep, since: string) =>
    sql`${silentBoxes(stepSubject(lifecycleDialect(db), step), NOW, since)} SELECT silent.id, silent.connection FROM silent`;

  test('lists the subject boxes silent since before the date, in id order, each with its connection', async () => {
    const unpublish = await selectRows<{ id: number; connection: string }>(db, silentSince('unpublish', '2026-07-01T00:00:00.000Z'));
    assert.deepEqual(unpublish.map((row) => [row.id, row.connection]),
      [[2, '2026-06-01T00:00:00.000Z'], [3, '2026-03-01T00:00:00.000Z'], [4, '2020-01-01T00:00:00.000Z']]);
    // An unpublished box is still a subject of deletion; a deleted one of nothing.
    const remove = await selectRows<{ id: number }>(db, silentSince('delete', '2026-07-01T00:00:00.000Z'));
    assert.deepEqual(remove.map((row) => row.id), [2, 3, 4, 5]);
  });

  test('reads them from the connection-date index alone, never by walking the table in id order', async () => {
    const index: Record<LifecycleStep, string> = { unpublish: 'mailboxes_lifecycle_published', delete: 'mailboxes_lifecycle_active' };
    for (const step of LIFECYCLE_STEPS) {
      const statement = silentSince(step, '2026-07-01T00:00:00.000Z');
      const plan = await selectRows<{ detail: string }>(db, sql`EXPLAIN QUERY PLAN ${statement}`);
      const details = plan.map((row) => row.detail);
      assert.ok(details.some((d) => d.startsWith(`SEARCH mailboxes USING COVERING INDEX ${index[step]}`)), `${step}: ${details.join(' | ')}`);
      assert.ok(!details.some((d) => /^SCAN mailboxes\b/.test(d)), `${step}: ${details.join(' | ')}`);
    }
  });
});
