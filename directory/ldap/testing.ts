/**
 * Tests only: a small directory on a real database (SQLite in a temporary folder, or a
 * fresh PostgreSQL database), filled the way the application fills it — registry rows
 * inserted as the importer writes them, hosted boxes through MailboxService and
 * PublicationService — with one of each case the LDAP service must tell apart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { Knex } from 'knex';
import { AuditTrail, auditMigrations } from '../../core/audit.js';
import { ManualClock } from '../../core/clock.js';
import { DEFAULT_CONFIG } from '../../core/config.js';
import { openDatabase } from '../../core/database.js';
import { createTestPostgresDatabase, postgresUnavailable } from '../../core/testing-postgres.js';
import { MailboxService } from '../mailbox-service.js';
import { directoryMigrations } from '../migrations.js';
import { PublicationService } from '../publication.js';
import type { MailboxSummary } from '../types.js';

export type Engine = 'sqlite' | 'postgres';
export const ENGINES: readonly Engine[] = ['sqlite', 'postgres'];

type FixtureTest = (name: string, body: (fixture: LdapFixture, t: TestContext) => Promise<void>) => void;

/**
 * Declares `body`'s tests once per engine, on one fixture per engine (tests must leave
 * it as they found it). Without a PostgreSQL server its half is skipped, except in CI.
 */
export function describeOnEachEngine(name: string, body: (fixtureTest: FixtureTest, engine: Engine) => void,
  open: (engine: Engine) => Promise<LdapFixture> = createLdapFixture): void {
  for (const engine of ENGINES) {
    describe(`${name} [${engine}]`, () => {
      let fixture: LdapFixture | undefined;
      let unavailable: string | undefined;
      before(async () => {
        unavailable = engine === 'postgres' ? await postgresUnavailable() : undefined;
        if (!unavailable) fixture = await open(engine);
      });
      after(async () => { await fixture?.close(); });
      body((testName, testBody) => {
        test(testName, async (t) => {
          if (!fixture) return t.skip(unavailable);
          await testBody(fixture, t);
        });
      }, engine);
    });
  }
}

export const BASE = DEFAULT_CONFIG.ldap.baseDn;
export const PEOPLE = `ou=people,${BASE}`;
export const STRUCTURES = `ou=structures,${BASE}`;
export const MAILBOXES = `ou=mailboxes,${BASE}`;
export const PASSWORD = 'correct horse battery';
const UPDATED_AT = '2026-11-01T00:00:00.000Z';
const VANISHED_AT = '2026-11-10T00:00:00.000Z';

export interface LdapFixture {
  engine: Engine;
  db: Knex;
  clock: ManualClock;
  audit: AuditTrail;
  mailboxes: MailboxService;
  publication: PublicationService;
  /** Dr Maïwenn LE GALL: a hosted box linked to her, and an MSSanté address from the extraction. */
  legall: { dn: string; hosted: MailboxSummary; extractionAddress: string };
  /** Hélène DUPONT: registry only, one extraction address. */
  dupont: { dn: string; address: string };
  /** Léa DUPUIS: ADELI, registry only, no address at all. */
  dupuis: { dn: string };
  /** Jean ANCIEN: gone from the registry, with an address that vanished too. */
  ancien: { dn: string; address: string };
  /** Yann KERHERVE: his hosted box is unpublished, his extraction address stays. */
  kerherve: { dn: string; hosted: MailboxSummary; extractionAddress: string };
  /** Paul Martin: a hosted box, no professional (a social worker). */
  worker: { dn: string; box: MailboxSummary };
  /** Anne Cachée: a hosted box of her own, unpublished. */
  hidden: { dn: string; box: MailboxSummary };
  /** Cardiologie of the CHU: a hosted organisational box. */
  cardiology: { dn: string; box: MailboxSummary };
  /** Radiologie of the CH de Quimper: an organisational box from the extraction. */
  radiology: { dn: string; address: string };
  /** A personal box from the extraction whose professional the registry does not hold. */
  stranger: { dn: string; address: string };
  chu: { dn: string; technicalId: string };
  close(): Promise<void>;
}

