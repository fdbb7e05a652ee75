import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { ManualClock } from '../../core/clock.js';
import { luhnValid } from '../identifiers.js';
import { MSSANTE_HEADER, nationalIdOf } from './addresses.js';
import { kindOfHeader } from './definitions.js';
import { FieldReader, headerFields, resolveHeader } from './fields.js';
import { extractionDateOf, kindOfFileName } from './kinds.js';
import { readLineBatches, type LineBatch } from './line-reader.js';
import { activityKey, PERSONNE_ACTIVITE_HEADER } from './personne-activite.js';
import { renderProgress } from './progress.js';
import { Rejected } from './rejections.js';
import { writeSyntheticMssante, writeSyntheticPersonneActivite } from './synthetic.js';
import { openTestRegistry, samplePath, writeZip } from './testing.js';
import { searchKey as directorySearchKey } from '../search/text.js';
import { headerKey, searchKey } from './text.js';
import { listZipEntries, openZipEntry } from './zip.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hygie-registry-parsing-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function batches(chunks: Buffer[]): Promise<LineBatch[]> {
  const all: LineBatch[] = [];
  for await (const batch of readLineBatches(Readable.from(chunks))) all.push(batch);
  return all;
}

test('header names match whatever the accents, case, apostrophes and spacing', () => {
  assert.equal(headerKey('Code civilité d’exercice'), headerKey('code civilite d\'exercice '));
  assert.equal(headerKey('\uFEFFType d\'identifiant PP'), headerKey('TYPE D IDENTIFIANT  PP'));
  const specs = {
    structure: { header: 'Identifiant technique de la structure', aliases: ['Identifiant structure'], required: true },
    civility: { header: 'Code civilité d\'exercice', aliases: ['Code civilité exercice'] },
    absent: { header: 'Libellé rôle' },
  } as const;
  const resolved = resolveHeader(headerFields('Identifiant structure|CODE CIVILITÉ EXERCICE|', '|'), specs);
  assert.deepEqual(resolved, { index: { structure: 0, civility: 1, absent: -1 }, width: 2, missing: [] });
  assert.deepEqual(resolveHeader(['Autre'], specs).missing, ['Identifiant technique de la structure']);
});

test('the shipped samples have the exact published headers', () => {
  const first = (name: string): string => readFileSync(samplePath(name), 'utf8').split(/\r?\n/)[0] as string;
  assert.deepEqual(headerFields(first('PS_LibreAcces_Personne_activite_202611240830.txt'), '|'), PERSONNE_ACTIVITE_HEADER);
  assert.equal(PERSONNE_ACTIVITE_HEADER.length, 56);
  assert.deepEqual(headerFields(first('PS_LibreAcces_Personne_activite_201807300827.txt'), '|'), PERSONNE_ACTIVITE_HEADER.slice(0, 48));
  assert.deepEqual(headerFields(first('Extraction_Correspondance_MSSante_202611240600.txt'), '|'), MSSANTE_HEADER);
  assert.equal(MSSANTE_HEADER.length, 31);
  assert.equal(kindOfHeader(first('PS_LibreAcces_SavoirFaire_202611240830.txt')), 'savoir-faire');
  assert.equal(kindOfHeader(first('PS_LibreAcces_Dipl_AutExerc_202611240830.txt')), 'diplomes');
  assert.equal(kindOfHeader(first('PS_LibreAcces_Personne_activite_201807300827.txt')), 'personne-activite');
  assert.equal(kindOfHeader(first('adresses_regionales_202611240900.csv')), 'regional-addresses');
  assert.equal(kindOfHeader('a|b|c'), undefined);
});

test('file names tell the kind and the extraction date', () => {
  assert.equal(kindOfFileName('PS_LibreAcces_Personne_activite_202611240830.txt'), 'personne-activite');
  assert.equal(kindOfFileName('ps_libreacces_savoirfaire_202611240830.txt'), 'savoir-faire');
  assert.equal(kindOfFileName('PS_LibreAcces_Dipl_AutExerc_202611240830.txt'), 'diplomes');
  assert.equal(kindOfFileName('Extraction_Correspondance_MSSante_202608261013.txt'), 'mssante');
  assert.equal(kindOfFileName('apicrypt-bretagne.csv'), 'regional-addresses');
  assert.equal(kindOfFileName('notes.txt'), undefined);
  assert.equal(extractionDateOf('PS_LibreAcces_201808011050.zip'), '201808011050');
  assert.equal(extractionDateOf('PS_LibreAcces_Personne_activite.txt'), undefined);
});

