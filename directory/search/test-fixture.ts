/**
 * Tests only: a small directory around Brest (and Quimper, Paris 15e, Saint-Denis) in a
 * fresh SQLite or PostgreSQL database, searched with the real COG communes and the
 * centres of the communes the tests measure from (mairie positions, rounded).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { openDatabase } from '../../core/database.js';
import { createTestPostgresDatabase } from '../../core/testing-postgres.js';
import { directoryMigrations } from '../migrations.js';
import { loadCommuneGazetteer } from './communes-source.js';
import { DirectorySearch } from './directory-search.js';
import type { GeoPoint } from './gazetteer.js';
import { searchKey } from './text.js';

export const TEST_CENTRES = new Map<string, GeoPoint>([
  ['29019', { lat: 48.3904, lon: -4.4861 }], // Brest
  ['29075', { lat: 48.4351, lon: -4.3991 }], // Guipavas
  ['29235', { lat: 48.4067, lon: -4.3969 }], // Le Relecq-Kerhuon
  ['29061', { lat: 48.4522, lon: -4.4647 }], // Gouesnou
  ['29189', { lat: 48.3728, lon: -4.3706 }], // Plougastel-Daoulas
  ['29011', { lat: 48.4290, lon: -4.5136 }], // Bohars
  ['29103', { lat: 48.4508, lon: -4.2494 }], // Landerneau
  ['29232', { lat: 47.9960, lon: -4.1020 }], // Quimper
  ['75056', { lat: 48.8566, lon: 2.3522 }], // Paris
  ['75115', { lat: 48.8412, lon: 2.3003 }], // Paris 15e
  ['93066', { lat: 48.9362, lon: 2.3574 }], // Saint-Denis (93)
]);

export interface SearchFixture {
  db: Knex;
  search: DirectorySearch;
  ids: Record<string, number>;
  close(): Promise<void>;
}

const UPDATED = '2026-11-01T00:00:00.000Z';

export async function openSearchFixture(kind: 'sqlite' | 'postgres'): Promise<SearchFixture> {
  const migrations = directoryMigrations;
  let db: Knex;
  let cleanup: () => Promise<void>;
  if (kind === 'sqlite') {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hygie-search-'));
    db = await openDatabase({ url: '', dataDir, migrations });
    cleanup = async () => { rmSync(dataDir, { recursive: true, force: true }); };
  } else {
    const pg = await createTestPostgresDatabase('hygie_search');
    db = await openDatabase({ url: pg.url, dataDir: '', migrations });
    cleanup = () => pg.drop();
  }
  const ids = await seed(db);
  const gazetteer = await loadCommuneGazetteer({ centres: TEST_CENTRES });
  return {
    db,
    search: new DirectorySearch({ db, gazetteer }),
    ids,
    async close() {
      await db.destroy();
      await cleanup();
    },
  };
}

interface Place {
  commune: string | null;
  postal: string;
  city: string;
  department: string;
}

const PLACES: Record<string, Place> = {
  brest: { commune: '29019', postal: '29200', city: 'BREST', department: '29' },
  guipavas: { commune: '29075', postal: '29490', city: 'GUIPAVAS', department: '29' },
  relecq: { commune: '29235', postal: '29480', city: 'LE RELECQ KERHUON', department: '29' },
  quimper: { commune: '29232', postal: '29000', city: 'QUIMPER', department: '29' },
  paris15: { commune: '75115', postal: '75015', city: 'PARIS', department: '75' },
  stdenis: { commune: '93066', postal: '93200', city: 'SAINT-DENIS', department: '93' },
  /** A structure the extraction gave without an INSEE code: found by postal code and city. */
  brestNoCode: { commune: null, postal: '29200', city: 'Brest', department: '29' },
};

