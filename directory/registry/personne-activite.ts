/**
 * PS_LibreAcces_Personne_activite: one line per professional × activity (56 columns; the
 * 2017–2018 files stop at 48, the last eight are then absent). A line gives the
 * professional (once per professional: repeats are skipped), their skill (columns 14–17,
 * when present), the structure where they practise (once per structure per import) and
 * the activity itself, keyed by a digest of its natural key.
 */
import { hash } from 'node:crypto';
import { readIdentity, type FieldReader } from './fields.js';
import { defineKind, type KindHandler, type PendingWrite } from './kind.js';
import type { ImportKind } from './kinds.js';
import { jsonStrings, type SqlRunner } from './sql.js';
import { ACTIVITIES, PROFESSIONALS, SKILLS, SKILLS_BY_NATIONAL_ID, STRUCTURES } from './tables.js';
import { detached, searchKey } from './text.js';
import type { ImportStamp } from './upsert.js';

const COLUMNS = {
  idType: { header: 'Type d\'identifiant PP', required: true },
  identifier: { header: 'Identifiant PP', required: true, max: 11 },
  nationalId: { header: 'Identification nationale PP', required: true, max: 12 },
  exerciseCivilityCode: { header: 'Code civilité d\'exercice', aliases: ['Code civilité exercice'], max: 8 },
  exerciseCivility: { header: 'Libellé civilité d\'exercice', aliases: ['Libellé civilité exercice'], max: 32 },
  civilityCode: { header: 'Code civilité', max: 8 },
  civility: { header: 'Libellé civilité', max: 32 },
  lastName: { header: 'Nom d\'exercice', required: true, max: 128 },
  firstName: { header: 'Prénom d\'exercice', required: true, max: 128 },
  professionCode: { header: 'Code profession', required: true, max: 8 },
  profession: { header: 'Libellé profession', max: 128 },
  categoryCode: { header: 'Code catégorie professionnelle', max: 8 },
  category: { header: 'Libellé catégorie professionnelle', max: 64 },
  skillTypeCode: { header: 'Code type savoir-faire', max: 8 },
  skillType: { header: 'Libellé type savoir-faire', max: 128 },
  skillCode: { header: 'Code savoir-faire', max: 16 },
  skill: { header: 'Libellé savoir-faire', max: 256 },
  modeCode: { header: 'Code mode exercice', required: true, max: 8 },
  mode: { header: 'Libellé mode exercice', max: 64 },
  siret: { header: 'Numéro SIRET site', max: 14 },
  siren: { header: 'Numéro SIREN site', max: 9 },
  finessSite: { header: 'Numéro FINESS site', max: 9 },
  finessLegal: { header: 'Numéro FINESS établissement juridique', max: 9 },
  structureId: { header: 'Identifiant technique de la structure', aliases: ['Identifiant structure'], required: true, max: 64 },
  name: { header: 'Raison sociale site', required: true, max: 256 },
  tradeName: { header: 'Enseigne commerciale site', max: 256 },
  recipient: { header: 'Complément destinataire (coord. structure)', max: 128 },
  point: { header: 'Complément point géographique (coord. structure)', max: 128 },
  streetNumber: { header: 'Numéro Voie (coord. structure)', max: 16 },
  repetition: { header: 'Indice répétition voie (coord. structure)', max: 16 },
  streetTypeCode: { header: 'Code type de voie (coord. structure)', max: 64 },
  streetType: { header: 'Libellé type de voie (coord. structure)', max: 64 },
  streetName: { header: 'Libellé Voie (coord. structure)', max: 128 },
  mention: { header: 'Mention distribution (coord. structure)', max: 128 },
  cedex: { header: 'Bureau cedex (coord. structure)', max: 64 },
  postalCode: { header: 'Code postal (coord. structure)', max: 10 },
  communeCode: { header: 'Code commune (coord. structure)', max: 10 },
  city: { header: 'Libellé commune (coord. structure)', max: 128 },
  countryCode: { header: 'Code pays (coord. structure)', max: 8 },
  country: { header: 'Libellé pays (coord. structure)', max: 64 },
  phone: { header: 'Téléphone (coord. structure)', max: 32 },
  phone2: { header: 'Téléphone 2 (coord. structure)', max: 32 },
  fax: { header: 'Télécopie (coord. structure)', max: 32 },
  email: { header: 'Adresse e-mail (coord. structure)', max: 320 },
  departmentCode: { header: 'Code Département (structure)', max: 4 },
  department: { header: 'Libellé Département (structure)', max: 64 },
  formerStructureId: { header: 'Ancien identifiant de la structure' },
  authority: { header: 'Autorité d\'enregistrement', max: 64 },
  sectorCode: { header: 'Code secteur d\'activité', max: 8 },
  sector: { header: 'Libellé secteur d\'activité', max: 128 },
  sectionCode: { header: 'Code section tableau pharmaciens', max: 8 },
  section: { header: 'Libellé section tableau pharmaciens', max: 128 },
  roleCode: { header: 'Code rôle', max: 8 },
  role: { header: 'Libellé rôle', max: 128 },
  genreCode: { header: 'Code genre activité', max: 8 },
  genre: { header: 'Libellé genre activité', max: 128 },
} as const;