test('lines: CRLF and BOM removed, characters split across chunks kept, bad encodings flagged with their number', async () => {
  const text = Buffer.from('\uFEFFen-tête\r\nHélène\r\nZoé', 'utf8');
  const split = text.indexOf(Buffer.from('é', 'utf8').subarray(0, 1), 12) + 1; // inside the "é" of Hélène
  const result = await batches([text.subarray(0, split), text.subarray(split)]);
  assert.deepEqual(result.flatMap((b) => b.lines), ['en-tête', 'Hélène', 'Zoé']);
  assert.deepEqual(result.map((b) => b.first), [1, 2, 3], 'the last line, without an end of line, comes last');

  const mixed = Buffer.concat([Buffer.from('Hélène\n'), Buffer.from('Gaëlle\n', 'latin1'), Buffer.from('ok\nperdu \uFFFD\n')]);
  const [batch] = await batches([mixed]);
  assert.deepEqual(batch?.lines, ['Hélène', 'Gaëlle', 'ok', 'perdu \uFFFD']);
  assert.deepEqual([...(batch?.problems ?? [])], [[1, 'invalid-utf8'], [3, 'replacement-character']]);
  assert.equal(batch?.firstNonAscii, 0);
  const [ascii] = await batches([Buffer.from('abc\n'), Buffer.from('G\xe9\n', 'latin1')]);
  assert.equal(ascii?.firstNonAscii, -1, 'no accented text in a block of ASCII');
});

test('lines: a large chunk is decoded in blocks, numbered without a gap', async () => {
  const text = Array.from({ length: 30_000 }, (_, i) => `ligne n° ${i + 1}`).join('\n');
  const result = await batches([Buffer.from(text)]);
  assert.ok(result.length > 2, `${result.length} blocks`);
  const lines = result.flatMap((b) => b.lines);
  assert.equal(lines.length, 30_000);
  assert.equal(lines[29_999], 'ligne n° 30000');
  for (let i = 1; i < result.length; i++) assert.equal(result[i]?.first, (result[i - 1]?.first ?? 0) + (result[i - 1]?.lines.length ?? 0));
});

test('fields: found by position, trimmed, empty as null, too long refused', () => {
  const specs = { a: { header: 'A' }, b: { header: 'B', max: 3 }, c: { header: 'C' } } as const;
  const reader = new FieldReader(specs, resolveHeader(['A', 'B', 'C'], specs), '|');
  const { a, b, c } = reader.columns;
  assert.equal(reader.use(' x |ab|'), 3);
  assert.deepEqual([reader.get(a), reader.get(b), reader.get(c)], ['x', 'ab', null]);
  assert.equal(reader.use('x|y|z|'), 4);
  assert.equal(reader.emptyAt(3), true);
  reader.use('x|abcd|z');
  assert.throws(() => reader.get(b), (e: unknown) => e instanceof Rejected && e.code === 'too-long' && e.params.length === 4);
  assert.throws(() => { reader.use('x||z'); reader.required(b); }, (e: unknown) => e instanceof Rejected && e.code === 'missing');
  assert.equal(reader.use('1|2|3|4|5|6|7'), 7, 'counts past the header width');
});

test('identifiers of the regional list: RPPS with its key, ADELI, national identifiers', () => {
  assert.equal(nationalIdOf('10003456786', 'id'), '810003456786');
  assert.equal(nationalIdOf('810003456786', 'id'), '810003456786');
  assert.equal(nationalIdOf('296012345', 'id'), '0296012345');
  assert.equal(nationalIdOf('2a0012345', 'id'), '02A0012345');
  assert.throws(() => nationalIdOf('10003456780', 'id'), (e: unknown) => e instanceof Rejected && e.code === 'rpps');
  assert.throws(() => nationalIdOf('12345', 'id'), (e: unknown) => e instanceof Rejected && e.code === 'invalid-value');
});

test('search keys and activity keys', () => {
  assert.equal(searchKey('D’HARCOURT', 'Anne-Sophie'), 'd harcourt anne sophie');
  assert.equal(searchKey('LŒUILLET', 'Maïwenn'), 'loeuillet maiwenn');
  assert.equal(searchKey(null, ''), null);
  // The form directory/search compares names in, whatever the letters.
  for (const name of ['LE GALL-QUÉRÉ Hélène', 'Ørsted Łukasz Đorđe', 'Ærø Œdipe Straße', 'ǅemal  d’Arc', 'Ñúñez 3e Ångström', 'İlkay Ŝ']) {
    assert.equal(searchKey(name) ?? '', directorySearchKey(name), name);
  }
  const key = activityKey('810003456786', 'F290099991', 'FON-12', 'S', 'GENR01', 'SA01', null);
  assert.match(key, /^810003456786-[\w-]{22}$/);
  assert.equal(key, activityKey('810003456786', 'F290099991', 'FON-12', 'S', 'GENR01', 'SA01', null));
  assert.notEqual(key, activityKey('810003456786', 'F290099991', 'FON-12', 'L', 'GENR01', 'SA01', null));
});

