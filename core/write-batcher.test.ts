import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Knex } from 'knex';
import { openDatabase } from './database.js';
import { WriteBatcher } from './write-batcher.js';

let dataDir: string;
let db: Knex;

before(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'hygie-batch-'));
  db = await openDatabase({
    url: '', dataDir,
    migrations: [{
      name: '20261124_99_test_items',
      up: (k) => k.schema.createTable('items', (t) => { t.increments('id'); t.integer('n').notNullable().unique(); }),
      down: (k) => k.schema.dropTable('items'),
    }],
  });
});
after(async () => {
  await db.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

test('concurrent writes share transactions, and a failing one fails alone', async () => {
  const batcher = new WriteBatcher(db);
  const transactions = new Set<Knex.Transaction>();
  const results = await Promise.allSettled(Array.from({ length: 20 }, (_, n) => batcher.run(async (trx) => {
    transactions.add(trx);
    // Item 7 collides with item 3 on the unique column: that job must fail, no other.
    await trx('items').insert({ n: n === 7 ? 3 : n });
    return n;
  })));
  assert.deepEqual(results.map((r) => r.status), results.map((_, n) => (n === 7 ? 'rejected' : 'fulfilled')));
  assert.deepEqual(results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<number>).value), [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  const stored = (await db('items').orderBy('n')).map((row: { n: number }) => row.n);
  assert.deepEqual(stored, [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  // One batch of 20 that rolled back, then 20 single replays: far fewer transactions than jobs would mean the batch ran.
  assert.ok(transactions.size <= 21, `ran in ${transactions.size} transactions`);
});

test('writes submitted together commit in one transaction', async () => {
  const batcher = new WriteBatcher(db);
  const transactions = new Set<Knex.Transaction>();
  await Promise.all(Array.from({ length: 10 }, (_, n) => batcher.run(async (trx) => {
    transactions.add(trx);
    await trx('items').insert({ n: 100 + n });
  })));
  assert.equal(transactions.size, 1);
  assert.equal((await db('items').where('n', '>=', 100)).length, 10);
});
