/**
 * The communes of France in memory: names, INSEE codes, postal codes, departments, the
 * municipal arrondissements of Paris, Lyon and Marseille, delegated and associated
 * communes, and — when given — each commune's centre. It turns what a person types
 * ("Brest", "st denis 93", "Paris 15e", "29200") into communes, and a city and a radius
 * into the communes whose centre lies within it (haversine over the whole list: 35 000
 * communes take well under a millisecond each time, no spatial index needed).
 */
import { HygieError } from '../../core/errors.js';
import { searchKey, withSaintAbbreviated, withSaintSpelledOut } from './text.js';

export interface GeoPoint {
  readonly lat: number;
  readonly lon: number;
}

export type CommuneKind = 'commune' | 'arrondissement' | 'delegated' | 'associated';

export interface Commune {
  /** INSEE code (COG), e.g. "29019", "2A004", "75115". */
  readonly code: string;
  readonly name: string;
  /** "29", "2A", "974". */
  readonly department: string;
  readonly postalCodes: readonly string[];
  readonly kind: CommuneKind;
  /** Arrondissement → its city (75056); delegated or associated commune → the commune it belongs to. */
  readonly parent?: string;
  /** Codes the commune had before a merger: older registry rows may still carry them. */
  readonly formerCodes: readonly string[];
  readonly population?: number;
  readonly centre?: GeoPoint;
}

/** What a place filter matches: communes by code, each with its distance from the centre of a radius search. */
export interface CommuneDistance {
  readonly commune: Commune;
  readonly km: number;
}

/** Hints that pick one commune among namesakes ("Saint-Denis" in 93 or in 974). */
export interface PlaceHint {
  department?: string;
  postalCode?: string;
}

const EARTH_RADIUS_KM = 6371.0088;

export function haversineKm(a: GeoPoint, b: GeoPoint): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** A city typed as "Paris 15", "Lyon 3e", "Marseille 1er arrondissement". */
const ARRONDISSEMENT = /^(paris|lyon|marseille) (\d{1,2}) ?(?:e|er|eme|ieme)?(?: arrondissement)?$/;
const CITY_CODES: Record<string, string> = { paris: '75056', lyon: '69123', marseille: '13055' };
const POSTAL_CODE = /^\d{5}$/;
const INSEE_CODE = /^(?:\d{2}|2[ab])\d{3}$/i;
const DEPARTMENT = /^(?:\d{2}|2[ab]|97\d)$/i;

export function normaliseDepartment(value: string): string {
  const department = value.trim().toUpperCase();
  if (!DEPARTMENT.test(department)) throw new HygieError('INVALID_INPUT', `not a department code: "${value}" (expected e.g. 29, 2A, 974)`);
  return department;
}

export class CommuneGazetteer {
  private readonly byCodeIndex = new Map<string, Commune>();
  private readonly byNameIndex = new Map<string, Commune[]>();
  private readonly byPostalCodeIndex = new Map<string, Commune[]>();
  private readonly childrenIndex = new Map<string, Commune[]>();
  private readonly located: Commune[];

  constructor(readonly communes: readonly Commune[]) {
    for (const commune of communes) {
      // A delegated commune may share its code with the commune it belongs to: the commune wins.
      const existing = this.byCodeIndex.get(commune.code);
      if (!existing || (existing.kind !== 'commune' && commune.kind === 'commune')) this.byCodeIndex.set(commune.code, commune);
      for (const key of nameKeys(commune)) push(this.byNameIndex, key, commune);
      if (commune.kind === 'commune' || commune.kind === 'arrondissement') {
        for (const postalCode of commune.postalCodes) push(this.byPostalCodeIndex, postalCode, commune);
      }
      if (commune.parent && commune.parent !== commune.code) push(this.childrenIndex, commune.parent, commune);
    }
    this.located = communes.filter((c) => c.centre && (c.kind === 'commune' || c.kind === 'arrondissement'));
  }

  /** Whether commune centres were loaded: without them a radius search cannot be answered. */
  get hasCentres(): boolean {
    return this.located.length > 0;
  }

  byCode(code: string): Commune | undefined {
    return this.byCodeIndex.get(code.toUpperCase());
  }

  /** Communes (and arrondissements) a postal code serves. */
  byPostalCode(postalCode: string): readonly Commune[] {
    return this.byPostalCodeIndex.get(postalCode) ?? [];
  }

  /** Arrondissements of a city, delegated and associated communes of a commune. */
  childrenOf(code: string): readonly Commune[] {
    return this.childrenIndex.get(code) ?? [];
  }

  /**
   * The one commune a person means by `place`: a name (accents, case, hyphens, "St"
   * and a leading article do not matter), "Paris 15e", an INSEE code or a postal code.
   * Namesakes are told apart by the hint's department or postal code; without one the
   * error lists them so that the caller can ask.
   */
  resolve(place: string, hint: PlaceHint = {}): Commune {
    const typed = place.trim();
    if (!typed) throw new HygieError('INVALID_INPUT', 'empty city');
    const candidates = this.candidates(typed);
    if (candidates.length === 0) throw new HygieError('INVALID_INPUT', `unknown city: "${typed}"`);
    const narrowed = narrow(candidates, hint);
    if (narrowed.length === 0) {
      throw new HygieError('INVALID_INPUT', `no city "${typed}" in ${hint.postalCode ? `postal code ${hint.postalCode}` : `department ${hint.department}`}; `
        + `candidates: ${describe(candidates)}`);
    }
    if (narrowed.length > 1) {
      throw new AmbiguousCityError(typed, narrowed);
    }
    return narrowed[0] as Commune;
  }

