/**
 * What a directory search asks, as callers write it (the webmail's address book, the
 * operator API), and its checked, normalised form. Every rule about bad input lives
 * here: an empty query, a radius of nothing or of half the country, a page that is not
 * a page, a name too short to search — each refused with a clear INVALID_INPUT.
 */
import { HygieError } from '../../core/errors.js';
import { normaliseDepartment, type PlaceHint } from './gazetteer.js';
import { searchTokens } from './text.js';

export type ResultKind = 'professional' | 'box';

export interface NearQuery {
  /** A city as a person types it: "Brest", "Saint-Denis (93)", "Paris 15e", "29200". */
  city: string;
  radiusKm: number;
  /** Tells namesakes apart ("Saint-Denis": 93 or 974). */
  department?: string;
  postalCode?: string;
}

export interface DirectoryQuery {
  /** Names, each word a prefix of a word of the last or first name ("mart je" finds Jean Martin); for boxes, of the box or its structure. An RPPS, ADELI or national identifier finds that professional. */
  text?: string;
  /** Profession code ("10") or label ("Médecin", "infirm"). */
  profession?: string;
  /** Specialty / savoir-faire code ("SM54") or label ("cardiologie"). */
  specialty?: string;
  /** Commune name or INSEE code; "Saint-Denis (93)" or `department` tells namesakes apart. */
  city?: string;
  postalCode?: string;
  department?: string;
  /** Structure name words, or its FINESS (9 digits) or SIRET (14 digits). */
  structure?: string;
  /** Within a radius of a city: "Brest, 2 km" or `{ city: 'Brest', radiusKm: 2 }`. */
  near?: string | NearQuery;
  /** Professionals, organisational/applicative boxes, or both (default). */
  kinds?: readonly ResultKind[];
}

export interface SearchOptions {
  /** 1-based. */
  page?: number;
  pageSize?: number;
  /** Operators: unpublished boxes, vanished registry rows and hidden addresses too (flagged). */
  includeHidden?: boolean;
  /** Professionals without any secure address too (the address book wants only people one can write to). */
  includeUnreachable?: boolean;
}

export const MAX_RADIUS_KM = 100;
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;
/** A name search needs one word of at least this many letters: "m" alone would read a twentieth of the country. */
export const MIN_DRIVING_TOKEN = 2;

export interface PlaceCriterion {
  readonly place: string;
  readonly hint: PlaceHint;
}

export interface Criteria {
  readonly tokens: readonly string[];
  readonly identifier?: string;
  readonly profession?: string;
  readonly specialty?: string;
  readonly city?: PlaceCriterion;
  readonly near?: PlaceCriterion & { readonly radiusKm: number };
  readonly postalCode?: string;
  readonly department?: string;
  readonly structure?: StructureCriterion;
  readonly kinds: ReadonlySet<ResultKind>;
  readonly page: number;
  readonly pageSize: number;
  readonly includeHidden: boolean;
  readonly includeUnreachable: boolean;
}

export interface StructureCriterion {
  readonly finess?: string;
  readonly siret?: string;
  readonly tokens?: readonly string[];
}

const IDENTIFIER = /^(?:\d{9}|\d{11}|\d{12})$/;
const POSTAL_CODE = /^\d{5}$/;
/** "Brest, 2 km", "Brest 2km", "Saint-Denis (93) ; 5,5 km". */
const NEAR_TEXT = /^(.*?)[\s,;]*(\d+(?:[.,]\d+)?)\s*km$/i;
/** A trailing "(93)" or "(93200)" after a city name. */
const PLACE_HINT = /^(.*?)\s*\((\d{2}|2[ab]|97\d|\d{5})\)$/i;

export function parseCriteria(query: DirectoryQuery, options: SearchOptions = {}): Criteria {
  if (typeof query !== 'object' || query === null) throw new HygieError('INVALID_INPUT', 'the query must be an object');
  const text = optionalString(query.text, 'text');
  const identifier = text && IDENTIFIER.test(text.replace(/\s/g, '')) ? text.replace(/\s/g, '') : undefined;
  const tokens = identifier ? [] : searchTokens(text ?? '');
  if (text !== undefined && !identifier && tokens.length === 0) throw new HygieError('INVALID_INPUT', 'the name to search has no letters');
  if (tokens.length > 0 && Math.max(...tokens.map((t) => t.length)) < MIN_DRIVING_TOKEN) {
    throw new HygieError('INVALID_INPUT', `name too short: type at least ${MIN_DRIVING_TOKEN} letters of a name`);
  }
  const postalCode = optionalString(query.postalCode, 'postalCode');
  if (postalCode !== undefined && !POSTAL_CODE.test(postalCode)) throw new HygieError('INVALID_INPUT', `not a postal code: "${postalCode}"`);
  const departmentText = optionalString(query.department, 'department');
  const department = departmentText === undefined ? undefined : normaliseDepartment(departmentText);
  const cityText = optionalString(query.city, 'city');
  const city = cityText === undefined ? undefined : placeCriterion(cityText, { department, postalCode });
  const near = query.near === undefined ? undefined : nearCriterion(query.near);
  const profession = optionalString(query.profession, 'profession');
  const specialty = optionalString(query.specialty, 'specialty');
  const structureText = optionalString(query.structure, 'structure');
  const structure = structureText === undefined ? undefined : structureCriterion(structureText);

  if (tokens.length === 0 && !identifier && !profession && !specialty && !city && !near && !postalCode && !department && !structure) {
    throw new HygieError('INVALID_INPUT', 'empty query: give a name, a profession, a specialty, a place or a structure');
  }
  return {
    tokens,
    ...(identifier ? { identifier } : {}),
    ...(profession ? { profession } : {}),
    ...(specialty ? { specialty } : {}),
    ...(city ? { city } : {}),
    ...(near ? { near } : {}),
    ...(postalCode ? { postalCode } : {}),
    ...(department ? { department } : {}),
    ...(structure ? { structure } : {}),
    kinds: kindsOf(query.kinds),
    ...paging(options),
    includeHidden: options.includeHidden === true,
    includeUnreachable: options.includeUnreachable === true,
  };
}

