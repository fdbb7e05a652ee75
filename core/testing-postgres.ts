/**
 * Tests only: fresh PostgreSQL databases on the test server (HYGIE_TEST_POSTGRES_URL,
 * default the local one, database `test`, trust auth), each dropped afterwards, so that
 * every module runs its tests on both engines the same way. Without a server the
 * PostgreSQL tests are skipped, except in CI, where that is a failure.
 */
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';

export const TEST_POSTGRES_URL = process.env.HYGIE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Why PostgreSQL tests cannot run here, or undefined when they can. Throws in CI. */
export async function postgresUnavailable(): Promise<string | undefined> {
  const probe = knexFactory({ client: 'pg', connection: TEST_POSTGRES_URL, pool: { min: 0, max: 1 } });
  try {
    await probe.raw('select 1');
    return undefined;
  } catch (error) {
    if (process.env.CI) throw new Error(`PostgreSQL is required in CI at ${TEST_POSTGRES_URL}: ${(error as Error).message}`);
    return `no PostgreSQL at ${TEST_POSTGRES_URL}: ${(error as Error).message}`;
  } finally {
    await probe.destroy();
  }
}

/** A new empty database on the test server; `drop()` removes it (connections included). */
export async function createTestPostgresDatabase(prefix = 'hygie_test'): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = knexFactory({ client: 'pg', connection: TEST_POSTGRES_URL, pool: { min: 0, max: 1 } });
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  try {
    await admin.raw(`create database ${name}`);
  } catch (error) {
    await admin.destroy();
    throw error;
  }
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.raw(`drop database if exists ${name} with (force)`);
      await admin.destroy();
    },
  };
}
