/**
 * How operators name a professional or a structure of the directory when they create a
 * box: an RPPS (11 digits), an ADELI (9), a national identifier (8+RPPS, 0+ADELI), a
 * FINESS (9), a SIRET (14) or a structure's technical identifier.
 */
import type { Knex } from 'knex';
import { HygieError } from '../core/errors.js';

export interface ProfessionalRef {
  id: number;
  nationalId: string;
  idType: '8' | '0';
  identifier: string;
  firstName: string | null;
  lastName: string | null;
  profession: string | null;
}

export interface StructureRef {
  id: number;
  technicalId: string;
  name: string | null;
  finessSite: string | null;
}

export async function requireProfessional(db: Knex | Knex.Transaction, reference: string): Promise<ProfessionalRef> {
  const ref = reference.trim().toUpperCase();
  const nationalId = /^\d{11}$/.test(ref) ? `8${ref}` : /^(\d{2}|2A|2B)\d{7}$/.test(ref) ? `0${ref}` : ref;
  const row = await db('professionals').where({ national_id: nationalId }).first();
  if (!row) throw new HygieError('PROFESSIONAL_NOT_FOUND', `no professional with identifier "${reference}" in the directory (import the registry extraction first)`);
  return {
    id: Number(row.id), nationalId: row.national_id, idType: row.id_type, identifier: row.identifier,
    firstName: row.first_name, lastName: row.last_name, profession: row.profession,
  };
}

export async function requireStructure(db: Knex | Knex.Transaction, reference: string): Promise<StructureRef> {
  const ref = reference.trim();
  const row = await db('structures')
    .where({ technical_id: ref })
    .orWhere({ finess_site: ref })
    .orWhere({ finess_legal: ref })
    .orWhere({ siret: ref })
    .orderByRaw('CASE WHEN technical_id = ? THEN 0 WHEN finess_site = ? THEN 1 ELSE 2 END', [ref, ref])
    .first();
  if (!row) throw new HygieError('STRUCTURE_NOT_FOUND', `no structure with identifier "${reference}" (FINESS, SIRET or technical id) in the directory`);
  return { id: Number(row.id), technicalId: row.technical_id, name: row.name, finessSite: row.finess_site };
}
