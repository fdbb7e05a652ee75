/**
 * Directory search figures (issue 5): a synthetic directory of national size in a fresh
 * SQLite database — BENCH_SEARCH_PROFESSIONALS professionals (default 1 000 000), about
 * 1.7 activities each in structures spread over the real communes by population, a
 * specialty for a third, an MSSanté address for half, 40 000 registry ORG boxes — then a
 * few representative searches, each run BENCH_SEARCH_RUNS times (default 20): ms per
 * query (p50 / p95) and what it found. Names follow a skewed distribution (the commonest
 * is "martin", as nationally, about 0.7 %). Commune centres are synthetic (spread over
 * mainland France, Brest's neighbourhood real) since no centres dataset ships with the
 * code: a radius query touches about as many communes as a real one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Knex } from 'knex';
import { openDatabase } from '../core/database.js';
import { directoryMigrations } from '../directory/migrations.js';
import { loadCommuneGazetteer } from '../directory/search/communes-source.js';
import { DirectorySearch } from '../directory/search/directory-search.js';
import type { GeoPoint } from '../directory/search/gazetteer.js';
import type { DirectoryQuery, SearchOptions } from '../directory/search/query.js';
import { TEST_CENTRES } from '../directory/search/test-fixture.js';
import { line, mib, summarise } from './stats.js';

const PROFESSIONALS = Number(process.env.BENCH_SEARCH_PROFESSIONALS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_SEARCH_RUNS ?? 20);

export async function benchSearch(): Promise<void> {
  const dataDir = process.env.BENCH_SEARCH_DIR ?? mkdtempSync(path.join(os.tmpdir(), 'hygie-bench-search-'));
  const db = await openDatabase({ url: '', dataDir, migrations: directoryMigrations });
  try {
    const gazetteer = await loadCommuneGazetteer({ centres: syntheticCentres((await loadCommuneGazetteer()).communes.map((c) => c.code)) });
    let started = performance.now();
    await loadDirectory(db, gazetteer.communes.filter((c) => c.kind === 'arrondissement' || (c.kind === 'commune' && !['75056', '69123', '13055'].includes(c.code)))
      .map((c) => ({ code: c.code, postalCode: c.postalCodes[0] ?? '00000', city: c.name.toUpperCase(), department: c.department, population: c.population ?? 0 })));
    const counts = await db.raw(`SELECT (SELECT COUNT(*) FROM professionals) p, (SELECT COUNT(*) FROM activities) a,
      (SELECT COUNT(*) FROM structures) s, (SELECT COUNT(*) FROM registry_addresses) r`) as Array<Record<string, number>>;
    const c = counts[0] as Record<string, number>;
    console.log(`Directory search — SQLite, ${c.p} professionals, ${c.a} activities, ${c.s} structures, ${c.r} registry addresses; Node ${process.version}`);
    console.log(line('synthetic directory loaded (s)', ((performance.now() - started) / 1000).toFixed(1), `heap ${mib(process.memoryUsage().heapUsed)}`));

    const search = new DirectorySearch({ db, gazetteer });
    started = performance.now();
    await search.search({ near: 'Brest, 1 km' });
    console.log(line('first radius search, communes loaded (ms)', (performance.now() - started).toFixed(0), 'COG package parsed once'));

    const cases: Array<[string, DirectoryQuery, SearchOptions?]> = [
      ['name "martin" (commonest)', { text: 'martin' }],
      ['name prefix "mart je"', { text: 'mart je' }],
      ['name "le gall" (two words)', { text: 'le gall' }],
      ['rare name prefix "kerbr"', { text: 'kerbr' }],
      ['name "martin" in Brest', { text: 'martin', city: 'Brest' }],
      ['médecins within 10 km of Brest', { profession: 'médecin', near: 'Brest, 10 km' }],
      ['everyone within 10 km of Brest, page 3', { near: 'Brest, 10 km' }, { page: 3 }],
      ['infirmiers in department 29', { profession: '60', department: '29' }],
      ['cardiologues in Paris', { specialty: 'cardiologie', city: 'Paris' }],
      ['everyone within 30 km of Lyon', { near: 'Lyon, 30 km' }],
      ['structure by FINESS', { structure: '290000017' }],
      ['professional by RPPS', { text: String(10_000_000_000 + Math.floor(PROFESSIONALS / 2)) }, { includeUnreachable: true }],
      ['name "martin", operator (hidden too)', { text: 'martin' }, { includeHidden: true, includeUnreachable: true }],
      ['médecins, whole country (broad)', { profession: '10' }],
    ];
    for (const [name, query, options] of cases) {
      const latencies: number[] = [];
      let total = 0;
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        total = (await search.search(query, options)).total;
        latencies.push(performance.now() - t0);
      }
      const s = summarise(latencies);
      console.log(line(`search: ${name} (ms)`, `p50 ${s.p50.toFixed(1)}`, `p95 ${s.p95.toFixed(1)}  ${total} found`));
    }
  } finally {
    await db.destroy();
    if (!process.env.BENCH_SEARCH_DIR) rmSync(dataDir, { recursive: true, force: true });
  }
}

interface BenchCommune {
  code: string;
  postalCode: string;
  city: string;
  department: string;
  population: number;
}

/** Deterministic pseudo-random positions over mainland France, the communes around Brest where they really are. */
function syntheticCentres(codes: readonly string[]): Map<string, GeoPoint> {
  let seed = 42;
  const next = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const centres = new Map<string, GeoPoint>();
  for (const code of codes) centres.set(code, { lat: 42.5 + next() * 8.5, lon: -4.5 + next() * 12.5 });
  for (const [code, centre] of TEST_CENTRES) centres.set(code, centre);
  return centres;
}

