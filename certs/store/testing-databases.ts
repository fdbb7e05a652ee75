/**
 * Tests only: runs a suite once on SQLite and once on PostgreSQL (HYGIE_TEST_POSTGRES_URL,
 * default the local server), each in a fresh database dropped afterwards. Without a
 * PostgreSQL server the PostgreSQL half is skipped, except in CI where it fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { Knex } from 'knex';
import { AuditTrail, auditMigrations } from '../../core/audit.js';
import { ManualClock } from '../../core/clock.js';
import { openDatabase } from '../../core/database.js';
import { openKeyReads } from '../../core/key-reads.js';
import { createTestPostgresDatabase, postgresUnavailable } from '../../core/testing-postgres.js';
import { CertificateStore } from './certificate-store.js';
import type { KeySecret } from './key-vault.js';
import { certStoreMigrations } from './migrations.js';

export const ENGINES = ['sqlite', 'postgres'] as const;
export type Engine = (typeof ENGINES)[number];

export interface StoreTestEnv {
  engine: Engine;
  db: Knex;
  clock: ManualClock;
  audit: AuditTrail;
  /** A store over the shared test database, with the given at-rest secrets. */
  store(keySecrets?: readonly KeySecret[]): CertificateStore;
}

type StoreTest = (name: string, body: (env: StoreTestEnv, t: TestContext) => Promise<void>) => void;

/** Declares `body`'s tests twice, one suite per engine; tables are emptied before each test. */
export function describeOnEachEngine(name: string, body: (storeTest: StoreTest) => void): void {
  for (const engine of ENGINES) {
    describe(`${name} [${engine}]`, () => {
      let opened: { env: StoreTestEnv; close(): Promise<void> } | string = 'not opened';
      before(async () => { opened = await openEnv(engine); });
      after(async () => { if (typeof opened !== 'string') await opened.close(); });
      body((testName, testBody) => {
        test(testName, async (t) => {
          if (typeof opened === 'string') {
            t.skip(opened);
            return;
          }
          await clearTables(opened.env.db);
          opened.env.clock.set(new Date());
          await testBody(opened.env, t);
        });
      });
    });
  }
}

async function openEnv(engine: Engine): Promise<{ env: StoreTestEnv; close(): Promise<void> } | string> {
  const migrations = [...auditMigrations, ...certStoreMigrations];
  let db: Knex;
  let dispose: () => Promise<void>;
  if (engine === 'sqlite') {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hygie-certstore-db-'));
    db = await openDatabase({ url: '', dataDir, migrations });
    dispose = async () => rmSync(dataDir, { recursive: true, force: true });
  } else {
    const unavailable = await postgresUnavailable();
    if (unavailable) return unavailable;
    const database = await createTestPostgresDatabase('hygie_certstore');
    db = await openDatabase({ url: database.url, dataDir: os.tmpdir(), migrations });
    dispose = () => database.drop();
  }
  const clock = new ManualClock(new Date());
  const audit = new AuditTrail(db, clock);
  // As the operator runs it: reads by key on a read-only connection of their own on SQLite.
  const reads = openKeyReads(db);
  const env: StoreTestEnv = {
    engine, db, clock, audit,
    store: (keySecrets) => new CertificateStore({ db, audit, clock, reads, ...(keySecrets ? { keySecrets } : {}) }),
  };
  return {
    env,
    async close() {
      await reads.close();
      await db.destroy();
      await dispose();
    },
  };
}

async function clearTables(db: Knex): Promise<void> {
  for (const table of ['trust_anchors', 'private_keys', 'certificate_addresses', 'certificates', 'audit_events']) {
    await db(table).delete();
  }
}
