/**
 * Directory search for the webmail's address book and the operator API: by name,
 * profession, specialty, city / postal code / department, structure, and within a radius
 * of a city — ranked (every word a whole name word before prefixes, then nearest, then
 * by name), paged, with the total. Only visible addresses and current registry rows
 * unless an operator asks for hidden ones; professionals one cannot write to only when
 * asked for.
 */
import type { Knex } from 'knex';
import { systemClock, type Clock } from '../../core/clock.js';
import { HygieError } from '../../core/errors.js';
import { Area } from './area.js';
import { candidatesQuery, countQuery, type CandidateKind, type HostedMatch, type Resolved } from './candidates.js';
import { loadCommuneGazetteer } from './communes-source.js';
import type { CommuneGazetteer } from './gazetteer.js';
import { hydrate, type PageRow } from './hydrate.js';
import { parseCriteria, type Criteria, type DirectoryQuery, type SearchOptions } from './query.js';
import type { SearchPage } from './results.js';
import { Dialect, run } from './sql.js';
import { searchKey } from './text.js';
import { Vocabulary } from './vocabulary.js';

export interface DirectorySearchOptions {
  db: Knex;
  /** The communes (with centres for radius searches), or how to load them on first use. Default: the COG package, no centres. */
  gazetteer?: CommuneGazetteer | (() => Promise<CommuneGazetteer>);
  clock?: Clock;
}

export class DirectorySearch {
  private readonly db: Knex;
  private readonly dialect: Dialect;
  private readonly vocabulary: Vocabulary;
  private readonly loadGazetteer: () => Promise<CommuneGazetteer>;
  private gazetteer?: Promise<CommuneGazetteer>;

  constructor(options: DirectorySearchOptions) {
    this.db = options.db;
    this.dialect = new Dialect(options.db);
    this.vocabulary = new Vocabulary(options.db, options.clock ?? systemClock);
    const given = options.gazetteer;
    this.loadGazetteer = typeof given === 'function' ? given : given ? async () => given : () => loadCommuneGazetteer();
  }

  async search(query: DirectoryQuery, options: SearchOptions = {}): Promise<SearchPage> {
    const criteria = parseCriteria(query, options);
    const resolved = await this.resolve(criteria);
    const rows = (await run<{ kind: CandidateKind; id: number | string; km: number | string | null; total: number | string }>(
      this.db, candidatesQuery(this.dialect, resolved)))
      .map((r) => ({ kind: r.kind, id: Number(r.id), km: r.km === null ? null : Number(r.km), total: Number(r.total) }));
    const total = rows[0]?.total ?? await this.count(resolved);
    if (rows.length === 0 && criteria.page > 1 && total > 0) {
      const last = Math.ceil(total / criteria.pageSize);
      throw new HygieError('INVALID_INPUT', `page ${criteria.page} is past the last page (${last}) of ${total} results`);
    }
    const page: PageRow[] = rows.map(({ kind, id, km }) => ({ kind, id, km }));
    return { total, page: criteria.page, pageSize: criteria.pageSize, results: await hydrate(this.db, page, criteria, resolved.area) };
  }

  /** The communes, loaded once on first use (a failed load is retried next time). */
  communes(): Promise<CommuneGazetteer> {
    this.gazetteer ??= this.loadGazetteer().catch((error: unknown) => {
      this.gazetteer = undefined;
      throw error;
    });
    return this.gazetteer;
  }

  private async count(resolved: Resolved): Promise<number> {
    const [row] = await run<{ total: number | string }>(this.db, countQuery(this.dialect, resolved));
    return Number(row?.total ?? 0);
  }

  private async resolve(criteria: Criteria): Promise<Resolved> {
    const [area, professionCodes, specialtyCodes, hostedMatches] = await Promise.all([
      this.area(criteria),
      criteria.profession ? this.vocabulary.professionCodes(criteria.profession) : undefined,
      criteria.specialty ? this.vocabulary.specialtyCodes(criteria.specialty) : undefined,
      criteria.tokens.length > 0 && criteria.kinds.has('box') ? this.hostedMatches(criteria.tokens) : undefined,
    ]);
    return {
      criteria,
      ...(area ? { area } : {}),
      ...(professionCodes ? { professionCodes } : {}),
      ...(specialtyCodes ? { specialtyCodes } : {}),
      ...(hostedMatches ? { hostedMatches } : {}),
    };
  }

  private async area(criteria: Criteria): Promise<Area | undefined> {
    if (!criteria.city && !criteria.near) return undefined;
    const gazetteer = await this.communes();
    const city = criteria.city ? Area.city(gazetteer, gazetteer.resolve(criteria.city.place, criteria.city.hint)) : undefined;
    if (!criteria.near) return city;
    const from = gazetteer.resolve(criteria.near.place, criteria.near.hint);
    const centre = gazetteer.centreOf(from);
    if (!centre) {
      throw new HygieError('INVALID_INPUT', gazetteer.hasCentres
        ? `no known centre for ${from.name} (${from.code}): cannot search around it`
        : 'radius search unavailable: no commune centres were loaded (see directory/search/README.md)');
    }
    const within = gazetteer.within(centre, criteria.near.radiusKm);
    return city ? Area.both(gazetteer, city, within) : Area.radius(gazetteer, within);
  }

  /** Hosted ORG/APP boxes whose name, description or structure has a word starting with each token. */
  private async hostedMatches(tokens: readonly string[]): Promise<Map<number, HostedMatch>> {
    const boxes = await this.db('mailboxes as m').leftJoin('structures as s', 's.id', 'm.structure_id').whereIn('m.type', ['ORG', 'APP'])
      .select('m.id', 'm.display_name', 'm.description', 's.name', 's.trade_name') as Array<Record<string, string | number | null>>;
    const matches = new Map<number, HostedMatch>();
    for (const box of boxes) {
      const sortKey = searchKey(String(box.display_name ?? ''));
      const words = searchKey([box.display_name, box.description, box.name, box.trade_name].filter(Boolean).join(' ')).split(' ');
      if (!tokens.every((t) => words.some((w) => w.startsWith(t)))) continue;
      matches.set(Number(box.id), { rank: tokens.filter((t) => !words.includes(t)).length, sortKey });
    }
    return matches;
  }
}
