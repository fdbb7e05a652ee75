/**
 * Tests only: the registry import's behaviour, run on SQLite (import.test.ts) and on
 * PostgreSQL (import-postgres.test.ts) alike. Every test imports the shipped samples (or
 * variants made from them) into a fresh database, with tiny write batches so that rows
 * repeated across batches are exercised too.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ManualClock } from '../../core/clock.js';
import { isHygieError } from '../../core/errors.js';
import type { ImportResult } from './importer.js';
import { formatImportResult } from './report.js';
import { RegistryService } from './service.js';
import { openTestRegistry, samplePath, writeZip, type TestRegistry } from './testing.js';

const PA = samplePath('PS_LibreAcces_Personne_activite_202611240830.txt');
const PA_2018 = samplePath('PS_LibreAcces_Personne_activite_201807300827.txt');
const PA_BAD = samplePath('PS_LibreAcces_Personne_activite_bad.txt');
const SF = samplePath('PS_LibreAcces_SavoirFaire_202611240830.txt');
const SF_BAD = samplePath('PS_LibreAcces_SavoirFaire_bad.txt');
const DIPL = samplePath('PS_LibreAcces_Dipl_AutExerc_202611240830.txt');
const MSS = samplePath('Extraction_Correspondance_MSSante_202611240600.txt');
const MSS_BAD = samplePath('Extraction_Correspondance_MSSante_bad.txt');
const REGIONAL = samplePath('adresses_regionales_202611240900.csv');

export interface SuiteOptions {
  /** '' for SQLite; for PostgreSQL, a fresh database per test. */
  database(): Promise<{ url: string; drop(): Promise<void> }>;
  /** Why the suite cannot run here, if it cannot. */
  skip?: string | undefined;
}

type Row = Record<string, unknown>;

