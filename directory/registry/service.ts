/**
 * The registry as operators use it, from the command line and (later) the operator HTTP
 * API alike: import extraction files, read the history of imports and their rejected
 * lines, and show what the directory knows of a professional.
 */
import type { Knex } from 'knex';
import type { AuditTrail } from '../../core/audit.js';
import type { Clock } from '../../core/clock.js';
import { HygieError } from '../../core/errors.js';
import { requireProfessional } from '../directory-refs.js';
import { runImport, type ImportResult, type ImportRunOptions, type StoredRejection, type TableFigures, type VanishGuard } from './importer.js';
import type { ImportKind } from './kinds.js';
import type { Language, RejectionCode } from './rejections.js';
import { resolveSources, type ImportSource } from './sources.js';

export interface RegistryServiceOptions {
  db: Knex;
  clock: Clock;
  audit: AuditTrail;
  /** Of rejection reasons and failure messages stored with imports (default fr). */
  language?: Language;
  /** Rejected lines stored per import, with their reason (default 1000; all are counted). */
  maxStoredRejections?: number;
  /** Lines read between two batched writes (default 512: rows then die young, in V8 and in memory). */
  batchLines?: number;
  /** SQLite page cache while importing, MiB (default 16: with the secondary indexes suspended, the writes are mostly appends). */
  sqliteCacheMiB?: number;
  /** How much one import may mark vanished (default 10 % beyond 100 rows, as the configuration's). */
  vanishGuard?: VanishGuard;
}

export interface ImportFilesOptions extends ImportRunOptions {
  /** Overrides the kind file names announce (see resolveSources). */
  kind?: ImportKind;
  /** Told of each file's result as soon as it is known. */
  onResult?: (result: ImportResult) => void;
}

export interface ImportSummary {
  id: number;
  kind: ImportKind;
  fileName: string;
  extractionDate: string | null;
  startedAt: string;
  finishedAt: string | null;
  status: 'running' | 'done' | 'failed';
  actor: string;
  lines: number;
  accepted: number;
  rejected: number;
  added: number;
  updated: number;
  vanished: number;
  error: string | null;
  tables: Record<string, TableFigures>;
  rejectionsByCode: Partial<Record<RejectionCode, number>>;
  notes: Record<string, number>;
}

export interface StructureRecord {
  id: number;
  technicalId: string;
  name: string | null;
  tradeName: string | null;
  finessSite: string | null;
  finessLegal: string | null;
  siret: string | null;
  /** Address lines as printed on an envelope. */
  address: string[];
  postalCode: string | null;
  city: string | null;
  departmentCode: string | null;
  phone: string | null;
  fax: string | null;
  email: string | null;
  vanishedAt: string | null;
}

export interface ActivityRecord {
  mode: string | null;
  role: string | null;
  sector: string | null;
  genre: string | null;
  pharmacySection: string | null;
  registrationAuthority: string | null;
  vanishedAt: string | null;
  structure: StructureRecord | null;
}

export interface ProfessionalRecord {
  id: number;
  nationalId: string;
  idType: '8' | '0';
  identifier: string;
  civility: string | null;
  exerciseCivility: string | null;
  lastName: string | null;
  firstName: string | null;
  professionCode: string | null;
  profession: string | null;
  categoryCode: string | null;
  category: string | null;
  source: string;
  updatedAt: string;
  vanishedAt: string | null;
  skills: Array<{ typeCode: string; typeLabel: string | null; code: string; label: string | null; vanishedAt: string | null }>;
  diplomas: Array<{ kind: string; typeCode: string; typeLabel: string | null; code: string; label: string | null; vanishedAt: string | null }>;
  activities: ActivityRecord[];
  /** Secure addresses: of boxes hosted here and known from extractions and regional lists. */
  addresses: Array<{ address: string; network: string; boxType: string; source: string; visible: boolean; mailboxId: number | null }>;
}

interface Row { [column: string]: unknown }

/**
 * The configuration's defaults (registry.* in core/config.ts), for callers that pass none.
 * Not read from there: the import child of the benchmark would load the configuration
 * module and its YAML parser for two numbers, and its peak memory then came out 50 MiB
 * higher in three runs of five (never in six without; measured, not explained).
 */
const DEFAULT_VANISH_GUARD: VanishGuard = { maxPercent: 10, alwaysAccepted: 100 };

export class RegistryService {
  private readonly db: Knex;

  constructor(private readonly options: RegistryServiceOptions) {
    this.db = options.db;
  }

  /**
   * Imports the files (plain or ZIP), professionals first. Every file is checked before
   * the first is imported; the imports stop at the first that fails (its data untouched).
   */
  async importFiles(paths: readonly string[], options: ImportFilesOptions): Promise<ImportResult[]> {
    return this.importSources(await resolveSources(paths, options.kind), options);
  }

  async importSources(sources: readonly ImportSource[], options: ImportFilesOptions): Promise<ImportResult[]> {
    const results: ImportResult[] = [];
    for (const source of sources) {
      const result = await runImport({
        db: this.db, clock: this.options.clock, audit: this.options.audit, language: this.options.language ?? 'fr',
        maxStoredRejections: this.options.maxStoredRejections ?? 1000, batchLines: this.options.batchLines ?? 512,
        sqliteCacheMiB: this.options.sqliteCacheMiB ?? 16,
        vanishGuard: this.options.vanishGuard ?? DEFAULT_VANISH_GUARD,
      }, source, options);
      results.push(result);
      options.onResult?.(result);
      if (result.status === 'failed') break;
    }
    return results;
  }

  /** The newest imports first. */
  async listImports(filter: { kind?: ImportKind; limit?: number } = {}): Promise<ImportSummary[]> {
    let query = this.db('imports').orderBy('id', 'desc').limit(filter.limit ?? 50);
    if (filter.kind) query = query.where('kind', filter.kind);
    return (await query).map(summaryOf);
  }

