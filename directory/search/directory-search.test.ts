/**
 * Directory search on SQLite and PostgreSQL over a small directory around Brest: names
 * (accents, case, prefixes of each word, ranking), profession, specialty, city, postal
 * code, department, structure, a radius around Brest, hidden entries, paging, bad input.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isHygieError } from '../../core/errors.js';
import { postgresUnavailable } from '../../core/testing-postgres.js';
import type { BoxResult, ProfessionalResult, SearchPage } from './results.js';
import { openSearchFixture, type SearchFixture } from './test-fixture.js';

const pgSkip = await postgresUnavailable();

/** "Last First" of professionals, box names for boxes, in result order. */
function names(page: SearchPage): string[] {
  return page.results.map((r) => (r.kind === 'professional' ? `${r.lastName} ${r.firstName}` : `box:${r.name}`));
}

function invalid(pattern: RegExp): (e: unknown) => boolean {
  return (e) => isHygieError(e, 'INVALID_INPUT') && pattern.test((e as Error).message);
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`directory search (${kind})`, { skip: kind === 'postgres' ? pgSkip : undefined }, () => {
    let f: SearchFixture;
    before(async () => { f = await openSearchFixture(kind); });
    after(async () => { await f?.close(); });

    it('finds a name by a prefix of each word, whatever the accents, case and word order', async () => {
      assert.deepEqual(names(await f.search.search({ text: 'mart je' })), ['MARTIN Jean', 'MARTINEZ Jeanne']);
      assert.deepEqual(names(await f.search.search({ text: 'JE MART' })), ['MARTIN Jean', 'MARTINEZ Jeanne']);
      assert.deepEqual(names(await f.search.search({ text: 'MAÏWENN' })), ['LE GALL Maïwenn']);
      assert.deepEqual(names(await f.search.search({ text: 'gall mai' })), ['LE GALL Maïwenn']);
      assert.deepEqual(names(await f.search.search({ text: 'hélène durand' })), ['DURAND Hélène']);
      assert.deepEqual(names(await f.search.search({ text: 'helene durant' })), []);
    });

    it('ranks whole-word matches before prefixes, then by name', async () => {
      assert.deepEqual(names(await f.search.search({ text: 'martin', kinds: ['professional'] })), ['MARTIN Jean', 'MARTIN Paul', 'MARTINEZ Jeanne']);
      assert.deepEqual(names(await f.search.search({ text: 'martin jean' })), ['MARTIN Jean', 'MARTINEZ Jeanne']);
    });

    it('returns identities, practices with their structure and address, specialties and secure addresses', async () => {
      const page = await f.search.search({ text: 'jean martin' });
      assert.equal(page.total, 2);
      const jean = page.results[0] as ProfessionalResult;
      assert.equal(jean.kind, 'professional');
      assert.equal(jean.idType, 'RPPS');
      assert.equal(jean.nationalId, `8${jean.identifier}`);
      assert.deepEqual(jean.profession, { code: '10', label: 'Médecin' });
      assert.deepEqual(jean.specialties.map((s) => s.code), ['SM04']);
      assert.equal(jean.practices[0]?.structure?.name, 'CHU de Brest');
      assert.deepEqual(jean.practices[0]?.address?.lines, ['2 Avenue Foch', '29200 BREST']);
      assert.deepEqual(jean.addresses, [{ address: 'jean.martin@test.mssante.fr', network: 'mssante', source: 'mssante-extraction', visible: true }]);
      assert.equal(jean.distanceKm, undefined);
    });

    it('finds professionals by an RPPS or national identifier', async () => {
      const jean = (await f.search.search({ text: 'martin jean' })).results[0] as ProfessionalResult;
      assert.deepEqual(names(await f.search.search({ text: jean.identifier })), ['MARTIN Jean']);
      assert.deepEqual(names(await f.search.search({ text: jean.nationalId })), ['MARTIN Jean']);
    });

    it('filters by profession (code or label) and specialty (code or label)', async () => {
      assert.deepEqual(names(await f.search.search({ profession: 'infirm' })), ['MARTINEZ Jeanne', 'ROUX Léa']);
      assert.deepEqual(names(await f.search.search({ profession: '60', text: 'roux' })), ['ROUX Léa']);
      assert.deepEqual(names(await f.search.search({ specialty: 'cardio' })), ['MARTIN Jean']);
      assert.deepEqual(names(await f.search.search({ specialty: 'sm04', profession: 'médecin' })), ['MARTIN Jean']);
      await assert.rejects(f.search.search({ profession: 'astronaute' }), invalid(/unknown profession: "astronaute"/));
      assert.equal((await f.search.search({ profession: '10', kinds: ['box'] })).total, 0, 'boxes have no profession');
    });

    it('filters by city (also rows known only by postal code and city), postal code and department', async () => {
      assert.deepEqual(names(await f.search.search({ city: 'brest', profession: '10' })), ['DURAND Hélène', 'MARTIN Jean']);
      assert.deepEqual(names(await f.search.search({ city: 'Le Relecq-Kerhuon' })), ['LE GALL Maïwenn']);
      assert.deepEqual(names(await f.search.search({ city: 'relecq kerhuon' })), ['LE GALL Maïwenn']);
      assert.deepEqual(names(await f.search.search({ postalCode: '29490' })), ['MARTINEZ Jeanne']);
      assert.deepEqual(names(await f.search.search({ department: '29', profession: '10' })),
        ['DURAND Hélène', 'LE GALL Maïwenn', 'MARTIN Jean', 'MARTIN Paul']);
    });

    it('knows the arrondissements of Paris and tells namesake cities apart', async () => {
      assert.deepEqual(names(await f.search.search({ city: 'Paris' })), ['DUPONT Marie']);
      assert.deepEqual(names(await f.search.search({ city: 'Paris 15e' })), ['DUPONT Marie']);
      assert.deepEqual(names(await f.search.search({ city: '75015' })), ['DUPONT Marie']);
      assert.deepEqual(names(await f.search.search({ city: 'Paris 1er' })), []);
      await assert.rejects(f.search.search({ city: 'Saint-Denis' }), invalid(/"Saint-Denis" names \d+ communes: .*Saint-Denis \(93, 93200\).*give the department or the postal code/));
      assert.deepEqual(names(await f.search.search({ city: 'Saint-Denis (93)' })), ['ROUX Léa']);
      assert.deepEqual(names(await f.search.search({ city: 'st denis', department: '93' })), ['ROUX Léa']);
      await assert.rejects(f.search.search({ city: 'Brestt' }), invalid(/unknown city: "Brestt"/));
    });

    it('finds by structure name or FINESS, with the structure\'s boxes', async () => {
      assert.deepEqual(names(await f.search.search({ structure: '290000017' })),
        ['box:Cardiologie', 'MARTIN Jean', 'box:Secrétariat de pneumologie']);
      assert.deepEqual(names(await f.search.search({ structure: 'maison sante relecq' })), ['LE GALL Maïwenn']);
    });

    it('searches within a radius of Brest: the neighbours a few km away, nearest first, not Quimper', async () => {
      const page = await f.search.search({ near: 'Brest, 10 km', kinds: ['professional'] });
      assert.deepEqual(names(page), ['DURAND Hélène', 'MARTIN Jean', 'LE GALL Maïwenn', 'MARTINEZ Jeanne']);
      const km = page.results.map((r) => r.distanceKm as number);
      assert.deepEqual(km.slice(0, 2), [0, 0]);
      assert.ok(km[2] as number > 5 && (km[2] as number) < 8, `Le Relecq-Kerhuon at ${km[2]} km`);
      assert.ok(km[3] as number > 6 && (km[3] as number) < 10, `Guipavas at ${km[3]} km`);
      assert.equal((page.results[3] as ProfessionalResult).practices[0]?.distanceKm, km[3]);
      assert.deepEqual(names(await f.search.search({ near: { city: 'Brest', radiusKm: 2 }, kinds: ['professional'] })), ['DURAND Hélène', 'MARTIN Jean']);
      assert.deepEqual(names(await f.search.search({ near: 'Brest, 10 km', profession: 'infirmier' })), ['MARTINEZ Jeanne']);
      assert.deepEqual(names(await f.search.search({ near: 'Brest, 10 km', city: 'Guipavas' })), ['MARTINEZ Jeanne']);
      assert.deepEqual(names(await f.search.search({ near: 'Brest, 10 km', text: 'gall' })), ['LE GALL Maïwenn']);
      const wide = names(await f.search.search({ near: 'Brest, 100 km', kinds: ['professional'] }));
      assert.ok(wide.includes('MARTIN Paul'), 'Quimper is about 52 km from Brest');
    });

    it('returns organisational boxes by name and place, hosted and from the extraction, with their addresses', async () => {
      const cardio = await f.search.search({ text: 'cardio' });
      assert.deepEqual(names(cardio), ['box:Cardiologie']);
      const box = cardio.results[0] as BoxResult;
      assert.equal(box.source, 'registry');
      assert.equal(box.boxType, 'ORG');
      assert.equal(box.description, 'CHU de Brest');
      assert.deepEqual(box.addresses.map((a) => a.address), ['cardiologie.chu-brest@chu-brest.mssante.fr']);
      const pneumo = (await f.search.search({ text: 'pneumo' })).results[0] as BoxResult;
      assert.equal(pneumo.source, 'hosted');
      assert.equal(pneumo.structure?.name, 'CHU de Brest');
      assert.deepEqual(pneumo.addresses.map((a) => a.network), ['mssante', 'regional']);
      const near = await f.search.search({ near: 'Brest, 2 km', kinds: ['box'] });
      assert.deepEqual(names(near), ['box:Cardiologie', 'box:Secrétariat de pneumologie']);
      assert.deepEqual(near.results.map((r) => r.distanceKm), [0, 0]);
    });

    it('hides unpublished boxes, vanished rows and unreachable people unless asked', async () => {
      assert.deepEqual(names(await f.search.search({ text: 'martin', kinds: ['professional'] })), ['MARTIN Jean', 'MARTIN Paul', 'MARTINEZ Jeanne']);
      assert.deepEqual(names(await f.search.search({ text: 'martin', kinds: ['professional'] }, { includeUnreachable: true })),
        ['MARTIN Jacques', 'MARTIN Jean', 'MARTIN Paul', 'MARTIN Sophie', 'MARTINEZ Jeanne']);
      const hidden = await f.search.search({ text: 'martin', kinds: ['professional'] }, { includeHidden: true });
      assert.deepEqual(names(hidden), ['MARTIN Jean', 'MARTIN Julie', 'MARTIN Paul', 'MARTIN Sophie', 'MARTINEZ Jeanne']);
      const sophie = hidden.results[3] as ProfessionalResult;
      assert.deepEqual(sophie.addresses, [{ address: 'sophie.martin@esante-demo.test', network: 'regional', source: 'hosted', visible: false }]);
      assert.equal((hidden.results[1] as ProfessionalResult).vanished, true);

      assert.deepEqual(names(await f.search.search({ text: 'geriatrie' })), []);
      assert.deepEqual(names(await f.search.search({ text: 'clinique' })), []);
      const operator = await f.search.search({ text: 'geriatrie' }, { includeHidden: true });
      assert.deepEqual(names(operator), ['box:Ancien service de gériatrie']);
      assert.equal((operator.results[0] as BoxResult).addresses[0]?.visible, false);
      assert.deepEqual(names(await f.search.search({ text: 'clinique' }, { includeHidden: true })), ['box:Accueil clinique fermée']);
    });

    it('pages with the total', async () => {
      const all = names(await f.search.search({ department: '29' }));
      const pages: string[] = [];
      for (let page = 1; page <= 3; page++) {
        const result = await f.search.search({ department: '29' }, { page, pageSize: 2 });
        assert.equal(result.total, all.length);
        assert.equal(result.pageSize, 2);
        pages.push(...names(result));
      }
      assert.deepEqual(pages, all.slice(0, 6));
      await assert.rejects(f.search.search({ department: '29' }, { page: 9, pageSize: 2 }), invalid(/page 9 is past the last page \(\d\) of \d+ results/));
      const none = await f.search.search({ text: 'zyzzyva' }, { page: 1 });
      assert.deepEqual({ total: none.total, results: none.results }, { total: 0, results: [] });
    });

    it('refuses bad input with a clear error', async () => {
      await assert.rejects(f.search.search({}), invalid(/empty query/));
      await assert.rejects(f.search.search({ text: '   ' }), invalid(/empty query/));
      await assert.rejects(f.search.search({ text: 'm' }), invalid(/name too short/));
      await assert.rejects(f.search.search({ near: 'Brest, 0 km' }), invalid(/radius must be a positive number/));
      await assert.rejects(f.search.search({ near: 'Brest, 250 km' }), invalid(/radius 250 km is over the 100 km maximum/));
      await assert.rejects(f.search.search({ near: 'Brest' }), invalid(/expected "<city>, <radius> km"/));
      await assert.rejects(f.search.search({ near: 'Atlantis, 5 km' }), invalid(/unknown city: "Atlantis"/));
      await assert.rejects(f.search.search({ text: 'martin' }, { page: 0 }), invalid(/page must be a whole number/));
      await assert.rejects(f.search.search({ text: 'martin' }, { pageSize: 1000 }), invalid(/page size must be a whole number from 1 to 100/));
      await assert.rejects(f.search.search({ department: '299' }), invalid(/not a department code/));
      await assert.rejects(f.search.search({ postalCode: '2920' }), invalid(/not a postal code/));
    });
  });
}