type Column = keyof typeof COLUMNS;

/** The 56 column names as published, in order. */
export const PERSONNE_ACTIVITE_HEADER: readonly string[] = Object.values(COLUMNS).map((c) => c.header);

/**
 * The activity's key: the national identifier, then a digest of the rest of its natural
 * key (structure, role, mode, genre, sector, pharmacist section). Leading with the
 * identifier keeps a professional's activities together in the unique index, so a file
 * ordered by professional is written in index order rather than at random.
 */
export function activityKey(nationalId: string, structureId: string | null, role: string | null, mode: string | null,
  genre: string | null, sector: string | null, section: string | null): string {
  const rest = `${structureId ?? ''}|${role ?? ''}|${mode ?? ''}|${genre ?? ''}|${sector ?? ''}|${section ?? ''}`;
  return `${nationalId}-${hash('sha256', rest, 'base64url').slice(0, 22)}`;
}

class PersonneActiviteHandler implements KindHandler {
  pending = 0;
  private professionals = new Map<string, unknown[]>();
  private structures = new Map<string, unknown[]>();
  private skills = new Map<string, unknown[]>();
  private activities = new Map<string, unknown[]>();
  /** Structures already taken for writing in this import: a hospital appears on thousands of lines. */
  private readonly structuresTaken = new Set<string>();
  /** The previous line's professional, already buffered or written (lines come grouped by professional). */
  private previousProfessional = '';

  constructor(private readonly f: FieldReader<Column>) {}

  line(): void {
    const f = this.f;
    const c = f.columns;
    const { idType, identifier, nationalId } = readIdentity(f);
    // Every value is read (and checked) before anything is buffered: a refused line leaves no row behind.
    const professional = nationalId === this.previousProfessional || this.professionals.has(nationalId) ? undefined : this.professionalRow(nationalId, idType, identifier);
    const structureId = f.get(c.structureId);
    const structure = structureId === null || this.structuresTaken.has(structureId) || this.structures.has(structureId) ? undefined : this.structureRow(structureId);
    const skillCode = f.get(c.skillCode);
    const skillTypeCode = f.get(c.skillTypeCode) ?? '';
    const skill = skillCode === null ? undefined : [nationalId, skillTypeCode, f.get(c.skillType), skillCode, f.get(c.skill)];
    const activity = this.activityRow(nationalId, structureId);

    if (professional) this.professionals.set(nationalId, professional);
    this.previousProfessional = nationalId;
    if (structure && structureId !== null) this.structures.set(structureId, structure);
    if (skill) this.skills.set(`${nationalId}|${skillTypeCode}|${skillCode}`, skill);
    if (activity) this.activities.set(activity[0] as string, activity);
    this.pending++;
  }

  private professionalRow(nationalId: string, idType: string, identifier: string): unknown[] {
    const f = this.f;
    const c = f.columns;
    const lastName = f.required(c.lastName);
    const firstName = f.get(c.firstName);
    return [
      nationalId, idType, identifier, f.get(c.civilityCode), f.get(c.civility), f.get(c.exerciseCivilityCode), f.get(c.exerciseCivility),
      lastName, firstName, f.required(c.professionCode), f.get(c.profession), f.get(c.categoryCode), f.get(c.category),
      searchKey(lastName, firstName),
    ];
  }

  private structureRow(structureId: string): unknown[] {
    const f = this.f;
    const c = f.columns;
    const name = f.get(c.name);
    const tradeName = f.get(c.tradeName);
    return [
      structureId, f.get(c.finessSite), f.get(c.finessLegal), f.get(c.siret), f.get(c.siren), name, tradeName, searchKey(name ?? tradeName),
      f.get(c.recipient), f.get(c.point), f.get(c.streetNumber), f.get(c.repetition), f.get(c.streetType) ?? f.get(c.streetTypeCode),
      f.get(c.streetName), f.get(c.mention), f.get(c.cedex), f.get(c.postalCode), f.get(c.communeCode), f.get(c.city),
      f.get(c.countryCode), f.get(c.country), f.get(c.departmentCode), f.get(c.department),
      f.get(c.phone), f.get(c.phone2), f.get(c.fax), f.get(c.email),
    ];
  }