export function defineImportTests(engine: string, options: SuiteOptions): void {
  const it = (name: string, body: (r: TestRegistry, clock: ManualClock) => Promise<void>): void => {
    test(`${engine}: ${name}`, { skip: options.skip ?? false }, async () => {
      const clock = new ManualClock(new Date('2026-11-24T09:00:00Z'));
      const database = await options.database();
      const registry = await openTestRegistry(clock, { batchLines: 3 }, database.url);
      try {
        await body(registry, clock);
      } finally {
        await registry.close();
        await database.drop();
      }
    });
  };

  const importOne = async (r: TestRegistry, clock: ManualClock, file: string, extra: { kind?: Parameters<TestRegistry['service']['importFiles']>[1]['kind'] } = {}): Promise<ImportResult> => {
    clock.advance(60_000);
    const [result] = await r.service.importFiles([file], { actor: 'operator:test', ...extra });
    assert.ok(result);
    return result;
  };
  const count = async (r: TestRegistry, table: string, where: Row = {}): Promise<number> =>
    Number(((await r.db(table).where(where).count({ n: '*' }))[0] as { n: number | string }).n);
  const professional = async (r: TestRegistry, nationalId: string): Promise<Row> => await r.db('professionals').where({ national_id: nationalId }).first() as Row;

  it('the Personne_activite sample fills professionals, structures, activities and skills, accents and all', async (r, clock) => {
    const result = await importOne(r, clock, PA);
    assert.equal(result.status, 'done', result.error ?? '');
    assert.equal(result.lines, 11);
    assert.equal(result.accepted, 11);
    assert.equal(result.rejected, 0);
    assert.deepEqual(Object.fromEntries(Object.entries(result.tables).map(([t, f]) => [t, f.added])),
      { professionals: 8, structures: 8, activities: 10, professional_skills: 4 });
    assert.equal(result.extractionDate, '202611240830');

    const helene = await professional(r, '810003456786');
    assert.equal(helene.id_type, '8');
    assert.equal(helene.identifier, '10003456786');
    assert.equal(helene.last_name, 'LE GALL-QUÉRÉ');
    assert.equal(helene.first_name, 'Hélène');
    assert.equal(helene.search_name, 'le gall quere helene');
    assert.equal(helene.exercise_civility, 'Docteur');
    assert.equal(helene.civility, 'Madame');
    assert.equal(helene.profession_code, '10');
    assert.equal(helene.category, 'Civil');
    assert.equal(helene.source, 'registry');
    assert.equal(helene.import_id, result.id);
    const nurse = await professional(r, '0296012345');
    assert.equal(nurse.id_type, '0');
    assert.equal(nurse.last_name, 'NOËL');

    const chu = await r.db('structures').where({ technical_id: 'F290099991' }).first() as Row;
    assert.equal(chu.finess_site, '290099991');
    assert.equal(chu.finess_legal, '290099983');
    assert.equal(chu.trade_name, 'CHU de Brest');
    assert.equal(chu.address_recipient, 'Pôle cœur-poumons');
    assert.equal(chu.street_number, '2');
    assert.equal(chu.street_type, 'Avenue');
    assert.equal(chu.street_name, 'Foch');
    assert.equal(chu.address_mention, 'BP 824');
    assert.equal(chu.cedex, '29609 BREST CEDEX');
    assert.equal(chu.postal_code, '29200');
    assert.equal(chu.commune_code, '29019');
    assert.equal(chu.city, 'Brest');
    assert.equal(chu.email, 'contact@chu-brest.example');
    assert.equal(chu.department_code, '29');
    assert.equal(chu.department, 'Finistère');
    assert.equal((await r.db('structures').where({ technical_id: 'F290099975' }).first() as Row).trade_name, 'Pharmacie de l’Élorn');

    const activities = await r.db('activities').where({ professional_id: helene.id }).orderBy('mode_code') as Row[];
    assert.equal(activities.length, 2);
    assert.match(activities[0]?.activity_key as string, /^810003456786-[\w-]{22}$/);
    assert.deepEqual(activities.map((a) => [a.mode_code, a.role_code, a.genre, a.registration_authority]),
      [['L', 'FON-01', 'Activité standard', 'CNOM/CNOM/CNOM'], ['S', 'FON-12', 'Activité standard', 'CNOM/CNOM/CNOM']]);
    const pharmacist = await professional(r, '810004567896');
    assert.equal((await r.db('activities').where({ professional_id: pharmacist.id }).first() as Row).pharmacy_section_code, 'A');
    // A professional registered without activity has no activity row.
    assert.equal(await count(r, 'activities', { professional_id: (await professional(r, '810008901232')).id }), 0);
    const skills = await r.db('professional_skills').where({ professional_id: helene.id }) as Row[];
    assert.deepEqual(skills.map((s) => [s.type_code, s.code, s.label]), [['S', 'SM54', 'Médecine générale']]);
  });

  it('the 48-column file of 2018 imports, the columns it lacks left empty', async (r, clock) => {
    const result = await importOne(r, clock, PA_2018);
    assert.equal(result.status, 'done', result.error ?? '');
    assert.equal(result.accepted, 5);
    const activity = await r.db('activities').whereNotNull('mode_code').first() as Row;
    assert.equal(activity.role_code, null);
    assert.equal(activity.sector_code, null);
    assert.equal(activity.registration_authority, 'CNOM/CNOM/CNOM');
  });

  it('re-importing changes nothing; a new extraction updates, adds and marks vanished; what comes back is restored', async (r, clock) => {
    const first = await importOne(r, clock, PA);
    const again = await importOne(r, clock, PA);
    assert.deepEqual([again.added, again.updated, again.vanished], [0, 0, 0]);
    assert.equal(again.tables.professionals?.unchanged, 8);
    assert.equal(await count(r, 'professionals'), 8);

    // The next extraction: Jérôme Ménez gone, Hélène renamed, a new practitioner.
    const text = readFileSync(PA, 'utf8').split('\r\n');
    const next = text.filter((line) => !line.includes('|10007890121|'))
      .map((line) => line.replace('|LE GALL-QUÉRÉ|Hélène|', '|LE GALL|Hélène|'));
    const erwan = (text[1] as string).replaceAll('10003456786', '10010123452').replace('|LE GALL-QUÉRÉ|Hélène|', '|TANGUY|Erwan|');
    next.splice(2, 0, erwan);
    const file = path.join(r.dir, 'PS_LibreAcces_Personne_activite_202612010830.txt');
    writeFileSync(file, next.join('\r\n'));
    const changed = await importOne(r, clock, file);
    assert.equal(changed.status, 'done', changed.error ?? '');
    assert.deepEqual(changed.tables.professionals, { added: 1, updated: 1, unchanged: 6, vanished: 1 });
    assert.deepEqual(changed.tables.activities, { added: 1, updated: 0, unchanged: 8, vanished: 2 });
    assert.equal(changed.tables.structures?.vanished, 1, 'the clinic only Jérôme Ménez practised in');
    const jerome = await professional(r, '810007890121');
    assert.ok(jerome.vanished_at);
    assert.equal(jerome.import_id, first.id + 1, 'still the last import that saw him');
    assert.equal((await professional(r, '810003456786')).search_name, 'le gall helene');
    assert.equal(await count(r, 'professionals'), 9, 'never duplicated');

    const back = await importOne(r, clock, PA);
    assert.deepEqual(back.tables.professionals, { added: 0, updated: 2, unchanged: 6, vanished: 1 });
    assert.equal((await professional(r, '810007890121')).vanished_at, null);
    assert.ok((await professional(r, '810010123452')).vanished_at);
    assert.equal(await count(r, 'activities', { vanished_at: null }), 10);
  });

  it('bad lines are rejected with their line number and reason; the good ones land', async (r, clock) => {
    const result = await importOne(r, clock, PA_BAD);
    assert.equal(result.status, 'done', result.error ?? '');
    assert.equal(result.lines, 8);
    assert.equal(result.accepted, 2);
    assert.equal(result.rejected, 6);
    assert.deepEqual(result.firstRejections.map((j) => j.line), [3, 4, 5, 6, 7, 8]);
    const reasons = result.firstRejections.map((j) => j.reason);
    assert.match(reasons[0] as string, /RPPS « 10010123453 » invalide : clé de contrôle fausse/);
    assert.match(reasons[1] as string, /40 colonnes au lieu de 56/);
    assert.match(reasons[2] as string, /type d’identifiant « 3 »/);
    assert.match(reasons[3] as string, /identification nationale « 810011234564 »/);
    assert.match(reasons[4] as string, /champ obligatoire vide : « Nom d'exercice »/);
    assert.match(reasons[5] as string, /pas en UTF-8/);
    assert.deepEqual(result.rejectionsByCode, { 'rpps': 1, 'column-count': 1, 'id-type': 1, 'national-id': 1, 'missing': 1, 'encoding': 1 });
    assert.ok(await professional(r, '810010123452'), 'the good line before the bad ones');
    assert.ok(await professional(r, '0566054321'), 'the good line after them');
    assert.equal(await count(r, 'professionals'), 2);
    const stored = await r.service.rejections(result.id);
    assert.equal(stored.length, 6);
    assert.match(stored[5]?.excerpt ?? '', /Ga.+lle/, 'the excerpt shows the line as read');
    const history = await r.service.getImport(result.id);
    assert.deepEqual([history.lines, history.accepted, history.rejected, history.status], [8, 2, 6, 'done']);
  });

  it('rejection reasons can be in English', async (r, clock) => {
    const english = await openTestRegistry(clock, { language: 'en' }, '');
    try {
      const [result] = await english.service.importFiles([PA_BAD], { actor: 'operator:test' });
      assert.match(result?.firstRejections[0]?.reason ?? '', /invalid RPPS "10010123453": wrong check digit/);
    } finally {
      await english.close();
    }
    assert.ok(r);
  });

  it('a Windows-1252 file is refused as a whole, saying so, and changes nothing', async (r, clock) => {
    await importOne(r, clock, PA);
    const latin1 = path.join(r.dir, 'PS_LibreAcces_Personne_activite_202612010830.txt');
    writeFileSync(latin1, Buffer.from(readFileSync(PA_2018, 'utf8').replaceAll('’', '\''), 'latin1'));
    const result = await importOne(r, clock, latin1);
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /n’est pas en UTF-8.*Windows-1252/);
    assert.equal(await count(r, 'professionals', { vanished_at: null }), 8, 'nothing marked vanished');
    assert.equal((await r.service.getImport(result.id)).status, 'failed');

    // An ASCII header hides the encoding until the first accented line: still refused as a whole.
    const csv = path.join(r.dir, 'adresses_latin1.csv');
    writeFileSync(csv, Buffer.from(readFileSync(REGIONAL, 'utf8'), 'latin1'));
    const regional = await importOne(r, clock, csv);
    assert.equal(regional.status, 'failed');
    assert.match(regional.error ?? '', /la ligne 2 ne l’est pas/);
    assert.equal(await count(r, 'registry_addresses'), 0);
  });

  it('a professional whose line is refused keeps what the previous extraction said, activities and structure included', async (r, clock) => {
    await importOne(r, clock, PA);
    // The next extraction: Jérôme Ménez's two lines lost their exercise name (refused, identity
    // intact); Loïc Ollivier's line lost columns (refused, identity still readable); a line
    // with a wrong RPPS key names nobody; Armelle Cozic is gone.
    const lines = readFileSync(PA, 'utf8').split('\r\n').filter((line) => !line.includes('|10008901232|')).map((line) => {
      if (line.includes('|10007890121|')) return line.replace('|MÉNEZ|Jérôme|', '||Jérôme|');
      if (line.includes('|566054321|')) return line.split('|').slice(0, 40).join('|');
      return line;
    });
    lines.push((lines[1] as string).replaceAll('10003456786', '10003456787'));
    const file = path.join(r.dir, 'PS_LibreAcces_Personne_activite_202612010830.txt');
    writeFileSync(file, lines.join('\r\n'));
    const result = await importOne(r, clock, file);
    assert.equal(result.status, 'done', result.error ?? '');
    assert.deepEqual(result.rejectionsByCode, { missing: 2, 'column-count': 1, rpps: 1 });
    assert.equal(result.notes.keptDespiteRefusal, 2);
    assert.equal((await professional(r, '810007890121')).vanished_at, null, 'refused, still in the extraction');
    assert.equal((await professional(r, '0566054321')).vanished_at, null, 'a line cut short still names its professional');
    assert.ok((await professional(r, '810008901232')).vanished_at, 'absent from the extraction: vanished');
    assert.equal(result.tables.professionals?.vanished, 1);
    const jerome = (await professional(r, '810007890121')).id;
    const activities = await r.db('activities').where({ professional_id: jerome });
    assert.equal(activities.length, 2);
    assert.ok(activities.every((a: Row) => a.vanished_at === null));
    const structures = await r.db('structures').whereIn('id', activities.map((a: Row) => a.structure_id as number));
    assert.ok(structures.length > 0 && structures.every((st: Row) => st.vanished_at === null), 'the clinic only he practised in stays');
    assert.match(formatImportResult(result), /gardés \(ligne rejetée\)\s+2/);
  });

  it('a file that would make most of the directory vanish is refused, nothing applied, unless the operator allows it', async (r, clock) => {
    await importOne(r, clock, PA);
    // A download cut short: the header and the first three lines (two professionals of eight).
    const truncated = path.join(r.dir, 'PS_LibreAcces_Personne_activite_202612010830.txt');
    writeFileSync(truncated, readFileSync(PA, 'utf8').split('\r\n').slice(0, 4).join('\r\n'));
    const guarded = new RegistryService({ db: r.db, clock, audit: r.audit, vanishGuard: { maxPercent: 50, alwaysAccepted: 2 } });
    clock.advance(60_000);
    const [refused] = await guarded.importFiles([truncated], { actor: 'operator:test' });
    assert.equal(refused?.status, 'failed');
    assert.match(refused?.error ?? '', /marquerait disparus 6 professionnels sur 8 \(75 %\), plus que les 50 % admis.*Rien n’a été appliqué.*--allow-vanish/);
    assert.equal(await count(r, 'professionals', { vanished_at: null }), 8, 'nothing marked vanished');
    assert.equal(await count(r, 'activities', { vanished_at: null }), 10);
    assert.equal((await r.service.getImport(refused?.id as number)).status, 'failed');
    const audited = await r.audit.list({ action: 'registry.import' });
    assert.equal(audited[0]?.outcome, 'failure');

    // Below the guard's floor, or checked by the operator, the same file goes through.
    const lenient = new RegistryService({ db: r.db, clock, audit: r.audit, vanishGuard: { maxPercent: 50, alwaysAccepted: 7 } });
    clock.advance(60_000);
    const [floor] = await lenient.importFiles([truncated], { actor: 'operator:test' });
    assert.equal(floor?.status, 'done', floor?.error ?? '');
    assert.equal(floor?.tables.professionals?.vanished, 6);
    await importOne(r, clock, PA);
    clock.advance(60_000);
    const [allowed] = await guarded.importFiles([truncated], { actor: 'operator:test', allowVanish: true });
    assert.equal(allowed?.status, 'done', allowed?.error ?? '');
    assert.equal(await count(r, 'professionals', { vanished_at: null }), 2);
  });

  it('a file that is not of the kind announced, or lacks columns, fails before anything is written', async (r, clock) => {
    const wrongKind = await importOne(r, clock, MSS, { kind: 'personne-activite' });
    assert.equal(wrongKind.status, 'failed');
    assert.match(wrongKind.error ?? '', /n’est pas un fichier PS_LibreAcces_Personne_activite : son en-tête est celui d’un fichier Extraction_Correspondance_MSSante/);
    const lines = readFileSync(PA, 'utf8').split('\r\n');
    const truncated = path.join(r.dir, 'PS_LibreAcces_Personne_activite_202612010830.txt');
    writeFileSync(truncated, [(lines[0] as string).replace('Identifiant technique de la structure', 'Identifiant'), ...lines.slice(1)].join('\n'));
    const missing = await importOne(r, clock, truncated);
    assert.equal(missing.status, 'failed');
    assert.match(missing.error ?? '', /colonnes absentes de l’en-tête : Identifiant technique de la structure/);
    const empty = path.join(r.dir, 'PS_LibreAcces_SavoirFaire_202612010830.txt');
    writeFileSync(empty, '');
    assert.match((await importOne(r, clock, empty)).error ?? '', /est vide/);
    assert.equal(await count(r, 'professionals'), 0);
    await assert.rejects(r.service.importFiles([path.join(r.dir, 'absent.txt')], { actor: 't' }), (e: unknown) => isHygieError(e, 'INVALID_INPUT') && /no such file/.test(e.message));
    await assert.rejects(r.service.importFiles([path.join(r.dir, 'notes.txt')], { actor: 't' }), (e: unknown) => isHygieError(e, 'INVALID_INPUT'));
  });

  it('archives as downloaded: the PS_LibreAcces zip imports its three files in order, the MSSanté zip its one', async (r, clock) => {
    const zip = path.join(r.dir, 'PS_LibreAcces_202611240830.zip');
    writeZip(zip, [SF, DIPL, PA].map((file) => ({ name: path.basename(file), data: readFileSync(file) })), { dataDescriptor: true });
    clock.advance(60_000);
    const results = await r.service.importFiles([zip], { actor: 'operator:test' });
    assert.deepEqual(results.map((x) => [x.kind, x.status, x.rejected]), [['personne-activite', 'done', 0], ['savoir-faire', 'done', 0], ['diplomes', 'done', 0]]);
    assert.equal(results[0]?.location, `${zip}:${path.basename(PA)}`);
    assert.equal(await count(r, 'professional_diplomas'), 6);

    const mss = path.join(r.dir, 'Extraction_Correspondance_MSSante_202611240600.zip');
    writeZip(mss, [{ name: path.basename(MSS), data: readFileSync(MSS) }], { deflate: false });
    const [addresses] = await r.service.importFiles([mss], { actor: 'operator:test' });
    assert.equal(addresses?.status, 'done');
    assert.equal(await count(r, 'registry_addresses'), 8);
  });

  it('a damaged archive fails the import and leaves the previous data as it was', async (r, clock) => {
    await importOne(r, clock, PA);
    const fewer = readFileSync(PA, 'utf8').split('\r\n').filter((line) => !line.includes('|10007890121|')).join('\r\n');
    const zip = path.join(r.dir, 'PS_LibreAcces_202612010830.zip');
    writeZip(zip, [{ name: 'PS_LibreAcces_Personne_activite_202612010830.txt', data: Buffer.from(fewer.replace('LE GALL-QUÉRÉ', 'DURAND')) }]);
    // Wrong CRC in the central directory: every line is read and written before the check fails.
    const bytes = readFileSync(zip);
    const central = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bytes.writeUInt32LE((bytes.readUInt32LE(central + 16) ^ 1) >>> 0, central + 16);
    writeFileSync(zip, bytes);
    const [result] = await r.service.importFiles([zip], { actor: 'operator:test' });
    assert.equal(result?.status, 'failed');
    assert.match(result?.error ?? '', /damaged or truncated/);
    assert.equal(result?.lines, 9, 'the whole file was read');
    assert.equal((await professional(r, '810003456786')).last_name, 'LE GALL-QUÉRÉ');
    assert.equal(await count(r, 'professionals', { vanished_at: null }), 8);
    assert.equal(await count(r, 'activities', { vanished_at: null }), 10);
  });

  it('MSSanté: PER and ORG boxes, repeated addresses merged, professionals linked by national identifier', async (r, clock) => {
    await importOne(r, clock, MSS);
    await importOne(r, clock, PA);
    const result = await importOne(r, clock, MSS);
    assert.equal(result.status, 'done', result.error ?? '');
    assert.equal(result.lines, 9);
    assert.equal(result.notes.duplicates, 1);
    assert.equal(await count(r, 'registry_addresses'), 8);
    const service = await r.db('registry_addresses').where({ address: 'cardiologie@chu-brest.mssante.fr' }).first() as Row;
    assert.equal(service.box_type, 'ORG');
    assert.equal(service.service, 'Service de cardiologie');
    assert.equal(service.structure_trade_name, 'CHU de Brest', 'filled in by the repeated line');
    assert.equal(service.dematerialisation, 'O', 'kept from the first line');
    assert.equal(service.city, 'BREST CEDEX');
    assert.equal(service.cedex, '29609 BREST CEDEX');
    assert.equal(service.department_code, '29');
    assert.equal(service.search_name, 'service de cardiologie chu de brest');
    const helene = await r.db('registry_addresses').where({ address: 'helene.legall-quere@medecin.mssante.fr' }).first() as Row;
    assert.equal(helene.professional_id, (await professional(r, '810003456786')).id, 'linked when Personne_activite came after');
    assert.equal(helene.network, 'mssante');
    assert.equal(helene.source, 'mssante-extraction');
    assert.equal(helene.search_name, 'le gall quere helene');
    const unknown = await r.db('registry_addresses').where({ address: 'yann.tanguy@medecin.mssante.fr' }).first() as Row;
    assert.equal(unknown.national_id, '810009012344');
    assert.equal(unknown.professional_id, null);
  });

  it('MSSanté bad lines: a PER box without names, not an address, an unknown box type, a wrong RPPS key', async (r, clock) => {
    const result = await importOne(r, clock, MSS_BAD);
    assert.equal(result.accepted, 1);
    assert.deepEqual(result.firstRejections.map((j) => [j.line, j.reason]), [
      [3, 'champ obligatoire vide : « Nom d\'exercice »'],
      [4, '« Adresse BAL » : valeur « jerome.menez chu-brest.mssante.fr » invalide (adresse de messagerie attendue)'],
      [5, '« Type de BAL » : valeur « XYZ » invalide (PER, ORG ou APP)'],
      [6, 'RPPS « 10003456780 » invalide : clé de contrôle fausse'],
    ]);
  });

  it('the regional list: Apicrypt and S/MIME addresses, names from the directory; each source vanishes on its own', async (r, clock) => {
    await importOne(r, clock, PA);
    await importOne(r, clock, MSS);
    const result = await importOne(r, clock, REGIONAL);
    assert.equal(result.status, 'done', result.error ?? '');
    assert.equal(result.accepted, 4);
    const rows = await r.db('registry_addresses').where({ source: 'regional-list' }).orderBy('address') as Row[];
    assert.deepEqual(rows.map((a) => [a.address, a.network, a.box_type, a.national_id]), [
      ['francois.noel.quimper@medical.apicrypt.org', 'apicrypt', 'PER', '0296012345'],
      ['helene.legall-quere.brest@medical.apicrypt.org', 'apicrypt', 'PER', '810003456786'],
      ['jerome.menez@sante-bretagne.example', 'regional', 'PER', '810007890121'],
      ['secretariat.kerinou@medical.apicrypt.org', 'apicrypt', 'ORG', null],
    ]);
    assert.deepEqual([rows[0]?.last_name, rows[0]?.first_name, rows[0]?.search_name], ['NOËL', 'François', 'noel francois'], 'from the directory');
    assert.equal(rows[3]?.structure_name, 'Cabinet médical de Kérinou');
    // A new MSSanté extraction does not touch the regional addresses, and the other way round.
    const again = await importOne(r, clock, MSS);
    assert.equal(again.vanished, 0);
    const empty = path.join(r.dir, 'adresses_regionales_202612010900.csv');
    writeFileSync(empty, 'identifiant_national,adresse,reseau\n');
    const emptied = await importOne(r, clock, empty);
    assert.equal(emptied.vanished, 4);
    assert.equal(await count(r, 'registry_addresses', { vanished_at: null }), 8);
  });

  it('SavoirFaire and Dipl_AutExerc attach to known professionals; an unknown one is rejected by line', async (r, clock) => {
    await importOne(r, clock, PA);
    const skills = await importOne(r, clock, SF);
    assert.equal(skills.status, 'done', skills.error ?? '');
    assert.deepEqual(skills.tables.professional_skills, { added: 1, updated: 0, unchanged: 4, vanished: 0 });
    const diplomas = await importOne(r, clock, DIPL);
    assert.deepEqual(diplomas.tables.professional_diplomas, { added: 6, updated: 0, unchanged: 0, vanished: 0 });
    const armelle = await professional(r, '810008901232');
    const hers = await r.db('professional_diplomas').where({ professional_id: armelle.id }).orderBy('kind') as Row[];
    assert.deepEqual(hers.map((d) => [d.kind, d.type_code, d.code, d.label]), [
      ['authorisation', 'AMEX', '0101', 'Médecine générale'], ['diploma', 'UE', 'UE09', 'Diplôme de médecin (Belgique)'],
    ]);
    const bad = await importOne(r, clock, SF_BAD);
    assert.deepEqual([bad.accepted, bad.rejected], [2, 1]);
    assert.deepEqual(bad.firstRejections.map((j) => [j.line, j.reason]), [[3, 'professionnel 810009012344 absent de l’annuaire (importer Personne_activite d’abord)']]);
  });

  it('show: a professional with activities, structures, skills and secure addresses', async (r, clock) => {
    await r.service.importFiles([PA, MSS, REGIONAL, SF], { actor: 'operator:test' });
    assert.ok(clock);
    const jerome = await r.service.professional('10007890121');
    assert.equal(jerome.nationalId, '810007890121');
    assert.equal(jerome.exerciseCivility, 'Professeur');
    assert.deepEqual(jerome.skills.map((s) => s.code).sort(), ['CAP09', 'SM04']);
    assert.deepEqual(jerome.activities.map((a) => a.structure?.technicalId), ['F290099991', 'F290099967']);
    assert.deepEqual(jerome.activities[0]?.structure?.address, ['Pôle cœur-poumons', '2 Avenue Foch', 'BP 824', '29609 BREST CEDEX']);
    assert.deepEqual(jerome.addresses.map((a) => [a.address, a.network, a.source, a.visible]), [
      ['jerome.menez@chu-brest.mssante.fr', 'mssante', 'mssante-extraction', true],
      ['jerome.menez@sante-bretagne.example', 'regional', 'regional-list', true],
    ]);
    assert.equal((await r.service.professional('296012345')).lastName, 'NOËL');
    assert.equal((await r.service.professional('0566054321')).firstName, 'Loïc');
    await assert.rejects(r.service.professional('10009012344'), (e: unknown) => isHygieError(e, 'PROFESSIONAL_NOT_FOUND'));
  });

  it('imports are listed newest first, audited, and report their progress', async (r, clock) => {
    const progress: number[] = [];
    clock.advance(1000);
    const [result] = await r.service.importFiles([PA], { actor: 'operator:alice', onProgress: (p) => progress.push(p.bytesRead) });
    await importOne(r, clock, MSS);
    const list = await r.service.listImports();
    assert.deepEqual(list.map((i) => [i.kind, i.status, i.actor]), [['mssante', 'done', 'operator:test'], ['personne-activite', 'done', 'operator:alice']]);
    assert.equal(list[1]?.tables.activities?.added, 10);
    assert.deepEqual((await r.service.listImports({ kind: 'mssante' })).length, 1);
    const events = await r.audit.list({ action: 'registry.import' });
    assert.equal(events.length, 2);
    assert.equal(events[1]?.subject, String(result?.id));
    assert.equal(events[1]?.actor, 'operator:alice');
    assert.equal(events[1]?.details.added, 30);
    assert.equal(progress.at(-1), readFileSync(PA).length, 'the last report has read the whole file');
    await assert.rejects(r.service.getImport(999), (e: unknown) => isHygieError(e, 'NOT_FOUND'));
  });
}
