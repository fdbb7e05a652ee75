/**
 * The LDAP search operation without sockets or ldapjs: a request (base, scope, filter,
 * attributes, limits, paging) becomes the entries to send and a result code.
 *
 * Each section of the tree (tree.ts) is read in id order through indexed candidate
 * queries (filter-plan.ts, entry-source.ts); candidates are loaded in batches and the
 * filter is evaluated exactly on them (filter.ts), so SQL only has to narrow. A search
 * ends when it has what it may return (size limit, page), when the tree is exhausted,
 * when its time is up (timeLimitExceeded), or when it has examined more candidates than
 * `scanLimit` without finishing — a filter too broad for the tree, answered with
 * unwillingToPerform instead of a scan of a million rows (a paged search gets a short
 * page and a cookie to go on).
 */
import { attributeSelection, presentEntries, type CertificateLookup } from './attributes.js';
import type { Viewer } from './entries.js';
import type { AttributeNeeds, CandidateRequest, EntrySource } from './entry-source.js';
import { filterAttributes, filterToString, matchesFilter, type LdapFilter } from './filter.js';
import { planCandidates, type CandidatePlan } from './filter-plan.js';
import { START, decodeCookie, encodeCookie, searchFingerprint, type PageCursor } from './paging.js';
import { LdapResultCode } from './result-codes.js';
import type { EntryKind, LdapEntry } from './schema.js';
import type { DirectoryTree, SearchScope, Section } from './tree.js';

export type { SearchScope } from './tree.js';

export interface SearchQuery {
  baseDn: string;
  scope: SearchScope;
  filter: LdapFilter;
  /** Requested attributes as the client wrote them; empty or `*` means all, `1.1` alone means none. */
  attributes: readonly string[];
  /** The client's limit on entries; 0 means none (the server's limit still applies). */
  sizeLimit: number;
  /** The client's limit in seconds; 0 means none (the server's limit still applies). */
  timeLimit: number;
  typesOnly: boolean;
  /** RFC 2696: the page size the client wants and the cookie of the previous page (empty for the first). */
  paged?: { size: number; cookie: Buffer };
}

export interface SearchLimits {
  /** Most entries one search (or one page) returns. */
  sizeLimit: number;
  timeLimitMs: number;
  /** Most candidates one search examines before it is judged too broad. */
  scanLimit: number;
}

export interface SearchOutcome {
  resultCode: LdapResultCode;
  entries: LdapEntry[];
  /** For an error: text for the client; for noSuchObject, `matchedDn` is the deepest existing ancestor. */
  message?: string;
  matchedDn?: string;
  /** Paged searches: the cookie of the next page, empty when there is none. */
  cookie?: Buffer;
  /** Directory entries examined (fixed entries not counted), for logs. */
  examined: number;
  /**
   * The same search gets the same answer until the database changes: its entries come
   * from fixed entries and lookups on unique keys (no scan, no text index, which refreshes
   * on its own), it looked up no certificate, was not paged and was not cut short by time.
   */
  reusable: boolean;
}

export interface SearchContext {
  tree: DirectoryTree;
  source: EntrySource;
  viewer: Viewer;
  limits: SearchLimits;
  certificates?: CertificateLookup;
}

/** Candidates per batch: the first one holds what the search may return, plus one; later ones grow to MAX_BATCH. */
const FIRST_BATCH_MIN = 16;
const MAX_BATCH = 1000;

/** A kind's first candidates, read with the other kinds' (`requested`: the limit they were read with), and their entries when read along. */
interface Prefetched {
  ids: number[];
  requested: number;
  entries?: Map<number, LdapEntry>;
}

/** How a walk over the sections stopped. */
type Stop =
  | { reason: 'end' }
  /** One more entry matched than may be returned: the next one starts after `at`. */
  | { reason: 'full'; at: PageCursor }
  /** Out of time or scan budget; `at` is the last position examined. */
  | { reason: 'time' | 'scan'; at: PageCursor };

