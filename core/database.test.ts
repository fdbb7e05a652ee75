/**
 * The same migrations on both engines: SQLite (always) and the test PostgreSQL
 * (core/testing-postgres.ts), each in a fresh database that is dropped afterwards.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ALL_MIGRATIONS } from '../app/context.js';
import { openDatabase } from './database.js';
import { createTestPostgresDatabase, postgresUnavailable } from './testing-postgres.js';

const EXPECTED_TABLES = ['audit_events', 'mailboxes', 'addresses', 'credentials', 'folders', 'messages', 'message_changes', 'message_blobs'];

test('migrations create every table in a new SQLite file and are idempotent', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hygie-db-'));
  try {
    let db = await openDatabase({ url: '', dataDir, migrations: ALL_MIGRATIONS });
    const tables = (await db.raw("select name from sqlite_master where type='table'")).map((r: { name: string }) => r.name);
    for (const table of EXPECTED_TABLES) assert.ok(tables.includes(table), `missing table ${table}`);
    const journal = await db.raw('PRAGMA journal_mode');
    assert.equal(journal[0].journal_mode, 'wal');
    await db.destroy();
    db = await openDatabase({ url: '', dataDir, migrations: ALL_MIGRATIONS });
    const applied = await db('knex_migrations').count({ n: '*' });
    assert.equal(Number(applied[0]?.n), new Set(ALL_MIGRATIONS).size); // a migration shared by two modules runs once
    await db.destroy();
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('the same migrations run on PostgreSQL', async (t) => {
  const unavailable = await postgresUnavailable();
  if (unavailable) {
    t.skip(unavailable);
    return;
  }
  const database = await createTestPostgresDatabase();
  try {
    const db = await openDatabase({ url: database.url, dataDir: os.tmpdir(), migrations: ALL_MIGRATIONS });
    const rows = await db('information_schema.tables').where({ table_schema: 'public' }).select('table_name');
    const tables = rows.map((r: { table_name: string }) => r.table_name);
    for (const table of EXPECTED_TABLES) assert.ok(tables.includes(table), `missing table ${table}`);
    await db.destroy();
  } finally {
    await database.drop();
  }
});