  async getImport(id: number): Promise<ImportSummary> {
    const row = await this.db('imports').where({ id }).first();
    if (!row) throw new HygieError('NOT_FOUND', `no import ${id}`);
    return summaryOf(row);
  }

  /** The stored rejections of an import, by line number. */
  async rejections(importId: number, page: { limit?: number; offset?: number } = {}): Promise<StoredRejection[]> {
    await this.getImport(importId);
    const rows = await this.db('import_rejections').where({ import_id: importId })
      .orderBy('line_number').limit(page.limit ?? 100).offset(page.offset ?? 0);
    return rows.map((r: Row) => ({ line: Number(r.line_number), reason: r.reason as string, excerpt: (r.excerpt as string | null) ?? null }));
  }

  /** A professional by RPPS, ADELI or national identifier, with everything the directory links to them. */
  async professional(reference: string): Promise<ProfessionalRecord> {
    const { id } = await requireProfessional(this.db, reference);
    const p = await this.db('professionals').where({ id }).first() as Row;
    const skills = await this.db('professional_skills').where({ professional_id: id }).orderBy(['type_code', 'code']);
    const diplomas = await this.db('professional_diplomas').where({ professional_id: id }).orderBy(['kind', 'type_code', 'code']);
    const activities = await this.db('activities as a').leftJoin('structures as s', 's.id', 'a.structure_id')
      .where('a.professional_id', id).orderBy('a.id')
      .select('a.mode', 'a.role', 'a.sector', 'a.genre', 'a.pharmacy_section', 'a.registration_authority', 'a.vanished_at',
        's.id as s_id', 's.technical_id', 's.name', 's.trade_name', 's.finess_site', 's.finess_legal', 's.siret',
        's.address_recipient', 's.address_point', 's.street_number', 's.street_repetition', 's.street_type', 's.street_name',
        's.address_mention', 's.cedex', 's.postal_code', 's.city', 's.department_code', 's.phone', 's.fax', 's.email', 's.vanished_at as s_vanished_at');
    const addresses = await this.db('directory_addresses').where('professional_id', id).orWhere('national_id', p.national_id as string).orderBy('address');
    return {
      id, nationalId: p.national_id as string, idType: p.id_type as '8' | '0', identifier: p.identifier as string,
      civility: nullable(p.civility), exerciseCivility: nullable(p.exercise_civility), lastName: nullable(p.last_name), firstName: nullable(p.first_name),
      professionCode: nullable(p.profession_code), profession: nullable(p.profession), categoryCode: nullable(p.category_code), category: nullable(p.category),
      source: p.source as string, updatedAt: p.updated_at as string, vanishedAt: nullable(p.vanished_at),
      skills: skills.map((s: Row) => ({ typeCode: s.type_code as string, typeLabel: nullable(s.type_label), code: s.code as string, label: nullable(s.label), vanishedAt: nullable(s.vanished_at) })),
      diplomas: diplomas.map((d: Row) => ({ kind: d.kind as string, typeCode: d.type_code as string, typeLabel: nullable(d.type_label), code: d.code as string, label: nullable(d.label), vanishedAt: nullable(d.vanished_at) })),
      activities: activities.map((a: Row) => ({
        mode: nullable(a.mode), role: nullable(a.role), sector: nullable(a.sector), genre: nullable(a.genre), pharmacySection: nullable(a.pharmacy_section),
        registrationAuthority: nullable(a.registration_authority), vanishedAt: nullable(a.vanished_at),
        structure: a.s_id === null || a.s_id === undefined ? null : {
          id: Number(a.s_id), technicalId: a.technical_id as string, name: nullable(a.name), tradeName: nullable(a.trade_name),
          finessSite: nullable(a.finess_site), finessLegal: nullable(a.finess_legal), siret: nullable(a.siret),
          address: postalLines(a), postalCode: nullable(a.postal_code), city: nullable(a.city), departmentCode: nullable(a.department_code),
          phone: nullable(a.phone), fax: nullable(a.fax), email: nullable(a.email), vanishedAt: nullable(a.s_vanished_at),
        },
      })),
      addresses: addresses.map((a: Row) => ({
        address: a.address as string, network: a.network as string, boxType: a.box_type as string, source: a.source as string,
        visible: Number(a.visible) === 1, mailboxId: a.mailbox_id === null ? null : Number(a.mailbox_id),
      })),
    };
  }
}

function nullable(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** The street part of an address, one line per non-empty element, as the French postal norm orders them. */
function postalLines(a: Row): string[] {
  const street = [a.street_number, a.street_repetition, a.street_type, a.street_name].filter((v) => v).join(' ');
  return [a.address_recipient, a.address_point, street, a.address_mention, a.cedex].filter((v): v is string => typeof v === 'string' && v !== '');
}

function summaryOf(row: Row): ImportSummary {
  const details = typeof row.details === 'string' ? JSON.parse(row.details) as Partial<ImportSummary> : {};
  return {
    id: Number(row.id), kind: row.kind as ImportKind, fileName: row.file_name as string, extractionDate: nullable(row.extraction_date),
    startedAt: row.started_at as string, finishedAt: nullable(row.finished_at), status: row.status as ImportSummary['status'], actor: row.actor as string,
    lines: Number(row.lines), accepted: Number(row.accepted), rejected: Number(row.rejected),
    added: Number(row.added), updated: Number(row.updated), vanished: Number(row.vanished), error: nullable(row.error),
    tables: details.tables ?? {}, rejectionsByCode: details.rejectionsByCode ?? {}, notes: details.notes ?? {},
  };
}
