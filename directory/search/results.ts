/** What a directory search returns: professionals and organisational/applicative boxes, with their secure addresses. */
import type { AddressNetwork } from '../types.js';

export interface SearchPage {
  total: number;
  page: number;
  pageSize: number;
  results: SearchResult[];
}

export type SearchResult = ProfessionalResult | BoxResult;

export interface SecureAddress {
  address: string;
  network: AddressNetwork | string;
  /** hosted (a box of this operator) | mssante-extraction | regional-list */
  source: string;
  /** Always true unless the search included hidden entries. */
  visible: boolean;
}

export interface PostalAddress {
  /** The address as it is written on an envelope, one line each, empty parts left out. */
  lines: string[];
  postalCode: string | null;
  city: string | null;
  communeCode: string | null;
  departmentCode: string | null;
}

export interface StructureSummary {
  id: number;
  name: string | null;
  tradeName: string | null;
  finessSite: string | null;
  finessLegal: string | null;
  siret: string | null;
}

export interface Coded {
  code: string;
  label: string | null;
}

export interface Specialty extends Coded {
  typeCode: string;
  typeLabel: string | null;
}

/** A place where the professional practises (an activity of the registry). */
export interface Practice {
  role: string | null;
  mode: string | null;
  sector: string | null;
  function: string | null;
  structure: StructureSummary | null;
  address: PostalAddress | null;
  phone: string | null;
  fax: string | null;
  /** From the centre of a radius search to the centre of this place's commune. */
  distanceKm?: number;
  vanished: boolean;
}

export interface ProfessionalResult {
  kind: 'professional';
  id: number;
  /** "8" + RPPS or "0" + ADELI. */
  nationalId: string;
  idType: 'RPPS' | 'ADELI';
  identifier: string;
  civility: string | null;
  lastName: string | null;
  firstName: string | null;
  profession: Coded | null;
  category: string | null;
  specialties: Specialty[];
  practices: Practice[];
  addresses: SecureAddress[];
  /** The nearest of its practices, in a radius search. */
  distanceKm?: number;
  vanished: boolean;
}

export interface BoxResult {
  kind: 'box';
  boxType: 'ORG' | 'APP';
  /** hosted: a box of this operator (id is the mailbox id); registry: known from the national extraction (id of the registry address). */
  source: 'hosted' | 'registry';
  id: number;
  name: string;
  description: string | null;
  structure: StructureSummary | null;
  address: PostalAddress | null;
  addresses: SecureAddress[];
  distanceKm?: number;
}
