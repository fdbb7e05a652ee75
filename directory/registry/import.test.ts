import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../core/clock.js';
import { defineImportTests } from './import-suite.js';
import { openTestRegistry, samplePath } from './testing.js';

defineImportTests('SQLite', { database: async () => ({ url: '', drop: async () => undefined }) });

test('SQLite: an import gives the connection back as it found it, with every index it dropped rebuilt', async () => {
  const registry = await openTestRegistry(new ManualClock(new Date('2026-11-24T09:00:00Z')), { batchLines: 3 });
  try {
    const pragma = async (name: string): Promise<unknown> => Object.values((await registry.db.raw(`PRAGMA ${name}`) as Array<Record<string, unknown>>)[0] ?? {})[0];
    const indexes = async (): Promise<unknown[]> => (await registry.db.raw(
      "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('professionals', 'structures', 'activities', 'professional_skills') ORDER BY name") as unknown[]);
    const before = { foreignKeys: await pragma('foreign_keys'), tempStore: await pragma('temp_store'), cacheSize: await pragma('cache_size'), indexes: await indexes() };
    const [result] = await registry.service.importFiles([samplePath('PS_LibreAcces_Personne_activite_202611240830.txt')], { actor: 'operator:test' });
    assert.equal(result?.status, 'done');
    const after = { foreignKeys: await pragma('foreign_keys'), tempStore: await pragma('temp_store'), cacheSize: await pragma('cache_size'), indexes: await indexes() };
    assert.deepEqual(after, before);
    assert.equal(before.foreignKeys, 1);
  } finally {
    await registry.close();
  }
});
