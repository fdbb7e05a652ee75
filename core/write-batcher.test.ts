import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Knex } from 'knex';
import { openDatabase } from './database.js';
import { insertInCommit, WriteBatcher } from './write-batcher.js';

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

/** The INSERT statements knex sends into `table` while `work` runs. */
async function insertsInto<T>(table: string, work: () => Promise<T>): Promise<{ result: T; statements: number }> {
  let statements = 0;
  const count = (query: { sql: string }): void => { if (new RegExp(`^insert into [\`"]${table}[\`"]`, 'i').test(query.sql)) statements++; };
  db.on('query', count);
  try {
    return { result: await work(), statements };
  } finally {
    db.off('query', count);
  }
}

test('rows held by the jobs of a group commit are written in one statement per table, before the commit', async () => {
  const batcher = new WriteBatcher(db);
  const { result: seenBeforeCommit, statements } = await insertsInto('items', () => Promise.all(Array.from({ length: 12 }, (_, n) => batcher.run(async (trx) => {
    await insertInCommit(trx, 'items', { n: 200 + n });
    // Held, not yet written: the job must not count on reading it back.
    return (await trx('items').where({ n: 200 + n })).length;
  }))));
  assert.equal(statements, 1);
  assert.deepEqual(seenBeforeCommit, Array.from({ length: 12 }, () => 0));
  assert.deepEqual((await db('items').where('n', '>=', 200).where('n', '<', 300).orderBy('n')).map((row: { n: number }) => row.n), Array.from({ length: 12 }, (_, n) => 200 + n));
});

test('a held row that fails fails its own job alone, and the others are written', async () => {
  const batcher = new WriteBatcher(db);
  const results = await Promise.allSettled(Array.from({ length: 8 }, (_, n) => batcher.run(async (trx) => {
    // Job 5 holds a row colliding with job 2's: the batch's insert fails, the replay pins it on job 5.
    await insertInCommit(trx, 'items', { n: n === 5 ? 302 : 300 + n });
    return n;
  })));
  assert.deepEqual(results.map((r) => r.status), results.map((_, n) => (n === 5 ? 'rejected' : 'fulfilled')));
  assert.match(String((results[5] as PromiseRejectedResult).reason), /UNIQUE constraint failed: items\.n/);
  assert.deepEqual((await db('items').where('n', '>=', 300).where('n', '<', 400).orderBy('n')).map((row: { n: number }) => row.n), [300, 301, 302, 303, 304, 306, 307]);
});

test('held rows may skip keys already there or held by another job; outside a group commit they are written at once', async () => {
  const batcher = new WriteBatcher(db);
  await db('items').insert({ n: 400 });
  await Promise.all([400, 401, 401, 402].map((n) => batcher.run((trx) => insertInCommit(trx, 'items', { n }, { ignoreConflictOn: 'n' }))));
  assert.deepEqual((await db('items').where('n', '>=', 400).where('n', '<', 500).orderBy('n')).map((row: { n: number }) => row.n), [400, 401, 402]);
  await db.transaction(async (trx) => {
    await insertInCommit(trx, 'items', [{ n: 410 }, { n: 411 }]);
    assert.equal((await trx('items').whereIn('n', [410, 411])).length, 2);
    await assert.rejects(insertInCommit(trx, 'items', { n: 410 }), /UNIQUE constraint failed/);
  });
});