async function seed(db: Knex): Promise<Record<string, number>> {
  const ids: Record<string, number> = {};
  const insert = async (table: string, row: Record<string, unknown>): Promise<number> => {
    const [inserted] = await db(table).insert(row, ['id']) as Array<{ id: number } | number>;
    return typeof inserted === 'object' ? Number(inserted.id) : Number(inserted);
  };

  const structures: Array<[string, string, string | null, string]> = [
    ['chu', 'CHU de Brest', '290000017', 'brest'],
    ['guipavas', 'Cabinet médical de Guipavas', null, 'guipavas'],
    ['relecq', 'Maison de santé du Relecq', null, 'relecq'],
    ['quimper', 'Cabinet de Quimper', null, 'quimper'],
    ['paris15', 'Centre de santé Vaugirard', null, 'paris15'],
    ['stdenis', 'Cabinet Saint-Denis', null, 'stdenis'],
    ['brestNoCode', 'Cabinet du port', null, 'brestNoCode'],
  ];
  for (const [key, name, finess, placeKey] of structures) {
    const place = PLACES[placeKey] as Place;
    ids[`s.${key}`] = await insert('structures', {
      technical_id: `R${key}`, name, finess_site: finess, search_name: searchKey(name), street_number: '2', street_type: 'Avenue',
      street_name: 'Foch', postal_code: place.postal, commune_code: place.commune, city: place.city, department_code: place.department,
      phone: '0298000000', source: 'registry', updated_at: UPDATED,
    });
  }

  let serial = 10000000000;
  const person = async (key: string, last: string, first: string, profession: [string, string], structure: string,
    extra: { address?: boolean; vanished?: boolean; skill?: [string, string] } = {}): Promise<number> => {
    const identifier = String(serial++);
    const id = await insert('professionals', {
      national_id: `8${identifier}`, id_type: '8', identifier, last_name: last, first_name: first, exercise_civility: 'Docteur',
      profession_code: profession[0], profession: profession[1], search_name: searchKey(`${last} ${first}`), source: 'registry',
      updated_at: UPDATED, vanished_at: extra.vanished ? UPDATED : null,
    });
    ids[key] = id;
    await insert('activities', { activity_key: `a-${key}`, professional_id: id, structure_id: ids[`s.${structure}`], role: 'Titulaire', updated_at: UPDATED });
    if (extra.skill) {
      await insert('professional_skills', { professional_id: id, type_code: 'S', type_label: 'Spécialité ordinale', code: extra.skill[0], label: extra.skill[1], updated_at: UPDATED });
    }
    if (extra.address !== false) {
      await insert('registry_addresses', {
        address: `${searchKey(first).replace(/ /g, '-')}.${searchKey(last).replace(/ /g, '-')}@test.mssante.fr`, network: 'mssante', box_type: 'PER',
        national_id: `8${identifier}`, professional_id: id, last_name: last, first_name: first, search_name: searchKey(`${last} ${first}`),
        source: 'mssante-extraction', updated_at: UPDATED,
      });
    }
    return id;
  };
  const doctor: [string, string] = ['10', 'Médecin'];
  const nurse: [string, string] = ['60', 'Infirmier'];
  await person('jeanMartin', 'MARTIN', 'Jean', doctor, 'chu', { skill: ['SM04', 'Cardiologie et maladies vasculaires'] });
  await person('jeanneMartinez', 'MARTINEZ', 'Jeanne', nurse, 'guipavas');
  await person('maiwenn', 'LE GALL', 'Maïwenn', doctor, 'relecq');
  await person('paulMartin', 'MARTIN', 'Paul', doctor, 'quimper');
  await person('marieDupont', 'DUPONT', 'Marie', doctor, 'paris15');
  await person('jacquesMartin', 'MARTIN', 'Jacques', doctor, 'chu', { address: false });
  await person('julieMartin', 'MARTIN', 'Julie', doctor, 'chu', { vanished: true });
  await person('heleneDurand', 'DURAND', 'Hélène', doctor, 'brestNoCode');
  await person('sophieMartin', 'MARTIN', 'Sophie', doctor, 'chu', { address: false });
  await person('leaRoux', 'ROUX', 'Léa', nurse, 'stdenis');

  // Sophie Martin's only address is a box hosted here, unpublished: invisible to the address book.
  const box = (row: Record<string, unknown>): Promise<number> => insert('mailboxes', {
    is_health: true, created_at: UPDATED, status: 'active', ...row,
  });
  const sophieBox = await box({ type: 'PER', display_name: 'Sophie MARTIN', first_name: 'Sophie', last_name: 'MARTIN', published: false,
    professional_id: ids.sophieMartin, unpublished_reason: 'operator', unpublished_at: UPDATED });
  await insert('addresses', { mailbox_id: sophieBox, address: 'sophie.martin@esante-demo.test', network: 'regional' });

  ids.pneumo = await box({ type: 'ORG', display_name: 'Secrétariat de pneumologie', description: 'Pneumologie — CHU de Brest', published: true,
    structure_id: ids['s.chu'], professional_id: ids.jeanMartin });
  await insert('addresses', { mailbox_id: ids.pneumo, address: 'pneumologie.chu-brest@esante-demo.test', network: 'regional' });
  await insert('addresses', { mailbox_id: ids.pneumo, address: 'pneumologie.chu-brest@demo.mssante.test', network: 'mssante' });
  ids.oldService = await box({ type: 'ORG', display_name: 'Ancien service de gériatrie', published: false, structure_id: ids['s.chu'],
    unpublished_reason: 'operator', unpublished_at: UPDATED });
  await insert('addresses', { mailbox_id: ids.oldService, address: 'geriatrie.chu-brest@esante-demo.test', network: 'regional' });

  ids.cardioBox = await insert('registry_addresses', {
    address: 'cardiologie.chu-brest@chu-brest.mssante.fr', network: 'mssante', box_type: 'ORG', structure_id_type: '1',
    structure_identifier: '290000017', service: 'Cardiologie', structure_name: 'CHU de Brest', search_name: searchKey('Cardiologie CHU de Brest'),
    postal_code: '29200', city: 'BREST', department_code: '29', source: 'mssante-extraction', updated_at: UPDATED,
  });
  ids.vanishedBox = await insert('registry_addresses', {
    address: 'accueil.clinique@clinique.mssante.fr', network: 'mssante', box_type: 'ORG', service: 'Accueil clinique fermée',
    search_name: searchKey('Accueil clinique fermée'), postal_code: '29200', city: 'BREST', source: 'mssante-extraction',
    updated_at: UPDATED, vanished_at: UPDATED,
  });
  return ids;
}