/** Reads "Brest, 2 km" (as regional directories let people type it). */
export function parseNear(text: string): NearQuery {
  const match = NEAR_TEXT.exec(text.trim());
  if (!match || !(match[1] as string).trim()) throw new HygieError('INVALID_INPUT', `expected "<city>, <radius> km", got "${text}"`);
  return { city: (match[1] as string).trim(), radiusKm: Number((match[2] as string).replace(',', '.')) };
}

function nearCriterion(near: string | NearQuery): PlaceCriterion & { radiusKm: number } {
  const parsed = typeof near === 'string' ? parseNear(near) : near;
  if (typeof parsed !== 'object' || parsed === null || typeof parsed.city !== 'string') throw new HygieError('INVALID_INPUT', 'near needs a city and a radius in km');
  const radiusKm = parsed.radiusKm;
  if (typeof radiusKm !== 'number' || !Number.isFinite(radiusKm) || radiusKm <= 0) {
    throw new HygieError('INVALID_INPUT', `radius must be a positive number of km, got ${String(radiusKm)}`);
  }
  if (radiusKm > MAX_RADIUS_KM) throw new HygieError('INVALID_INPUT', `radius ${radiusKm} km is over the ${MAX_RADIUS_KM} km maximum`);
  const postalCode = optionalString(parsed.postalCode, 'near.postalCode');
  if (postalCode !== undefined && !POSTAL_CODE.test(postalCode)) throw new HygieError('INVALID_INPUT', `not a postal code: "${postalCode}"`);
  const department = parsed.department === undefined ? undefined : normaliseDepartment(String(parsed.department));
  return { ...placeCriterion(parsed.city, { department, postalCode }), radiusKm };
}

function placeCriterion(text: string, hint: { department: string | undefined; postalCode: string | undefined }): PlaceCriterion {
  const trimmed = text.trim();
  if (!trimmed) throw new HygieError('INVALID_INPUT', 'empty city');
  const match = PLACE_HINT.exec(trimmed);
  const place = match ? (match[1] as string) : trimmed;
  const inParentheses = match?.[2]?.toUpperCase();
  const merged: PlaceHint = {};
  const department = inParentheses && inParentheses.length !== 5 ? inParentheses : hint.department;
  const postalCode = inParentheses?.length === 5 ? inParentheses : hint.postalCode;
  if (department) merged.department = department;
  if (postalCode) merged.postalCode = postalCode;
  return { place, hint: merged };
}

function structureCriterion(text: string): StructureCriterion {
  const compact = text.replace(/[\s.]/g, '');
  if (/^\d{9}$/.test(compact)) return { finess: compact };
  if (/^\d{14}$/.test(compact)) return { siret: compact };
  const tokens = searchTokens(text);
  if (tokens.length === 0) throw new HygieError('INVALID_INPUT', `not a structure name, FINESS or SIRET: "${text}"`);
  if (Math.max(...tokens.map((t) => t.length)) < MIN_DRIVING_TOKEN) throw new HygieError('INVALID_INPUT', 'structure name too short');
  return { tokens };
}

function kindsOf(kinds: readonly ResultKind[] | undefined): Set<ResultKind> {
  if (kinds === undefined) return new Set(['professional', 'box']);
  if (!Array.isArray(kinds) || kinds.length === 0 || kinds.some((k) => k !== 'professional' && k !== 'box')) {
    throw new HygieError('INVALID_INPUT', 'kinds must list "professional" and/or "box"');
  }
  return new Set(kinds);
}

function paging(options: SearchOptions): { page: number; pageSize: number } {
  const page = options.page ?? 1;
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(page) || page < 1) throw new HygieError('INVALID_INPUT', `page must be a whole number from 1, got ${String(page)}`);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new HygieError('INVALID_INPUT', `page size must be a whole number from 1 to ${MAX_PAGE_SIZE}, got ${String(pageSize)}`);
  }
  return { page, pageSize };
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new HygieError('INVALID_INPUT', `${field} must be text`);
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}