export async function runSearch(context: SearchContext, query: SearchQuery): Promise<SearchOutcome> {
  const { tree, limits } = context;
  const deadline = performance.now() + Math.min(limits.timeLimitMs, query.timeLimit > 0 ? query.timeLimit * 1000 : Infinity);
  const resolved = await tree.resolve(query.baseDn, query.scope, context.viewer);
  if (!resolved.found) {
    return { resultCode: resolved.resultCode, entries: [], message: resolved.message, matchedDn: resolved.matchedDn, examined: 0, reusable: !query.paged };
  }

  const fingerprint = () => searchFingerprint([query.baseDn, query.scope, filterToString(query.filter), query.attributes.join(','),
    String(query.typesOnly), String(query.sizeLimit), context.viewer]);
  // RFC 2696 §3: a page size of 0 abandons the paged search.
  if (query.paged && query.paged.size === 0) return { resultCode: LdapResultCode.success, entries: [], cookie: Buffer.alloc(0), examined: 0, reusable: false };
  let cursor = START;
  if (query.paged && query.paged.cookie.length > 0) {
    const decoded = decodeCookie(query.paged.cookie, fingerprint());
    if (!decoded) {
      return { resultCode: LdapResultCode.unwillingToPerform, entries: [], message: 'paged results cookie is invalid or belongs to another search', examined: 0, reusable: false };
    }
    cursor = decoded;
  }

  const clientLimit = query.sizeLimit > 0 ? query.sizeLimit - cursor.sent : Infinity;
  const pageLimit = query.paged ? Math.min(query.paged.size, limits.sizeLimit) : limits.sizeLimit;
  const wanted = Math.max(0, Math.min(clientLimit, pageLimit));

  const selection = attributeSelection(query.attributes);
  const needed = selection.all ? 'all' : new Set([...selection.names, ...filterAttributes(query.filter), ...(selection.certificates.size > 0 ? ['mail'] : [])]);
  const walk = new Walk(context, query.filter, resolved.sections, wanted, deadline, needed);
  const stop = await walk.run(cursor);
  const entries = await presentEntries(walk.entries, selection, query.typesOnly, context.certificates);
  const reusable = !query.paged && (stop.reason === 'end' || stop.reason === 'full') && walk.keyLookupsOnly()
    && !(context.certificates && selection.certificates.size > 0);
  const outcome = (resultCode: LdapResultCode, extra: Partial<SearchOutcome> = {}): SearchOutcome =>
    ({ resultCode, entries, examined: walk.examined, reusable, ...extra });
  const next = (at: PageCursor) => encodeCookie({ ...at, sent: cursor.sent + entries.length }, fingerprint());
  const empty = Buffer.alloc(0);

  switch (stop.reason) {
    case 'end':
      return outcome(LdapResultCode.success, query.paged ? { cookie: empty } : {});
    case 'full':
      if (query.paged && entries.length < clientLimit) return outcome(LdapResultCode.success, { cookie: next(stop.at) });
      return outcome(LdapResultCode.sizeLimitExceeded, {
        message: `more than ${entries.length + cursor.sent} entries match; narrow the filter${query.paged ? '' : ' or use paged results'}`,
        ...(query.paged ? { cookie: empty } : {}),
      });
    case 'time':
      return outcome(LdapResultCode.timeLimitExceeded, { message: 'time limit exceeded', ...(query.paged ? { cookie: empty } : {}) });
    case 'scan':
      if (query.paged) return outcome(LdapResultCode.success, { cookie: next(stop.at) });
      return outcome(LdapResultCode.unwillingToPerform, {
        message: `filter too broad for this directory: more than ${limits.scanLimit} entries examined without an index; `
          + 'give 3 characters or more of a name or address, or use paged results',
      });
  }
}

/** One pass over the sections from a cursor, collecting matching entries. */
class Walk {
  readonly entries: LdapEntry[] = [];
  examined = 0;

  constructor(
    private readonly context: SearchContext,
    private readonly filter: LdapFilter,
    private readonly sections: readonly Section[],
    private readonly wanted: number,
    private readonly deadline: number,
    private readonly needed: AttributeNeeds,
  ) {}

  async run(from: PageCursor): Promise<Stop> {
    const first = await this.firstCandidates(from);
    for (let section = from.section; section < this.sections.length; section++) {
      const current = this.sections[section]!;
      const after = section === from.section ? from.after : 0;
      const stop = current.type === 'entry'
        ? this.offer(current.entry, section, 1, after)
        : await this.walkKind(current.kind, section, after, first.get(section));
      if (stop) return stop;
    }
    return { reason: 'end' };
  }