  /** Every commune and arrondissement whose centre lies within `radiusKm` of `centre`, nearest first. */
  within(centre: GeoPoint, radiusKm: number): CommuneDistance[] {
    const found: CommuneDistance[] = [];
    for (const commune of this.located) {
      const km = haversineKm(centre, commune.centre as GeoPoint);
      if (km <= radiusKm) found.push({ commune, km });
    }
    return found.sort((a, b) => a.km - b.km);
  }

  /**
   * Where a radius search is measured from: the commune's centre, or for a city
   * known only through its arrondissements (or the reverse) the mean of what is known.
   */
  centreOf(commune: Commune): GeoPoint | undefined {
    if (commune.centre) return commune.centre;
    const children = this.childrenOf(commune.code).filter((c) => c.kind === 'arrondissement' && c.centre);
    if (children.length === 0) {
      const parent = commune.parent ? this.byCode(commune.parent) : undefined;
      return parent && parent !== commune ? parent.centre : undefined;
    }
    const lat = children.reduce((sum, c) => sum + (c.centre as GeoPoint).lat, 0) / children.length;
    const lon = children.reduce((sum, c) => sum + (c.centre as GeoPoint).lon, 0) / children.length;
    return { lat, lon };
  }

  private candidates(typed: string): Commune[] {
    if (POSTAL_CODE.test(typed)) {
      // 75015 is Paris 15e: prefer the arrondissement over the city that lists every Paris code.
      const served = this.byPostalCode(typed);
      const arrondissements = served.filter((c) => c.kind === 'arrondissement');
      if (served.length > 0) return arrondissements.length > 0 ? arrondissements : [...served];
    }
    if (INSEE_CODE.test(typed)) {
      const commune = this.byCode(typed);
      if (commune) return [commune];
    }
    const key = searchKey(typed);
    const arrondissement = ARRONDISSEMENT.exec(key);
    if (arrondissement) {
      const city = CITY_CODES[arrondissement[1] as string] as string;
      const number = Number(arrondissement[2]);
      const found = this.childrenOf(city).find((c) => c.kind === 'arrondissement' && arrondissementNumber(c) === number);
      return found ? [found] : [];
    }
    for (const variant of [key, withSaintSpelledOut(key), withoutArticle(key), withoutArticle(withSaintSpelledOut(key))]) {
      const found = this.byNameIndex.get(variant);
      if (found) return preferCommunes(found);
    }
    return [];
  }
}

/** Thrown when a city name is shared by several communes and nothing says which one is meant. */
export class AmbiguousCityError extends HygieError {
  constructor(readonly city: string, readonly candidates: readonly Commune[]) {
    super('INVALID_INPUT', `"${city}" names ${candidates.length} communes: ${describe(candidates)}; give the department or the postal code`);
  }
}

/** The keys a commune is found under: its name, without a leading article, and "st" for "saint". */
function nameKeys(commune: Commune): string[] {
  const key = searchKey(commune.name);
  const keys = new Set([key, withoutArticle(key), withSaintAbbreviated(key)]);
  return [...keys].filter(Boolean);
}

/** The lower-case spellings a registry may use for a commune's name, for rows without an INSEE code. */
export function cityNameSpellings(commune: Commune): string[] {
  const plain = commune.name.toLowerCase();
  const key = searchKey(commune.name);
  const hyphenated = plain.normalize('NFD').replace(/\p{M}/gu, '');
  return [...new Set([plain, hyphenated, key, withSaintAbbreviated(key), withSaintAbbreviated(hyphenated)])];
}

function withoutArticle(key: string): string {
  return key.replace(/^(?:le|la|les|l) /, '');
}

function arrondissementNumber(commune: Commune): number {
  return Number(/(\d+)/.exec(commune.name)?.[1] ?? NaN);
}

/** A commune and its delegated commune of the same name are one place: keep the commune. */
function preferCommunes(found: readonly Commune[]): Commune[] {
  const communes = found.filter((c) => c.kind === 'commune' || c.kind === 'arrondissement');
  const parents = new Set(communes.map((c) => c.code));
  const others = found.filter((c) => !communes.includes(c) && !(c.parent && parents.has(c.parent)));
  return [...communes, ...others];
}

function narrow(candidates: readonly Commune[], hint: PlaceHint): Commune[] {
  let narrowed = [...candidates];
  if (hint.department) narrowed = narrowed.filter((c) => c.department === hint.department?.toUpperCase());
  if (hint.postalCode) narrowed = narrowed.filter((c) => c.postalCodes.includes(hint.postalCode as string));
  return narrowed;
}

function describe(communes: readonly Commune[]): string {
  return communes.map((c) => `${c.name} (${c.department}${c.postalCodes[0] ? `, ${c.postalCodes[0]}` : ''})`).join(', ');
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
