/**
 * Large synthetic extraction files for benchmarks, written as a stream (constant memory)
 * and deterministic (the same options give the same bytes). The shape follows the
 * national files: about 1.7 lines per professional (most have one activity, some several),
 * about 15 % ADELI identifiers, RPPS numbers with valid Luhn keys, structures shared
 * (a few large hospitals on many lines, many small practices on few), accented names,
 * and a trailing `|` on every line. The MSSanté file names the same professionals, so
 * addresses link to them when both files are imported.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { luhnValid } from '../identifiers.js';
import { MSSANTE_HEADER } from './addresses.js';
import { PERSONNE_ACTIVITE_HEADER } from './personne-activite.js';

export interface SyntheticOptions {
  /** Data lines to write (the header is extra). */
  lines: number;
  seed?: number;
}

export interface SyntheticFile {
  lines: number;
  bytes: number;
  professionals: number;
}

/** Deterministic PRNG (mulberry32): numbers in [0, 1). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A well-mixed 32-bit hash of an integer: per-professional choices without generator state. */
function mix(n: number, salt: number): number {
  let h = Math.imul(n ^ salt, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return (h >>> 0) / 4294967296;
}

const FIRST_NAMES = ['Hélène', 'Jean-Yves', 'Maïwenn', 'François', 'Zoé', 'Loïc', 'Anne-Sophie', 'Jérôme', 'Gaëlle', 'Noël', 'Élodie', 'Yann',
  'Nolwenn', 'Erwan', 'Léa', 'Benoît', 'Chloé', 'Ronan', 'Maëlys', 'Tanguy', 'Clémence', 'Goulven', 'Inès', 'Aurélien'];
const LAST_NAMES = ['LE GALL', 'KEROUÉDAN', 'MÉNEZ', 'NOËL', 'D’HARCOURT', 'BÉNARD', 'OLLIVIER', 'LE BRIS', 'TANGUY', 'QUÉRÉ', 'COZIC',
  'LE GOFF', 'PRIGENT', 'GUÉGUEN', 'LE ROUX', 'MORVAN', 'CORRE', 'L’HOSTIS', 'LEFÈVRE', 'LE DUFF', 'BOURHIS', 'CARIOU', 'JÉZÉQUEL', 'POSTIC'];
const PROFESSIONS: ReadonlyArray<[string, string, number]> = [
  ['60', 'Infirmier', 0.30], ['10', 'Médecin', 0.25], ['70', 'Masseur-Kinésithérapeute', 0.11], ['21', 'Pharmacien', 0.08],
  ['40', 'Chirurgien-Dentiste', 0.05], ['50', 'Sage-Femme', 0.03], ['91', 'Orthophoniste', 0.03], ['80', 'Pédicure-Podologue', 0.02],
  ['26', 'Audioprothésiste', 0.01], ['94', 'Ergothérapeute', 0.04], ['95', 'Psychomotricien', 0.02], ['28', 'Opticien-Lunetier', 0.06],
];
const SKILLS: ReadonlyArray<[string, string]> = [['SM54', 'Médecine générale'], ['SM04', 'Cardiologie et maladies vasculaires'],
  ['SM26', 'Pédiatrie'], ['SM40', 'Psychiatrie'], ['SM15', 'Gynécologie-obstétrique'], ['SM02', 'Anesthésie-réanimation']];
const CITIES: ReadonlyArray<[string, string, string, string]> = [['29200', '29019', 'Brest', '29'], ['29000', '29232', 'Quimper', '29'],
  ['56100', '56121', 'Lorient', '56'], ['35000', '35238', 'Rennes', '35'], ['22000', '22278', 'Saint-Brieuc', '22'],
  ['44000', '44109', 'Nantes', '44'], ['75013', '75113', 'Paris', '75'], ['69003', '69383', 'Lyon', '69'], ['13005', '13205', 'Marseille', '13'],
  ['31000', '31555', 'Toulouse', '31'], ['20000', '2A004', 'Ajaccio', '2A'], ['97400', '97411', 'Saint-Denis', '974']];
const DEPARTMENTS: Readonly<Record<string, string>> = { '29': 'Finistère', '56': 'Morbihan', '35': 'Ille-et-Vilaine', '22': 'Côtes-d’Armor',
  '44': 'Loire-Atlantique', '75': 'Paris', '69': 'Rhône', '13': 'Bouches-du-Rhône', '31': 'Haute-Garonne', '2A': 'Corse-du-Sud', '974': 'La Réunion' };
const STREETS = ['de Kérinou', 'Jean Jaurès', 'de la Porte', 'Émile Zola', 'du Château', 'de Siam', 'Saint-Exupéry', 'des Écoles'];

function pick<T>(list: readonly T[], r: number): T {
  return list[Math.floor(r * list.length) % list.length] as T;
}

/** The Luhn-complete RPPS whose first ten digits are `prefix`. */
export function rppsFrom(prefix: number): string {
  const base = String(prefix).padStart(10, '0');
  for (let key = 0; key < 10; key++) if (luhnValid(base + key)) return base + key;
  throw new Error('unreachable');
}

export interface SyntheticProfessional {
  idType: '8' | '0';
  identifier: string;
  nationalId: string;
  firstName: string;
  lastName: string;
  profession: readonly [string, string, number];
}

/** Professional number n of the synthetic population (the same in every file). */
export function syntheticProfessional(n: number, seed = 1): SyntheticProfessional {
  const adeli = mix(n, seed) < 0.15;
  const city = pick(CITIES, mix(n, seed + 1));
  const identifier = adeli ? `${city[3].slice(0, 2)}${String(n % 10_000_000).padStart(7, '0')}` : rppsFrom(1_000_000_000 + n);
  const idType = adeli ? '0' : '8';
  let r = mix(n, seed + 2);
  let profession = PROFESSIONS[0] as (typeof PROFESSIONS)[number];
  for (const p of PROFESSIONS) { if (r < p[2]) { profession = p; break; } r -= p[2]; }
  return {
    idType, identifier, nationalId: idType + identifier, profession,
    firstName: pick(FIRST_NAMES, mix(n, seed + 3)), lastName: `${pick(LAST_NAMES, mix(n, seed + 4))}${n % 7 === 0 ? `-${pick(LAST_NAMES, mix(n, seed + 5))}` : ''}`,
  };
}

/** Activities per professional: 1 (55 %), 2 (30 %), 3 (10 %), 4 (3 %), 5–8 (2 %): 1.7 on average. */
function activityCount(r: number): number {
  if (r < 0.55) return 1;
  if (r < 0.85) return 2;
  if (r < 0.95) return 3;
  if (r < 0.98) return 4;
  return 5 + Math.floor((r - 0.98) / 0.005);
}

/** Writes `text` chunks to a file, waiting when the disk is behind. */
class ChunkWriter {
  private readonly out: WriteStream;
  private buffer: string[] = [];
  private size = 0;
  bytes = 0;

  constructor(file: string) {
    this.out = createWriteStream(file);
  }

  async write(text: string): Promise<void> {
    this.buffer.push(text);
    this.size += text.length;
    if (this.size > 1 << 20) await this.flush();
  }

  private async flush(): Promise<void> {
    const chunk = Buffer.from(this.buffer.join(''), 'utf8');
    this.buffer = [];
    this.size = 0;
    this.bytes += chunk.length;
    if (!this.out.write(chunk)) await once(this.out, 'drain');
  }

  async close(): Promise<void> {
    await this.flush();
    this.out.end();
    await once(this.out, 'finish');
  }
}

/** The structure number s: shared by every line that names it, so its values are the same each time. */
function structureFields(s: number, seed: number): string[] {
  const hospital = s % 50 === 0;
  const city = pick(CITIES, mix(s, seed + 11));
  const finess = hospital ? `${city[3].slice(0, 2)}0${String(s % 1_000_000).padStart(6, '0')}` : '';
  const siret = hospital ? '' : `8${String(s).padStart(8, '0')}${String(s % 100000).padStart(5, '0')}`;
  const name = hospital ? `CENTRE HOSPITALIER ${city[2].toUpperCase()} ${s}` : `CABINET ${pick(LAST_NAMES, mix(s, seed + 12))} ${s}`;
  const department = city[3];
  // SIRET site, SIREN site, FINESS site, FINESS EJ, technical id, name, trade name, recipient, point, number, repetition,
  // type code, type, street, mention, cedex, postal code, commune, city, country code, country, phone, phone 2, fax, e-mail,
  // department code, department, former id
  return [siret, siret.slice(0, 9), finess, finess, hospital ? `F${finess}` : `R${String(10_000_000_000_000 + s)}`, name,
    hospital ? `CH de ${city[2]}` : '', '', hospital ? 'Bâtiment B' : '', String(1 + (s % 120)), s % 9 === 0 ? 'B' : '', 'R', 'Rue',
    pick(STREETS, mix(s, seed + 13)), '', '', city[0], city[1], city[2], '99000', 'France',
    `02${String(98000000 + (s % 1000000)).padStart(8, '0')}`, '', hospital ? `02${String(97000000 + (s % 1000000)).padStart(8, '0')}` : '',
    hospital ? `contact${s}@ch.example` : '', department, DEPARTMENTS[department] ?? '', ''];
}

/** A synthetic PS_LibreAcces_Personne_activite file of exactly `lines` data lines. */
export async function writeSyntheticPersonneActivite(file: string, options: SyntheticOptions): Promise<SyntheticFile> {
  const seed = options.seed ?? 1;
  const rand = random(seed);
  const structures = Math.max(10, Math.floor(options.lines / 6));
  const hospitals = Math.max(1, Math.floor(structures / 50));
  const out = new ChunkWriter(file);
  await out.write(`${PERSONNE_ACTIVITE_HEADER.join('|')}|\n`);
  let written = 0;
  let n = 0;
  while (written < options.lines) {
    const p = syntheticProfessional(n, seed);
    const count = Math.min(activityCount(rand()), options.lines - written);
    const doctor = p.profession[0] === '10';
    const skill = doctor ? pick(SKILLS, mix(n, seed + 6)) : undefined;
    const head = [p.idType, p.identifier, p.nationalId, doctor ? 'DR' : '', doctor ? 'Docteur' : '', n % 2 ? 'M' : 'MME', n % 2 ? 'Monsieur' : 'Madame',
      p.lastName, p.firstName, p.profession[0], p.profession[1], 'C', 'Civil',
      skill ? 'S' : '', skill ? 'Spécialité ordinale' : '', skill?.[0] ?? '', skill?.[1] ?? ''].join('|');
    for (let a = 0; a < count; a++) {
      // 30 % of activities in one of the few hospitals, the rest in practices shared by a handful.
      const s = rand() < 0.3 ? Math.floor(rand() * hospitals) * 50 : Math.floor(rand() * structures);
      const liberal = s % 50 !== 0;
      const fields = [head, liberal ? 'L' : 'S', liberal ? 'Libéral,indépendant,artisan,commerçant' : 'Salarié',
        ...structureFields(s, seed), p.idType === '8' ? 'CNOM/CNOM/CNOM' : 'ARS/ARS/ARS',
        liberal ? 'SA07' : 'SA01', liberal ? 'Cabinet individuel' : 'Etablissement public de santé',
        p.profession[0] === '21' ? 'A' : '', p.profession[0] === '21' ? 'Pharmaciens titulaires d\'officine' : '',
        `FON-${String(1 + a).padStart(2, '0')}`, a === 0 ? 'Titulaire de cabinet' : 'Collaborateur', 'GENR01', 'Activité standard'];
      await out.write(`${fields.join('|')}|\n`);
      written++;
    }
    n++;
  }
  await out.close();
  return { lines: written, bytes: out.bytes, professionals: n };
}

/** A synthetic Extraction_Correspondance_MSSante file: 85 % PER boxes of the synthetic professionals, 15 % ORG, a few repeated addresses. */
export async function writeSyntheticMssante(file: string, options: SyntheticOptions): Promise<SyntheticFile> {
  const seed = options.seed ?? 1;
  const rand = random(seed + 100);
  const out = new ChunkWriter(file);
  await out.write(`${MSSANTE_HEADER.join('|')}\n`);
  let previous = '';
  let professionals = 0;
  for (let line = 0; line < options.lines; line++) {
    const city = pick(CITIES, rand());
    const address = ['', '', city[0] === '' ? '' : '1', '', 'R', 'RUE DE LA PAIX', '', `${city[0]} ${city[2].toUpperCase()}`, city[0], city[3], 'France'];
    let fields: string[];
    if (line > 0 && line % 3000 === 0) {
      fields = previous.split('|'); // a repeated address: merged by the import
    } else if (rand() < 0.85) {
      const p = syntheticProfessional(professionals++, seed);
      const local = `${p.firstName}.${p.lastName}`.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^A-Za-z.-]+/g, '-').toLowerCase();
      fields = ['PER', `${local}.${professionals}@${p.profession[0] === '10' ? 'medecin' : 'pro'}.mssante.fr`, p.idType, p.identifier, p.nationalId,
        '', '', '', p.profession[0] === '10' ? 'Docteur' : '', p.lastName, p.firstName, 'C', 'Civil', p.profession[0], p.profession[1], '', '', 'O',
        '', '', ...address];
    } else {
      fields = ['ORG', `service${line}@ch-${city[2].toLowerCase().replace(/[^a-z]+/g, '-')}.mssante.fr`, '', '', '', '1', `1${city[3].slice(0, 2)}0${String(line % 1_000_000).padStart(6, '0')}`,
        `Service ${line % 40}`, '', '', '', '', '', '', '', '', '', 'O', `CENTRE HOSPITALIER ${city[2].toUpperCase()}`, '', ...address];
    }
    previous = fields.join('|');
    await out.write(`${previous}\n`);
  }
  await out.close();
  return { lines: options.lines, bytes: out.bytes, professionals };
}