const SYLLABLES = ['ker', 'bra', 'mor', 'gal', 'le', 'du', 'pon', 'ber', 'nar', 'lau', 'ren', 'tho', 'mas', 'vin', 'cha', 'rou',
  'gue', 'dan', 'fer', 'mil', 'bou', 'let', 'ric', 'sal', 'ver', 'tal', 'nic', 'pau', 'quin', 'zel'];
const COMMON = ['martin', 'bernard', 'thomas', 'petit', 'robert', 'richard', 'durand', 'dubois', 'moreau', 'laurent', 'le gall', 'le bris'];
const FIRST = ['jean', 'marie', 'pierre', 'anne', 'michel', 'sophie', 'nicolas', 'julie', 'philippe', 'claire', 'francois', 'helene',
  'jacques', 'isabelle', 'paul', 'camille', 'louis', 'lea', 'thomas', 'maiwenn', 'yann', 'gwenaelle', 'jeanne', 'luc'];

/** Bulk SQL: tables of names and communes, then INSERT … SELECT over a recursive counter. */
async function loadDirectory(db: Knex, communes: readonly BenchCommune[]): Promise<void> {
  const lastNames = [...COMMON];
  for (let i = 0; lastNames.length < 20_000; i++) {
    const a = SYLLABLES[i % SYLLABLES.length] as string;
    const b = SYLLABLES[Math.floor(i / SYLLABLES.length) % SYLLABLES.length] as string;
    const c = SYLLABLES[Math.floor(i / SYLLABLES.length ** 2) % SYLLABLES.length] as string;
    lastNames.push(`${a}${b}${i >= SYLLABLES.length ** 2 ? c : ''}${i >= SYLLABLES.length ** 3 ? String(i) : ''}`);
  }
  await db.raw('PRAGMA synchronous = OFF');
  await db.raw('CREATE TEMP TABLE bench_last (i INTEGER PRIMARY KEY, name TEXT)');
  await db.raw('CREATE TEMP TABLE bench_first (i INTEGER PRIMARY KEY, name TEXT)');
  await db.raw('CREATE TEMP TABLE bench_communes (i INTEGER PRIMARY KEY, cum REAL, code TEXT, postal TEXT, city TEXT, dep TEXT)');
  await db.raw('CREATE INDEX temp.bench_communes_cum ON bench_communes (cum)');
  await db.batchInsert('bench_last', lastNames.map((name, i) => ({ i, name })), 400);
  await db.batchInsert('bench_first', FIRST.map((name, i) => ({ i, name })), 400);
  let cum = 0;
  const communeRows = communes.map((c, i) => ({ i, cum: (cum += Math.max(c.population, 50)), code: c.code, postal: c.postalCode, city: c.city, dep: c.department }));
  await db.batchInsert('bench_communes', communeRows, 150);
  const totalPopulation = cum;
  const structures = Math.round(PROFESSIONALS * 0.3);
  const counter = (n: number): string => `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${n})`;
  const rand = (modulo: number): string => `(abs(random()) % ${modulo})`;
  const now = "'2026-11-01T00:00:00.000Z'";

  await db.transaction(async (trx) => {
    await trx.raw(`INSERT INTO structures (technical_id, finess_site, name, search_name, street_number, street_name, postal_code, commune_code, city,
        department_code, source, updated_at)
      ${counter(structures)}
      SELECT 'R' || n.i, CASE WHEN n.i = 1 THEN '290000017' WHEN n.i % 10 = 0 THEN printf('%09d', n.i) END,
        'Cabinet ' || n.i, 'cabinet ' || n.i, '1', 'rue de la gare', c.postal, c.code, c.city, c.dep, 'registry', ${now}
      FROM n JOIN bench_communes c ON c.i = (SELECT i FROM bench_communes WHERE cum > ${rand(1_000_000_000)} * ${totalPopulation / 1e9} + 0 * n.i ORDER BY cum LIMIT 1)`);
    await trx.raw(`INSERT INTO professionals (national_id, id_type, identifier, last_name, first_name, profession_code, profession, search_name, source, updated_at)
      ${counter(PROFESSIONALS)}, draws AS MATERIALIZED (SELECT n.i, ${rand(1_000_000)} / 1000000.0 AS u, ${rand(FIRST.length)} AS f, ${rand(100)} AS p FROM n),
      picked AS MATERIALIZED (
        SELECT d.i, (SELECT name FROM bench_last WHERE i = CAST(20000 * d.u * d.u AS INTEGER)) AS last,
          (SELECT name FROM bench_first WHERE i = d.f) AS first, d.p FROM draws d)
      SELECT '8' || (10000000000 + i), '8', CAST(10000000000 + i AS TEXT), upper(last), first,
        CASE WHEN p < 25 THEN '10' WHEN p < 60 THEN '60' WHEN p < 68 THEN '70' WHEN p < 75 THEN '21' WHEN p < 79 THEN '40' WHEN p < 81 THEN '50' ELSE '9' || (p % 9) END,
        CASE WHEN p < 25 THEN 'Médecin' WHEN p < 60 THEN 'Infirmier' WHEN p < 68 THEN 'Masseur-Kinésithérapeute' WHEN p < 75 THEN 'Pharmacien'
          WHEN p < 79 THEN 'Chirurgien-Dentiste' WHEN p < 81 THEN 'Sage-Femme' ELSE 'Profession ' || (p % 9) END,
        last || ' ' || first, 'registry', ${now}
      FROM picked`);
    await trx.raw(`INSERT INTO activities (activity_key, professional_id, structure_id, role, updated_at)
      SELECT 'a' || id, id, 1 + ${rand(structures)}, 'Titulaire', ${now} FROM professionals`);
    await trx.raw(`INSERT INTO activities (activity_key, professional_id, structure_id, role, updated_at)
      SELECT 'b' || id, id, 1 + ${rand(structures)}, 'Remplaçant', ${now} FROM professionals WHERE ${rand(10)} < 7`);
    await trx.raw(`INSERT INTO professional_skills (professional_id, type_code, type_label, code, label, updated_at)
      SELECT id, 'S', 'Spécialité ordinale', 'SM' || printf('%02d', ${rand(40)}), NULL, ${now} FROM professionals WHERE profession_code = '10' AND ${rand(3)} < 2`);
    await trx.raw(`UPDATE professional_skills SET label = CASE code WHEN 'SM04' THEN 'Cardiologie et maladies vasculaires' WHEN 'SM54' THEN 'Médecine générale'
      ELSE 'Spécialité ' || code END`);
    await trx.raw(`INSERT INTO registry_addresses (address, network, box_type, national_id, professional_id, last_name, first_name, search_name, source, updated_at)
      SELECT lower(replace(first_name || '.' || last_name, ' ', '-')) || '.' || id || '@test.mssante.fr', 'mssante', 'PER', national_id, id, last_name, first_name,
        search_name, 'mssante-extraction', ${now} FROM professionals WHERE ${rand(100)} < 55`);
    await trx.raw(`INSERT INTO registry_addresses (address, network, box_type, service, structure_name, search_name, postal_code, city, department_code, source, updated_at)
      ${counter(40_000)}
      SELECT 'service' || n.i || '@etab.mssante.fr', 'mssante', 'ORG', 'Service ' || n.i, 'Établissement', 'service ' || n.i || ' etablissement',
        c.postal, c.city, c.dep, 'mssante-extraction', ${now}
      FROM n JOIN bench_communes c ON c.i = ${rand(communes.length)}`);
  });
  // What an import leaves: the WAL folded into the database; the planner's statistics only if the importer gathers them.
  await db.raw('PRAGMA wal_checkpoint(TRUNCATE)');
  if (process.env.BENCH_SEARCH_ANALYZE === '1') await db.raw('ANALYZE');
}
