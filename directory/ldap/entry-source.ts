/**
 * The directory as the LDAP service reads it: candidate ids of each kind of entry for
 * the lookups a filter needs (candidate-sql.ts), entries built from their rows
 * (entry-rows.ts → entries.ts) as a viewer may see them, and one entry by its RDN.
 * Every query goes through this class's SQL reader (sql-reader.ts).
 */
import type { Knex } from 'knex';
import type { Logger } from '../../core/logger.js';
import type { ChangeStamp } from './change-stamp.js';
import { CandidateSql, HOSTED_MEMBERSHIP, LISTED_MEMBERSHIP, hostedId, type CandidateRequest } from './candidate-sql.js';
import { hostedBoxEntry, listedMailboxEntry, professionalEntry, structureEntry, type Viewer } from './entries.js';
import { readKind, readRows, type KindRows, type ProfessionalParts } from './entry-rows.js';
import type { IndexableItem } from './filter-plan.js';
import type { EntryKind, LdapEntry } from './schema.js';
import { openSqlReader, type SqlDialect, type SqlReader } from './sql-reader.js';
import { TextIndex } from './text-index.js';

/** Attribute names a search needs (its filter and the attributes asked for), or all of them. */
export type AttributeNeeds = 'all' | ReadonlySet<string>;

/** A professional's attributes that come from their activities (places of practice), and from their skills. */
const ACTIVITY_ATTRIBUTES = ['o', 'street', 'postalCode', 'l', 'postalAddress', 'telephoneNumber', 'facsimileTelephoneNumber', 'hcPracticeLocation'];
const SKILL_ATTRIBUTES = ['hcSpecialisation'];

export type { CandidateRequest } from './candidate-sql.js';

export class EntrySource {
  private readonly candidateSql: CandidateSql;

  private constructor(
    private readonly sql: SqlReader,
    private readonly text: TextIndex,
    private readonly baseDn: string,
  ) {
    this.candidateSql = new CandidateSql(sql.dialect, text);
  }

  static async open(db: Knex, baseDn: string, log?: Logger): Promise<EntrySource> {
    const sql = await openSqlReader(db);
    return new EntrySource(sql, await TextIndex.open(db, sql.dialect, log), baseDn);
  }

  get dialect(): SqlDialect {
    return this.sql.dialect;
  }

  /** What tells, without a query, that the database changed; `undefined` when nothing can (PostgreSQL). */
  openChangeStamp(): ChangeStamp | undefined {
    return this.sql.openChangeStamp();
  }

  /** Brings the SQLite text index up to date (after an import, in tests); a no-op on PostgreSQL. */
  refreshTextIndex(): Promise<void> {
    return this.text.refresh();
  }

  /** Waits for a text index refresh in progress, then closes the read connections. */
  async close(): Promise<void> {
    await this.text.idle();
    await this.sql.close();
  }

  /** How cheaply this lookup can be answered from an index for this kind (undefined: it cannot). */
  readonly indexCost = (kind: EntryKind, item: IndexableItem): number | undefined => this.candidateSql.cost(kind, item);

  /** True when these lookups are all on unique keys (no scan, no text index): what an exact lookup is. */
  isKeyLookup(kind: EntryKind, items: readonly IndexableItem[]): boolean {
    return this.candidateSql.isKeyLookup(kind, items);
  }

  /**
   * Candidate ids for each request (ascending, after its cursor, at most its limit), in
   * one statement: the first batch of every kind a search covers is one round trip.
   */
  async candidates(requests: readonly CandidateRequest[]): Promise<number[][]> {
    const result = requests.map((): number[] => []);
    const statement = this.candidateSql.statement(requests);
    if (!statement) return result;
    for (const row of await this.sql.all<{ k: number; id: number }>(statement.sql, statement.params)) {
      result[Number(row.k)]!.push(Number(row.id));
    }
    return result.map((ids) => ids.sort((a, b) => a - b));
  }

  /**
   * The entries with these ids that the viewer may see, by id. A professional's places
   * of practice and specialties are read only when `needed` names one of their
   * attributes; everything else is always complete.
   */
  async load(kind: EntryKind, ids: readonly number[], viewer: Viewer, needed: AttributeNeeds = 'all'): Promise<Map<number, LdapEntry>> {
    if (ids.length === 0) return new Map();
    return this.entriesOf(await readRows(this.sql, kind, ids, partsFor(needed)), viewer);
  }

