import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Knex } from 'knex';
import { openDatabase } from './database.js';
import { knexKeyReads, openKeyReads, type KeyReads } from './key-reads.js';

let dataDir: string;
let db: Knex;
let own: KeyReads;

before(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'hygie-reads-'));
  db = await openDatabase({
    url: '', dataDir,
    migrations: [{
      name: '20261124_99_test_people',
      up: (k) => k.schema.createTable('people', (t) => { t.increments('id'); t.string('name').notNullable().unique(); t.boolean('active').notNullable(); }),
      down: (k) => k.schema.dropTable('people'),
    }],
  });
  own = openKeyReads(db);
});
after(async () => {
  await own.close();
  await db.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

test('a commit through knex is seen by the next read on the own connection, as through knex itself', async () => {
  const both = [own, knexKeyReads(db)];
  for (const reads of both) assert.deepEqual(await reads.rows('SELECT name FROM people WHERE name = ?', ['Anne']), []);
  await db('people').insert({ name: 'Anne', active: true });
  for (const reads of both) assert.deepEqual(await reads.rows('SELECT name FROM people WHERE name = ?', ['Anne']), [{ name: 'Anne' }]);
  // Uncommitted rows are not seen: the read-only connection reads what is committed.
  await db.transaction(async (trx) => {
    await trx('people').insert({ name: 'Bruno', active: false });
    assert.deepEqual(await own.rows('SELECT name FROM people WHERE name = ?', ['Bruno']), []);
  });
  assert.deepEqual(await own.rows('SELECT name FROM people WHERE name = ?', ['Bruno']), [{ name: 'Bruno' }]);
});

test('numbered placeholders and booleans bind as through node-sqlite3', async () => {
  await db('people').insert({ name: 'Chloé', active: true });
  const query = 'SELECT name FROM people WHERE (name = ?1 OR name = ?2) AND active = ?3 ORDER BY name';
  const expected = await knexKeyReads(db).rows(query, ['Chloé', 'Anne', true]);
  assert.deepEqual(expected, [{ name: 'Anne' }, { name: 'Chloé' }]);
  assert.deepEqual(await own.rows(query, ['Chloé', 'Anne', true]), expected);
  assert.deepEqual(await own.rows(query, ['Chloé', 'Anne', false]), []);
});

test('the read-only connection cannot write', async () => {
  await assert.rejects(own.rows('DELETE FROM people RETURNING id', []), /readonly|read-only/i);
  assert.equal((await db('people').count({ n: '*' }))[0]!.n, 3);
});

test('reads stay consistent while the writer checkpoints after every commit', async () => {
  // The read-only connection and knex's writer must share the process's one copy of SQLite:
  // a second copy would not see this reader's locks and could checkpoint or restart the
  // WAL under it (core/sqlite-readers.ts).
  await db.raw('PRAGMA wal_autocheckpoint = 1');
  try {
    const [{ n: before }] = await own.rows<{ n: number }>('SELECT COUNT(*) AS n FROM people', []);
    const reads: Array<Promise<Array<{ n: number }>>> = [];
    for (let i = 0; i < 200; i++) {
      await db('people').insert({ name: `Person ${i}`, active: i % 2 === 0 });
      reads.push(own.rows<{ n: number }>('SELECT COUNT(*) AS n FROM people', []));
    }
    const counts = (await Promise.all(reads)).map(([row]) => Number(row!.n));
    counts.forEach((n, i) => assert.ok(n >= before + i + 1 && n <= before + 200, `read ${i} saw ${n} rows`));
    const [{ n: after }] = await own.rows<{ n: number }>('SELECT COUNT(*) AS n FROM people', []);
    assert.equal(after, before + 200);
  } finally {
    await db.raw('PRAGMA wal_autocheckpoint = 1000');
  }
});

test('a statement that fails to prepare is refused with its error, and the connection reads on', { timeout: 10_000 }, async () => {
  // node-sqlite3 drops the calls queued on a statement whose prepare failed: they must not wait forever.
  await assert.rejects(own.rows('SELECT name FROM nowhere', []), /no such table: nowhere/);
  await assert.rejects(own.rows('SELECT name FROM nowhere', []), /no such table: nowhere/);
  assert.deepEqual(await own.rows('SELECT name FROM people WHERE name = ?', ['Anne']), [{ name: 'Anne' }]);
});
