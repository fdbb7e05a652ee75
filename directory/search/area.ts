/**
 * A place filter as the database reads it: the INSEE codes rows may carry for the
 * communes in it (each with the distance of its centre from the search's centre), and
 * for rows that lack the code — the MSSanté extraction has only postal code and city —
 * the postal codes, with the city's spellings where a postal code is shared with
 * communes outside the area. The same data answers in SQL (what matches) and in
 * JavaScript (how far each returned place is).
 */
import { cityNameSpellings, type Commune, type CommuneDistance, type CommuneGazetteer } from './gazetteer.js';

export interface AreaPostalCode {
  readonly postalCode: string;
  /** '' when every commune served by this postal code is in the area: no need to read the city. */
  readonly cityKey: string;
  readonly km: number;
}

/** The place columns of a structure or a registry address. */
export interface PlaceColumns {
  commune_code?: string | null;
  postal_code?: string | null;
  city?: string | null;
}

export class Area {
  private constructor(
    /** INSEE code → km. */
    readonly codes: ReadonlyMap<string, number>,
    readonly postalCodes: readonly AreaPostalCode[],
    /** Whether distances mean something (a radius search) or are all 0 (a city). */
    readonly measured: boolean,
  ) {}

  /** A commune and everything a registry row may call it: its arrondissements, delegated communes, former codes. */
  static city(gazetteer: CommuneGazetteer, commune: Commune): Area {
    const members = [commune, ...gazetteer.childrenOf(commune.code)].map((c) => ({ commune: c, km: 0 }));
    return Area.of(gazetteer, members, false);
  }

  static radius(gazetteer: CommuneGazetteer, within: readonly CommuneDistance[]): Area {
    const members = within.flatMap(({ commune, km }) => [
      { commune, km },
      // Delegated communes of a commune in the radius: older rows may carry their codes.
      ...gazetteer.childrenOf(commune.code).filter((c) => c.kind !== 'arrondissement').map((c) => ({ commune: c, km })),
    ]);
    return Area.of(gazetteer, members, true);
  }

  /** Both a city and a radius: the radius's communes that are part of the city. */
  static both(gazetteer: CommuneGazetteer, city: Area, within: readonly CommuneDistance[]): Area {
    return Area.radius(gazetteer, within.filter(({ commune }) => city.codes.has(commune.code)));
  }

  private static of(gazetteer: CommuneGazetteer, members: readonly CommuneDistance[], measured: boolean): Area {
    const codes = new Map<string, number>();
    const setKm = (code: string, km: number): void => { codes.set(code, Math.min(km, codes.get(code) ?? Infinity)); };
    for (const { commune, km } of members) {
      setKm(commune.code, km);
      for (const former of commune.formerCodes) setKm(former, km);
    }
    return new Area(codes, postalCodesOf(gazetteer, members, codes), measured);
  }

  get isEmpty(): boolean {
    return this.codes.size === 0;
  }

  /** How far a row's place is from the centre (0 for a city), or undefined when it is not in the area. */
  kmOf(row: PlaceColumns): number | undefined {
    if (row.commune_code) return this.codes.get(row.commune_code);
    const city = row.city?.toLowerCase() ?? '';
    let best: number | undefined;
    for (const entry of this.postalCodes) {
      if (entry.postalCode === row.postal_code && (entry.cityKey === '' || entry.cityKey === city)) best = Math.min(best ?? Infinity, entry.km);
    }
    return best;
  }
}

function postalCodesOf(gazetteer: CommuneGazetteer, members: readonly CommuneDistance[], codes: ReadonlyMap<string, number>): AreaPostalCode[] {
  const entries = new Map<string, AreaPostalCode>();
  for (const { commune, km } of members) {
    for (const postalCode of commune.postalCodes) {
      const served = withoutParents(gazetteer.byPostalCode(postalCode));
      const shared = served.some((c) => !codes.has(c.code));
      const keys = shared ? cityNameSpellings(commune) : [''];
      for (const cityKey of keys) {
        const key = `${postalCode}|${cityKey}`;
        const existing = entries.get(key);
        if (!existing || existing.km > km) entries.set(key, { postalCode, cityKey, km });
      }
    }
  }
  return [...entries.values()];
}

/** Paris lists every Paris postal code, and so does each arrondissement for its own: the arrondissement is the place. */
function withoutParents(communes: readonly Commune[]): Commune[] {
  const parents = new Set(communes.map((c) => c.parent).filter(Boolean));
  return communes.filter((c) => !parents.has(c.code));
}