  /**
   * The first candidates of several kinds at once. Requests whose lookups are all on
   * unique keys (identifiers, addresses) are read in one statement with the entries of
   * the first such kind (an exact lookup is one round trip when it lands there, as it
   * mostly does); the entries of other kinds holding candidates are read next. The other
   * requests' candidates are read by one more statement, concurrently.
   */
  async firstBatch(requests: readonly CandidateRequest[], viewer: Viewer, needed: AttributeNeeds):
    Promise<Array<{ ids: number[]; entries?: Map<number, LdapEntry> }>> {
    const exact = requests.map((r) => (r.lookups === 'all' ? undefined : this.candidateSql.exactIds(r.kind, r.lookups, r.after)));
    const exactIndexes = exact.flatMap((ids, i) => (ids ? [i] : []));
    const others = requests.filter((_, i) => !exact[i]);
    const parts = partsFor(needed);
    const [first] = exactIndexes;
    const [read, lists] = await Promise.all([
      first === undefined ? undefined
        : readKind(this.sql, requests[first]!.kind, exact[first]!, parts, exactIndexes.slice(1).map((i) => exact[i]!)),
      this.candidates(others),
    ]);
    const result: Array<{ ids: number[]; entries?: Map<number, LdapEntry> }> = [];
    let other = 0;
    for (const [i] of requests.entries()) result.push(exact[i] ? { ids: [] } : { ids: lists[other++]! });
    if (read && first !== undefined) {
      result[first] = { ids: read.ids, entries: this.entriesOf(read.rows, viewer) };
      await Promise.all(exactIndexes.slice(1).map(async (i, n) => {
        const ids = read.alsoIds[n]!;
        result[i] = { ids, entries: ids.length > 0 ? await this.load(requests[i]!.kind, ids, viewer, needed) : new Map() };
      }));
    }
    return result;
  }

  private entriesOf(rows: KindRows, viewer: Viewer): Map<number, LdapEntry> {
    const entries = new Map<number, LdapEntry>();
    const add = (id: unknown, entry: LdapEntry | undefined) => { if (entry) entries.set(Number(id), entry); };
    switch (rows.kind) {
      case 'professional': {
        const activitiesOf = groupBy(rows.rows.activities);
        const skillsOf = groupBy(rows.rows.skills);
        const addressesOf = groupBy(rows.rows.addresses);
        for (const row of rows.rows.professionals) {
          const id = Number(row.id);
          add(id, professionalEntry(row, {
            activities: (activitiesOf.get(id) ?? []).map((a) => ({ vanished: a.activity_vanished_at !== null, structure: a.structure_id === null ? null : a })),
            skills: (skillsOf.get(id) ?? []).map((s) => ({ label: s.label, vanished: s.vanished_at !== null })),
            addresses: addressesOf.get(id) ?? [],
          }, this.baseDn, viewer));
        }
        return entries;
      }
      case 'hostedPerson':
      case 'hostedService': {
        const addressesOf = groupBy(rows.addresses);
        for (const row of rows.boxes) add(row.id, hostedBoxEntry(row, addressesOf.get(Number(row.id)) ?? [], this.baseDn, viewer));
        return entries;
      }
      case 'listedMailbox':
        for (const row of rows.boxes) add(row.id, listedMailboxEntry(row, this.baseDn, viewer));
        return entries;
      case 'structure':
        for (const row of rows.structures) add(row.id, structureEntry(row, this.baseDn, viewer));
        return entries;
    }
  }

  /** The id of the entry of `kind` named by this RDN value, if it exists (visible or not). */
  async findId(kind: EntryKind, value: string): Promise<number | undefined> {
    const first = async (sql: string, ...params: unknown[]) => {
      const [row] = await this.sql.all<{ id: number }>(sql, params);
      return row ? Number(row.id) : undefined;
    };
    switch (kind) {
      case 'professional': return first('SELECT id FROM professionals WHERE national_id = ?', value);
      case 'hostedPerson':
      case 'hostedService': {
        const id = hostedId(value);
        return id === undefined ? undefined : first(`SELECT m.id FROM mailboxes m WHERE m.id = ? AND ${HOSTED_MEMBERSHIP[kind]}`, id);
      }
      case 'listedMailbox': return first(`SELECT r.id FROM registry_addresses r WHERE r.address = ? AND ${LISTED_MEMBERSHIP}`, value.toLowerCase());
      case 'structure': return first('SELECT id FROM structures WHERE technical_id = ?', value);
    }
  }
}

function partsFor(needed: AttributeNeeds): ProfessionalParts {
  const any = (attributes: readonly string[]) => needed === 'all' || attributes.some((a) => needed.has(a));
  return { activities: any(ACTIVITY_ATTRIBUTES), skills: any(SKILL_ATTRIBUTES) };
}

function groupBy<T extends { owner: number }>(rows: readonly T[]): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const row of rows) {
    const owner = Number(row.owner);
    const group = groups.get(owner);
    if (group) group.push(row);
    else groups.set(owner, [row]);
  }
  return groups;
}