  /** Undefined for a professional registered without any activity (no structure, mode or role). */
  private activityRow(nationalId: string, structureId: string | null): unknown[] | undefined {
    const f = this.f;
    const c = f.columns;
    const modeCode = f.get(c.modeCode);
    const roleCode = f.get(c.roleCode);
    const genreCode = f.get(c.genreCode);
    const sectorCode = f.get(c.sectorCode);
    const sectionCode = f.get(c.sectionCode);
    if (structureId === null && modeCode === null && roleCode === null && sectorCode === null) return undefined;
    return [
      activityKey(nationalId, structureId, roleCode, modeCode, genreCode, sectorCode, sectionCode), nationalId, structureId,
      modeCode, f.get(c.mode), sectorCode, f.get(c.sector), sectionCode, f.get(c.section),
      roleCode, f.get(c.role), genreCode, f.get(c.genre), f.get(c.authority),
    ];
  }

  take(): PendingWrite {
    const professionals = [...this.professionals.values()];
    const structures = [...this.structures.values()];
    const skills = [...this.skills.values()];
    const activities = [...this.activities.values()];
    for (const id of this.structures.keys()) this.structuresTaken.add(detached(id));
    this.professionals = new Map();
    this.structures = new Map();
    this.skills = new Map();
    this.activities = new Map();
    this.pending = 0;
    // Professionals and structures first: skills and activities name them by natural key,
    // which their statements turn into ids (nothing is read back). The two statements of
    // each pair are sent together, so that the database goes from one to the next without
    // waiting for the main thread to finish parsing its block and hear that the first is done.
    return async (writer) => {
      await Promise.all([writer.upsert(PROFESSIONALS, professionals), writer.upsert(STRUCTURES, structures)]);
      await Promise.all([writer.upsert(SKILLS_BY_NATIONAL_ID, skills), writer.upsert(ACTIVITIES, activities)]);
      return [];
    };
  }

  /** The professional of a refused line, when its identity columns are valid. */
  keyOfRefused(): string | undefined {
    try {
      return readIdentity(this.f).nationalId;
    } catch {
      return undefined;
    }
  }

  /**
   * Professionals whose line was refused (an empty mandatory field, a wrong column count)
   * keep what earlier extractions of this kind said of them: they, their activities, the
   * structures of those and their skills count as seen by this import.
   */
  async keepRefused(runner: SqlRunner, stamp: ImportStamp, kind: ImportKind, nationalIds: readonly string[]): Promise<number> {
    const ids = runner.json(nationalIds);
    const owned = `vanished_at IS NULL AND import_id <> ? AND import_id IN (SELECT id FROM imports WHERE kind = ?)`;
    const professionals = `SELECT id FROM professionals WHERE national_id IN (${jsonStrings(runner.engine)})`;
    const kept = await runner.run(`UPDATE professionals SET import_id = ? WHERE national_id IN (${jsonStrings(runner.engine)}) AND ${owned}`, [stamp.importId, ids, stamp.importId, kind]);
    await runner.run(`UPDATE structures SET import_id = ? WHERE id IN (SELECT structure_id FROM activities WHERE vanished_at IS NULL AND professional_id IN (${professionals})) AND ${owned}`,
      [stamp.importId, ids, stamp.importId, kind]);
    for (const table of ['activities', 'professional_skills']) {
      await runner.run(`UPDATE ${table} SET import_id = ? WHERE professional_id IN (${professionals}) AND ${owned}`, [stamp.importId, ids, stamp.importId, kind]);
    }
    return kept;
  }

  /** Addresses imported before their professional get linked now. */
  async finish(runner: Parameters<NonNullable<KindHandler['finish']>>[0]): Promise<void> {
    await runner.run(`UPDATE registry_addresses SET professional_id = (SELECT p.id FROM professionals p WHERE p.national_id = registry_addresses.national_id)
      WHERE professional_id IS NULL AND national_id IS NOT NULL`);
  }
}

export const personneActivite = defineKind({
  kind: 'personne-activite',
  title: 'PS_LibreAcces_Personne_activite',
  separators: ['|'],
  columns: COLUMNS,
  tables: [PROFESSIONALS, STRUCTURES, ACTIVITIES, SKILLS],
  createHandler: (fields) => new PersonneActiviteHandler(fields),
});
