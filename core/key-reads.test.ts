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
let inline: KeyReads;

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
  inline = openKeyReads(db);
});
after(async () => {
  inline.close();
  await db.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

test('a commit through knex is seen by the next inline read, as through knex itself', async () => {
  const both = [inline, knexKeyReads(db)];
  for (const reads of both) assert.deepEqual(await reads.rows('SELECT name FROM people WHERE name = ?', ['Anne']), []);
  await db('people').insert({ name: 'Anne', active: true });
  for (const reads of both) assert.deepEqual(await reads.rows('SELECT name FROM people WHERE name = ?', ['Anne']), [{ name: 'Anne' }]);
  // Uncommitted rows are not seen: the inline connection reads what is committed.
  await db.transaction(async (trx) => {
    await trx('people').insert({ name: 'Bruno', active: false });
    assert.deepEqual(await inline.rows('SELECT name FROM people WHERE name = ?', ['Bruno']), []);
  });
  assert.deepEqual(await inline.rows('SELECT name FROM people WHERE name = ?', ['Bruno']), [{ name: 'Bruno' }]);
});

test('numbered placeholders and booleans bind as through node-sqlite3', async () => {
  await db('people').insert({ name: 'Chloé', active: true });
  const query = 'SELECT name FROM people WHERE (name = ?1 OR name = ?2) AND active = ?3 ORDER BY name';
  const expected = await knexKeyReads(db).rows(query, ['Chloé', 'Anne', true]);
  assert.deepEqual(expected, [{ name: 'Anne' }, { name: 'Chloé' }]);
  assert.deepEqual(await inline.rows(query, ['Chloé', 'Anne', true]), expected);
  assert.deepEqual(await inline.rows(query, ['Chloé', 'Anne', false]), []);
});

test('the inline connection cannot write', async () => {
  await assert.rejects(inline.rows('DELETE FROM people RETURNING id', []), /readonly|read-only/i);
  assert.equal((await db('people').count({ n: '*' }))[0]!.n, 3);
});