  private readonly plans = new Map<EntryKind, CandidatePlan>();

  /** True when every kind of entry this search covers is read through lookups on unique keys, or not at all. */
  keyLookupsOnly(): boolean {
    return this.sections.every((section) => {
      if (section.type === 'entry') return true;
      const plan = this.planOf(section.kind);
      return plan.type === 'none' || (plan.type === 'any' && this.context.source.isKeyLookup(section.kind, plan.items));
    });
  }

  private planOf(kind: EntryKind): CandidatePlan {
    let plan = this.plans.get(kind);
    if (!plan) {
      plan = planCandidates(this.filter, kind, this.context.source.indexCost);
      this.plans.set(kind, plan);
    }
    return plan;
  }

  /** The first batch of candidates of every kind still to walk, read together (exact lookups with their entries). */
  private async firstCandidates(from: PageCursor): Promise<Map<number, Prefetched>> {
    const requests: Array<CandidateRequest & { section: number }> = [];
    for (let section = from.section; section < this.sections.length; section++) {
      const current = this.sections[section]!;
      if (current.type !== 'kind') continue;
      const plan = this.planOf(current.kind);
      if (plan.type === 'none') continue;
      requests.push({
        section, kind: current.kind, lookups: plan.type === 'all' ? 'all' : plan.items,
        after: section === from.section ? from.after : 0, limit: this.firstBatch(),
      });
    }
    const batches = await this.context.source.firstBatch(requests, this.context.viewer, this.needed);
    return new Map(requests.map((request, i) => [request.section, { ...batches[i]!, requested: request.limit }]));
  }

  private firstBatch(): number {
    const batch = Math.min(MAX_BATCH, Math.max(FIRST_BATCH_MIN, this.wanted + 1));
    return Math.min(batch, this.context.limits.scanLimit + 1);
  }

  private last: PageCursor | undefined;

  /** Takes an entry if it matches; a fixed entry is id 1 of its section. */
  private offer(entry: LdapEntry, section: number, id: number, after: number): Stop | undefined {
    if (id <= after) return undefined;
    if (!matchesFilter(this.filter, entry.attributes)) return undefined;
    if (this.entries.length >= this.wanted) return { reason: 'full', at: this.position(section) };
    this.entries.push(entry);
    this.last = { section, after: id, sent: 0 };
    return undefined;
  }

  /** Where the next page starts: after the last entry returned, or at the start of this section. */
  private position(section: number): PageCursor {
    return this.last ?? { section, after: 0, sent: 0 };
  }

  private async walkKind(kind: EntryKind, section: number, start: number, first: Prefetched | undefined): Promise<Stop | undefined> {
    const { source, viewer, limits } = this.context;
    const plan = this.planOf(kind);
    if (plan.type === 'none') return undefined;
    let after = start;
    let batch = this.firstBatch();
    let prefetched = first;
    for (;;) {
      if (performance.now() > this.deadline) return { reason: 'time', at: { section, after, sent: 0 } };
      if (this.examined >= limits.scanLimit) return { reason: 'scan', at: { section, after, sent: 0 } };
      const requested = prefetched?.requested ?? Math.min(batch, limits.scanLimit - this.examined + 1);
      const lookups = plan.type === 'all' ? 'all' as const : plan.items;
      // Exact lookups come with their entries, and may hold more ids than asked: the rest is read again next round.
      const ids = (prefetched?.ids ?? (await source.candidates([{ kind, lookups, after, limit: requested }]))[0]!).slice(0, requested);
      const preloaded = prefetched?.entries;
      prefetched = undefined;
      if (ids.length === 0) return undefined;
      const loaded = preloaded ?? await source.load(kind, ids, viewer, this.needed);
      for (const id of ids) {
        this.examined++;
        const entry = loaded.get(id);
        const stop = entry && this.offer(entry, section, id, after);
        if (stop) return stop;
        after = id;
      }
      if (ids.length < requested) return undefined;
      batch = Math.min(MAX_BATCH, batch * 4);
    }
  }
}