export async function createLdapFixture(engine: Engine): Promise<LdapFixture> {
  const { db, cleanup } = await openTestDatabase(engine);
  const clock = new ManualClock(new Date('2026-11-24T09:00:00Z'));
  const audit = new AuditTrail(db, clock);
  const mailboxes = new MailboxService({ db, clock, audit, domains: DEFAULT_CONFIG.operator.domains, auth: DEFAULT_CONFIG.auth });
  const publication = new PublicationService({ db, clock, audit, mailboxes });
  const actor = 'operator:test';

  const structure = (technicalId: string, fields: Record<string, unknown>) =>
    insertRow(db, 'structures', { technical_id: technicalId, source: 'registry', updated_at: UPDATED_AT, ...fields });
  const chuId = await structure('R10100000012345', {
    finess_site: '290000017', finess_legal: '290000009', name: 'CHU de Brest', search_name: 'chu de brest',
    street_number: '2', street_type: 'avenue', street_name: 'Foch', postal_code: '29200', city: 'Brest', phone: '0298223333',
  });
  const portId = await structure('R10100000099999', {
    siret: '12345678900017', siren: '123456789', name: 'Cabinet médical du Port', search_name: 'cabinet medical du port',
    street_number: '5', street_type: 'quai', street_name: 'de la Douane', postal_code: '29200', city: 'Brest', fax: '0298000001',
  });

  const professional = (fields: Record<string, unknown>) =>
    insertRow(db, 'professionals', { source: 'registry', updated_at: UPDATED_AT, ...fields });
  const legallId = await professional({
    national_id: '810003456786', id_type: '8', identifier: '10003456786', exercise_civility: 'Docteur', civility: 'Madame',
    last_name: 'LE GALL', first_name: 'Maïwenn', profession: 'Médecin', profession_code: '10', search_name: 'le gall maiwenn',
  });
  const dupontId = await professional({
    national_id: '810101010105', id_type: '8', identifier: '10101010105', civility: 'Madame',
    last_name: 'DUPONT', first_name: 'Hélène', profession: 'Infirmier', profession_code: '60', search_name: 'dupont helene',
  });
  await professional({
    national_id: '0291234567', id_type: '0', identifier: '291234567', last_name: 'DUPUIS', first_name: 'Léa',
    profession: 'Masseur-kinésithérapeute', profession_code: '70', search_name: 'dupuis lea',
  });
  const ancienId = await professional({
    national_id: '810000000018', id_type: '8', identifier: '10000000018', last_name: 'ANCIEN', first_name: 'Jean',
    profession: 'Médecin', search_name: 'ancien jean', vanished_at: VANISHED_AT,
  });
  const kerherveId = await professional({
    national_id: '899700218896', id_type: '8', identifier: '99700218896', exercise_civility: 'Docteur', last_name: 'KERHERVÉ',
    first_name: 'Yann', profession: 'Médecin', search_name: 'kerherve yann',
  });

  const activity = (professionalId: number, structureId: number, key: string, fields: Record<string, unknown> = {}) =>
    insertRow(db, 'activities', { activity_key: key, professional_id: professionalId, structure_id: structureId, updated_at: UPDATED_AT, ...fields });
  await activity(legallId, chuId, 'a1', { role: 'Médecin salarié' });
  await activity(legallId, portId, 'a2', { vanished_at: VANISHED_AT });
  await activity(dupontId, portId, 'a3');
  await insertRow(db, 'professional_skills', { professional_id: legallId, type_code: 'S', code: 'SM04', label: 'Cardiologie et maladies vasculaires', updated_at: UPDATED_AT });

  const registryAddress = (address: string, fields: Record<string, unknown>) =>
    insertRow(db, 'registry_addresses', { address, network: 'mssante', source: 'mssante-extraction', updated_at: UPDATED_AT, ...fields });
  const legallExtraction = 'maiwenn.legall@chu-brest.mssante.fr';
  await registryAddress(legallExtraction, { box_type: 'PER', national_id: '810003456786', professional_id: legallId, last_name: 'LE GALL', first_name: 'Maïwenn' });
  const dupontAddress = 'helene.dupont@ch-quimper.mssante.fr';
  await registryAddress(dupontAddress, { box_type: 'PER', national_id: '810101010105', professional_id: dupontId, last_name: 'DUPONT', first_name: 'Hélène' });
  const ancienAddress = 'jean.ancien@medecin.mssante.fr';
  await registryAddress(ancienAddress, { box_type: 'PER', national_id: '810000000018', professional_id: ancienId, vanished_at: VANISHED_AT });
  const kerherveExtraction = 'yann.kerherve@chu-brest.mssante.fr';
  await registryAddress(kerherveExtraction, { box_type: 'PER', national_id: '899700218896', professional_id: kerherveId });
  const radiology = 'secretariat.radiologie@ch-quimper.mssante.fr';
  await registryAddress(radiology, {
    box_type: 'ORG', service: 'Secrétariat de radiologie', structure_name: 'CH de Quimper', postal_code: '29000', city: 'Quimper',
    search_name: 'secretariat de radiologie',
  });
  const stranger = 'jean.inconnu@cabinet.mssante.fr';
  await registryAddress(stranger, { box_type: 'PER', national_id: '810999999991', last_name: 'INCONNU', first_name: 'Jean', profession: 'Pharmacien' });

  const legall = await mailboxes.createPersonalMailbox({ professional: '10003456786', password: PASSWORD, actor });
  // The extraction also lists the hosted MSSanté address: the hosted box wins (one entry, one value).
  await registryAddress(legall.addresses.find((a) => a.network === 'mssante')!.address, { box_type: 'PER', national_id: '810003456786', professional_id: legallId });
  const kerherve = await mailboxes.createPersonalMailbox({ professional: '99700218896', password: PASSWORD, actor });
  await publication.unpublish(kerherve.id, { actor, reason: 'test: unpublished box of a professional' });
  const worker = await mailboxes.createPersonalMailbox({ firstName: 'Paul', lastName: 'Martin', profession: 'Assistant de service social', password: PASSWORD, actor });
  const hidden = await mailboxes.createPersonalMailbox({ firstName: 'Anne', lastName: 'Cachée', password: PASSWORD, actor });
  await publication.unpublish(hidden.id, { actor, reason: 'test: unlisted' });
  const cardiology = await mailboxes.createServiceMailbox({
    type: 'ORG', localPart: 'cardiologie.chu-brest', displayName: 'Cardiologie — CHU de Brest', description: 'Secrétariat de cardiologie',
    structure: '290000017', responsible: '810003456786', actor,
  });

  return {
    engine, db, clock, audit, mailboxes, publication,
    legall: { dn: `uid=810003456786,${PEOPLE}`, hosted: legall, extractionAddress: legallExtraction },
    dupont: { dn: `uid=810101010105,${PEOPLE}`, address: dupontAddress },
    dupuis: { dn: `uid=0291234567,${PEOPLE}` },
    ancien: { dn: `uid=810000000018,${PEOPLE}`, address: ancienAddress },
    kerherve: { dn: `uid=899700218896,${PEOPLE}`, hosted: kerherve, extractionAddress: kerherveExtraction },
    worker: { dn: `uid=box-${worker.id},${PEOPLE}`, box: worker },
    hidden: { dn: `uid=box-${hidden.id},${PEOPLE}`, box: hidden },
    cardiology: { dn: `uid=box-${cardiology.id},${MAILBOXES}`, box: cardiology },
    radiology: { dn: `mail=${radiology},${MAILBOXES}`, address: radiology },
    stranger: { dn: `mail=${stranger},${MAILBOXES}`, address: stranger },
    chu: { dn: `uid=R10100000012345,${STRUCTURES}`, technicalId: 'R10100000012345' },
    async close() {
      await db.destroy();
      await cleanup();
    },
  };
}

/** An empty, migrated directory database (with the LDAP indexes) on the given engine. */
export async function openTestDatabase(engine: Engine): Promise<{ db: Knex; cleanup(): Promise<void> }> {
  const migrations = [...auditMigrations, ...directoryMigrations]; // directoryMigrations holds ldapMigrations
  if (engine === 'postgres') {
    const database = await createTestPostgresDatabase('hygie_ldap');
    const db = await openDatabase({ url: database.url, dataDir: '', migrations });
    return { db, cleanup: () => database.drop() };
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hygie-ldap-'));
  const db = await openDatabase({ url: '', dataDir, migrations });
  return { db, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
}

async function insertRow(db: Knex, table: string, row: Record<string, unknown>): Promise<number> {
  const [inserted] = await db(table).insert(row).returning('id');
  return typeof inserted === 'object' ? Number((inserted as { id: number }).id) : Number(inserted);
}