test('ZIP: entries listed, stored and deflated, with or without data descriptors', async () => {
  const data = [{ name: 'a.txt', data: Buffer.from('première ligne\n'.repeat(1000)) }, { name: 'dossier/b.csv', data: Buffer.from('x;y\n') }];
  for (const options of [{ deflate: true, dataDescriptor: true }, { deflate: false }]) {
    const file = path.join(dir, `t-${options.deflate}.zip`);
    writeZip(file, data, options);
    const entries = await listZipEntries(file);
    assert.deepEqual(entries.map((e) => [e.name, e.uncompressedSize]), [['a.txt', data[0]?.data.length], ['dossier/b.csv', 4]]);
    let bytes = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of await openZipEntry(file, entries[0] as (typeof entries)[number], (n) => { bytes += n; })) chunks.push(chunk as Buffer);
    assert.deepEqual(Buffer.concat(chunks), data[0]?.data);
    assert.equal(bytes, entries[0]?.compressedSize);
  }
  await assert.rejects(listZipEntries(samplePath('adresses_regionales_202611240900.csv')), /not a readable ZIP archive/);
});

test('the progress line: percentage, rate and time left, within the terminal width', () => {
  const line = renderProgress({ location: 'PS_LibreAcces_Personne_activite_202611240830.txt', kind: 'personne-activite', bytesRead: 250, totalBytes: 1000, lines: 50_000, elapsedMs: 10_000 }, 100);
  assert.ok(line.length < 100, line);
  assert.match(line, /^…\w+_202611240830\.txt \[#+\.+\]  25 % · 50\s000 lignes · 5\s000 lignes\/s · reste 0:30$/);
  const narrow = renderProgress({ location: '/data/PS_LibreAcces_Personne_activite_202611240830.txt', kind: 'personne-activite', bytesRead: 250, totalBytes: 1000, lines: 50_000, elapsedMs: 10_000 }, 60);
  assert.ok(narrow.length < 60, narrow);
  assert.match(narrow, /25 % · 50\s000 lignes · 5\s000 lignes\/s · reste 0:30$/, 'the figures always fit');
  assert.match(renderProgress({ location: 'x.txt', kind: 'mssante', bytesRead: 0, totalBytes: 0, lines: 0, elapsedMs: 0 }, 80, 'en'), /0 % · 0 lines · 0 lines\/s · left -:--/);
});

test('synthetic files: deterministic, valid, about 1.7 lines per professional and 15 % ADELI, and they import cleanly', async () => {
  const a = path.join(dir, 'PS_LibreAcces_Personne_activite_209901010000.txt');
  const stats = await writeSyntheticPersonneActivite(a, { lines: 3000 });
  const copy = path.join(dir, 'copy.txt');
  await writeSyntheticPersonneActivite(copy, { lines: 3000 });
  assert.deepEqual(readFileSync(a), readFileSync(copy));
  const lines = readFileSync(a, 'utf8').trimEnd().split('\n').slice(1);
  assert.equal(lines.length, 3000);
  assert.ok(stats.professionals > 3000 / 1.9 && stats.professionals < 3000 / 1.5, `${stats.professionals} professionals`);
  const ids = new Map(lines.map((l) => { const f = l.split('|'); return [f[2] as string, f[0] as string]; }));
  const adeli = [...ids.values()].filter((t) => t === '0').length / ids.size;
  assert.ok(adeli > 0.1 && adeli < 0.2, `${adeli} ADELI`);
  assert.ok([...ids.keys()].filter((id) => id.startsWith('8')).every((id) => luhnValid(id.slice(1))));
  const mss = path.join(dir, 'Extraction_Correspondance_MSSante_209901010000.txt');
  await writeSyntheticMssante(mss, { lines: 1000 });

  const registry = await openTestRegistry(new ManualClock(new Date('2026-11-24T09:00:00Z')));
  try {
    const [pa, addresses] = await registry.service.importFiles([a, mss], { actor: 'bench' });
    assert.deepEqual([pa?.status, pa?.rejected, pa?.tables.professionals?.added], ['done', 0, stats.professionals]);
    assert.deepEqual([addresses?.status, addresses?.rejected], ['done', 0]);
    assert.ok((addresses?.notes.duplicates ?? 0) === 0, 'one repeat per 3000 lines');
    const linked = await registry.db('registry_addresses').whereNotNull('professional_id').count({ n: '*' });
    assert.ok(Number((linked[0] as { n: number }).n) > 500, 'PER boxes name the same professionals');
  } finally {
    await registry.close();
  }
});
