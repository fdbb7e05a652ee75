/**
 * PS_LibreAcces_SavoirFaire (13 columns: a professional's specialties and competences)
 * and PS_LibreAcces_Dipl_AutExerc (13 columns: diplomas obtained and authorisations to
 * practise). Both name the professional by national identifier.
 */
import { readIdentity, type FieldReader } from './fields.js';
import { defineKind, type KindHandler, type PendingWrite } from './kind.js';
import { LinkedRows } from './linked-rows.js';
import { Rejected } from './rejections.js';
import { DIPLOMAS, SKILLS } from './tables.js';

const IDENTITY = {
  idType: { header: 'Type d\'identifiant PP', required: true },
  identifier: { header: 'Identifiant PP', required: true, max: 11 },
  nationalId: { header: 'Identification nationale PP', required: true, max: 12 },
  lastName: { header: 'Nom d\'exercice', required: true },
  firstName: { header: 'Prénom d\'exercice' },
} as const;

const SKILL_COLUMNS = {
  ...IDENTITY,
  professionCode: { header: 'Code profession' },
  profession: { header: 'Libellé profession' },
  categoryCode: { header: 'Code catégorie professionnelle' },
  category: { header: 'Libellé catégorie professionnelle' },
  typeCode: { header: 'Code type savoir-faire', required: true, max: 8 },
  typeLabel: { header: 'Libellé type savoir-faire', max: 128 },
  code: { header: 'Code savoir-faire', required: true, max: 16 },
  label: { header: 'Libellé savoir-faire', max: 256 },
} as const;

class SkillsHandler implements KindHandler {
  private readonly rows = new LinkedRows(SKILLS);

  constructor(private readonly f: FieldReader<keyof typeof SKILL_COLUMNS>) {}

  get pending(): number { return this.rows.pending; }

  line(lineNumber: number, text: string): void {
    const f = this.f;
    const c = f.columns;
    const { nationalId } = readIdentity(f);
    this.rows.add(lineNumber, text, nationalId, [[nationalId, f.get(c.typeCode) ?? '', f.get(c.typeLabel), f.required(c.code), f.get(c.label)]]);
  }

  take(): PendingWrite { return this.rows.take(); }
}

export const savoirFaire = defineKind({
  kind: 'savoir-faire',
  title: 'PS_LibreAcces_SavoirFaire',
  separators: ['|'],
  columns: SKILL_COLUMNS,
  tables: [SKILLS],
  createHandler: (fields) => new SkillsHandler(fields),
});

const DIPLOMA_COLUMNS = {
  ...IDENTITY,
  diplomaTypeCode: { header: 'Code type diplôme obtenu', max: 16 },
  diplomaType: { header: 'Libellé type diplôme obtenu', max: 128 },
  diplomaCode: { header: 'Code diplôme obtenu', required: true, max: 32 },
  diploma: { header: 'Libellé diplôme obtenu', max: 256 },
  authorisationTypeCode: { header: 'Code type autorisation', required: true, max: 16 },
  authorisationType: { header: 'Libellé type autorisation', max: 128 },
  disciplineCode: { header: 'Code discipline autorisation', max: 32 },
  discipline: { header: 'Libellé discipline autorisation', max: 256 },
} as const;

/** A line may give a diploma, an authorisation to practise, or both. */
class DiplomasHandler implements KindHandler {
  private readonly rows = new LinkedRows(DIPLOMAS);

  constructor(private readonly f: FieldReader<keyof typeof DIPLOMA_COLUMNS>) {}

  get pending(): number { return this.rows.pending; }

  line(lineNumber: number, text: string): void {
    const f = this.f;
    const c = f.columns;
    const { nationalId } = readIdentity(f);
    const rows: unknown[][] = [];
    const diplomaType = f.get(c.diplomaTypeCode);
    const diploma = f.get(c.diplomaCode);
    if (diplomaType !== null || diploma !== null) rows.push([nationalId, 'diploma', diplomaType ?? '', f.get(c.diplomaType), diploma ?? '', f.get(c.diploma)]);
    const authorisationType = f.get(c.authorisationTypeCode);
    const discipline = f.get(c.disciplineCode);
    if (authorisationType !== null || discipline !== null) rows.push([nationalId, 'authorisation', authorisationType ?? '', f.get(c.authorisationType), discipline ?? '', f.get(c.discipline)]);
    if (rows.length === 0) throw new Rejected('missing', { column: c.diplomaCode.header });
    this.rows.add(lineNumber, text, nationalId, rows);
  }

  take(): PendingWrite { return this.rows.take(); }
}

export const diplomas = defineKind({
  kind: 'diplomes',
  title: 'PS_LibreAcces_Dipl_AutExerc',
  separators: ['|'],
  columns: DIPLOMA_COLUMNS,
  tables: [DIPLOMAS],
  createHandler: (fields) => new DiplomasHandler(fields),
});
