/**
 * The SQL of candidate lookups: for each kind of entry and each filter item an index
 * can answer, the SELECT of candidate ids (ascending, after a cursor) and its relative
 * cost; and one statement that runs the lookups of several kinds at once, so that an
 * exact lookup over the whole tree costs one round trip. Text lookups use the SQLite
 * trigram index (text-index.ts) or ILIKE on PostgreSQL; equality on identifiers and
 * addresses uses the tables' unique indexes.
 */
import { normaliseValue } from './filter.js';
import { TextMemo } from './text-memo.js';
import type { IndexableItem } from './filter-plan.js';
import { HOSTED_UID_PREFIX, type EntryKind } from './schema.js';
import type { SqlDialect } from './sql-reader.js';
import type { TextIndex } from './text-index.js';
import { TEXT_SOURCES, textExpression, type TextColumn, type TextSourceName } from './text-sources.js';

/** One SELECT of candidate ids; `?` placeholders, then `after` and `limit` are appended. */
export interface Arm {
  sql: string;
  params: unknown[];
}

/** Relative costs of lookups, for choosing the best operand of an AND. */
const COST = { key: 1, join: 2, text: 10, smallScan: 20, prefixRange: 30, postalCode: 50, scan: 100 } as const;

const NAME_ATTRIBUTES = new Set(['cn', 'sn', 'givenName', 'displayName']);
const MAIL_ATTRIBUTES = new Set(['mail', 'hygieRegionalMail', 'hygieMssanteMail', 'hygieApicryptMail']);

/** Which hosted boxes have an entry of their own: the others are on their professional's entry. */
export const HOSTED_MEMBERSHIP = {
  hostedPerson: `m.type = 'PER' AND m.professional_id IS NULL`,
  hostedService: `m.type <> 'PER'`,
} as const;
/** Extraction rows on a professional's entry are not entries of their own. */
export const LISTED_MEMBERSHIP = `NOT (r.box_type = 'PER' AND r.professional_id IS NOT NULL)`;

/** The candidates of one kind a search asks for: every entry (`all`) or those some lookups may match. */
export interface CandidateRequest {
  kind: EntryKind;
  lookups: 'all' | readonly IndexableItem[];
  after: number;
  limit: number;
}

export class CandidateSql {
  constructor(private readonly dialect: SqlDialect, private readonly text: TextIndex) {}

  /**
   * One statement for the candidates of several kinds: `SELECT k, id` where `k` is the
   * request's index; each request's ids ascending, at most its limit.
   */
  statement(requests: readonly CandidateRequest[]): { sql: string; params: unknown[] } | undefined {
    const parts: string[] = [];
    const params: unknown[] = [];
    requests.forEach((request, k) => {
      const arms = request.lookups === 'all' ? [allArm(request.kind)]
        : dedupe(request.lookups.flatMap((item) => this.armsFor(request.kind, item)?.arms ?? []));
      if (arms.length === 0) return;
      // Each arm stops at the limit in its own order; their union, sorted, is cut to the limit again.
      const union = arms.map((arm, a) => `SELECT id FROM (${arm.sql} LIMIT ?) AS a${k}_${a}`).join(' UNION ');
      parts.push(`SELECT ${k} AS k, id FROM (${union} ORDER BY id LIMIT ?) AS c${k}`);
      for (const arm of arms) params.push(...arm.params, request.after, request.limit);
      params.push(request.limit);
    });
    return parts.length === 0 ? undefined : { sql: parts.join(' UNION ALL '), params };
  }

  /** How cheaply this lookup can be answered from an index for this kind (undefined: it cannot). */
  cost(kind: EntryKind, item: IndexableItem): number | undefined {
    return this.armsFor(kind, item)?.cost;
  }

  /**
   * When every lookup is on a unique key (an identifier, an address), the subquery of
   * their candidate ids after `after`, unordered and unlimited (a few ids at most), to
   * read them with their entries in one statement; `undefined` otherwise.
   */
  exactIds(kind: EntryKind, items: readonly IndexableItem[], after: number): { sql: string; params: unknown[] } | undefined {
    if (!this.isKeyLookup(kind, items)) return undefined;
    const arms = dedupe(items.flatMap((item) => this.armsFor(kind, item)!.arms));
    if (arms.length === 0) return { sql: `(SELECT ${this.dialect === 'postgres' ? 'NULL::int' : 'NULL'} AS id WHERE 1 = 0)`, params: [] };
    const sql = exactIdTexts.get(arms.map((arm) => arm.sql), () => `(${arms.map((arm) => unordered(arm.sql)).join(' UNION ')})`);
    const params: unknown[] = [];
    for (const arm of arms) params.push(...arm.params, after);
    return { sql, params };
  }

  /** True when every lookup is on a unique key (an identifier, an address): a few ids at most, no scan, no text index. */
  isKeyLookup(kind: EntryKind, items: readonly IndexableItem[]): boolean {
    return items.every((item) => (this.armsFor(kind, item)?.cost ?? Infinity) <= COST.join);
  }

  /**
   * Each item's answer per kind, while the item lives (one search): planning, the choice
   * between an exact lookup and a scan, and the SQL all ask for it.
   */
  private readonly answered = new WeakMap<IndexableItem, Map<EntryKind, { arms: Arm[]; cost: number } | undefined>>();

  /** The SQL answering `item` for `kind`, with its cost; `arms: []` when no entry of that kind can match; `undefined` when no index can. */
  armsFor(kind: EntryKind, item: IndexableItem): { arms: Arm[]; cost: number } | undefined {
    let byKind = this.answered.get(item);
    if (!byKind) {
      byKind = new Map();
      this.answered.set(item, byKind);
    }
    if (byKind.has(kind)) return byKind.get(kind);
    const answer = this.answer(kind, item);
    byKind.set(kind, answer);
    return answer;
  }

  private answer(kind: EntryKind, item: IndexableItem): { arms: Arm[]; cost: number } | undefined {
    const attribute = item.attribute;
    if (item.type === 'equality') {
      const exact = this.exactArms(kind, attribute, item.value.trim());
      if (exact) return exact;
    }
    const parts = textParts(item);
    if (!parts) return undefined;
    if (NAME_ATTRIBUTES.has(attribute) || (attribute === 'o' && (kind === 'structure' || kind === 'listedMailbox'))) {
      return this.nameArms(kind, attribute, parts);
    }
    if (MAIL_ATTRIBUTES.has(attribute)) return this.mailTextArms(kind, parts);
    return undefined;
  }

  private exactArms(kind: EntryKind, attribute: string, value: string): { arms: Arm[]; cost: number } | undefined {
    const key = (sql: string, ...params: unknown[]) => ({ arms: [{ sql, params }], cost: COST.key });
    const lower = value.toLowerCase();
    switch (kind) {
      case 'professional': {
        const byNationalId = (...ids: string[]) =>
          key(`SELECT id FROM professionals WHERE national_id IN (${ids.map(() => '?').join(', ')}) AND id > ? ORDER BY id`, ...ids);
        if (attribute === 'uid' || attribute === 'hcIdentifier') return byNationalId(value);
        if (attribute === 'hygieRpps') return byNationalId(`8${value}`);
        if (attribute === 'hygieAdeli') return byNationalId(`0${value}`);
        if (attribute === 'employeeNumber') return byNationalId(`8${value}`, `0${value}`);
        if (MAIL_ATTRIBUTES.has(attribute)) {
          // The tables rather than the view: a candidate may be hidden, the entry's load applies the view's rule.
          return {
            arms: [
              { sql: `SELECT professional_id AS id FROM registry_addresses WHERE address = ? AND box_type = 'PER' AND professional_id > ? ORDER BY 1`, params: [lower] },
              { sql: `SELECT m.professional_id AS id FROM addresses a JOIN mailboxes m ON m.id = a.mailbox_id
                       WHERE a.address = ? AND m.type = 'PER' AND m.professional_id > ? ORDER BY 1`, params: [lower] },
            ],
            cost: COST.join,
          };
        }
        if (attribute === 'postalCode') {
          return {
            arms: [{ sql: `SELECT DISTINCT a.professional_id AS id FROM structures s JOIN activities a ON a.structure_id = s.id
                            WHERE s.postal_code = ? AND a.professional_id > ? ORDER BY 1`, params: [value] }],
            cost: COST.postalCode,
          };
        }
        return undefined;
      }
      case 'hostedPerson':
      case 'hostedService': {
        const member = HOSTED_MEMBERSHIP[kind];
        if (attribute === 'uid') {
          const id = hostedId(value);
          return id === undefined ? { arms: [], cost: COST.key } : key(`SELECT m.id FROM mailboxes m WHERE m.id = ? AND ${member} AND m.id > ? ORDER BY m.id`, id);
        }
        if (MAIL_ATTRIBUTES.has(attribute)) {
          return key(`SELECT m.id FROM addresses a JOIN mailboxes m ON m.id = a.mailbox_id WHERE a.address = ? AND ${member} AND m.id > ? ORDER BY m.id`, lower);
        }
        if (attribute === 'hygieRpps') return key(`SELECT m.id FROM mailboxes m WHERE m.rpps = ? AND ${member} AND m.id > ? ORDER BY m.id`, value);
        if (attribute === 'hygieAdeli') return key(`SELECT m.id FROM mailboxes m WHERE m.adeli = ? AND ${member} AND m.id > ? ORDER BY m.id`, value);
        if (attribute === 'employeeNumber') {
          return key(`SELECT m.id FROM mailboxes m WHERE (m.rpps = ? OR m.adeli = ?) AND ${member} AND m.id > ? ORDER BY m.id`, value, value);
        }
        return undefined;
      }
      case 'listedMailbox': {
        const listed = (column: string, param: string) =>
          key(`SELECT r.id FROM registry_addresses r WHERE r.${column} = ? AND ${LISTED_MEMBERSHIP} AND r.id > ? ORDER BY r.id`, param);
        if (MAIL_ATTRIBUTES.has(attribute)) return listed('address', lower);
        if (attribute === 'hcIdentifier') return listed('national_id', value);
        if (attribute === 'postalCode') return { ...listed('postal_code', value), cost: COST.postalCode };
        return undefined;
      }
      case 'structure': {
        const structure = (column: string, ...params: string[]) =>
          key(`SELECT id FROM structures WHERE ${column} IN (${params.map(() => '?').join(', ')}) AND id > ? ORDER BY id`, ...params);
        // Technical identifiers are stored as the registry writes them; clients may change their case.
        if (attribute === 'uid') return structure('technical_id', ...new Set([value, value.toUpperCase(), value.toLowerCase()]));
        if (attribute === 'hygieFiness') return structure('finess_site', value);
        if (attribute === 'hygieFinessLegal') return structure('finess_legal', value);
        if (attribute === 'hygieSiret') return structure('siret', value);
        if (attribute === 'postalCode') return { ...structure('postal_code', value), cost: COST.postalCode };
        return undefined;
      }
    }
  }

  /** cn, sn, givenName, displayName (and o of structures and listed boxes): text on names. */
  private nameArms(kind: EntryKind, attribute: string, parts: TextParts): { arms: Arm[]; cost: number } | undefined {
    switch (kind) {
      case 'professional': {
        const text = this.textArm('professionals', 'names', parts);
        if (text) return text;
        const prefix = attribute === 'sn' && parts.anchored ? searchNamePrefix(parts.pieces[0]!) : undefined;
        return prefix ? {
          arms: [{ sql: 'SELECT id FROM professionals WHERE search_name >= ? AND search_name < ? AND id > ? ORDER BY id', params: [prefix, nextPrefix(prefix)] }],
          cost: COST.prefixRange,
        } : undefined;
      }
      case 'hostedPerson':
      case 'hostedService': {
        const pattern = likePattern(parts);
        if (!pattern) return undefined;
        return {
          arms: [{ sql: `SELECT m.id FROM mailboxes m WHERE (m.display_name || ' ' || coalesce(m.first_name, '') || ' ' || coalesce(m.last_name, ''))
                          ${this.like} AND ${HOSTED_MEMBERSHIP[kind]} AND m.id > ? ORDER BY m.id`, params: [pattern] }],
          cost: COST.smallScan,
        };
      }
      case 'listedMailbox':
        return this.textArm('registry_addresses', 'names', parts, { condition: LISTED_MEMBERSHIP });
      case 'structure':
        return this.textArm('structures', 'names', parts);
    }
  }

  /** Substrings of mail (and the per-network mail attributes). */
  private mailTextArms(kind: EntryKind, parts: TextParts): { arms: Arm[]; cost: number } | undefined {
    const pattern = likePattern(parts);
    switch (kind) {
      case 'professional': {
        // SQLite: the professionals' own index holds their extraction addresses (rowid order, stops at the limit);
        // PostgreSQL: their addresses' table, by trigram index or scan.
        const registry = this.dialect === 'sqlite'
          ? this.textArm('professionals', 'address', parts)
          : this.textArm('registry_addresses', 'address', parts, { condition: `r.box_type = 'PER'`, idColumn: 'r.professional_id' });
        if (!registry || !pattern) return undefined;
        const hosted = { sql: `SELECT DISTINCT m.professional_id AS id FROM addresses a JOIN mailboxes m ON m.id = a.mailbox_id
                                WHERE a.address ${this.like} AND m.type = 'PER' AND m.professional_id > ? ORDER BY 1`, params: [pattern] };
        return { arms: [...registry.arms, hosted], cost: registry.cost + COST.smallScan };
      }
      case 'hostedPerson':
      case 'hostedService':
        return pattern ? {
          arms: [{ sql: `SELECT DISTINCT m.id FROM addresses a JOIN mailboxes m ON m.id = a.mailbox_id
                          WHERE a.address ${this.like} AND ${HOSTED_MEMBERSHIP[kind]} AND m.id > ? ORDER BY m.id`, params: [pattern] }],
          cost: COST.smallScan,
        } : undefined;
      case 'listedMailbox':
        return this.textArm('registry_addresses', 'address', parts, { condition: LISTED_MEMBERSHIP });
      case 'structure':
        return { arms: [], cost: COST.key }; // structures have no mail
    }
  }

  /**
   * A text lookup on a registry table: the trigram index on SQLite (rows whose text holds
   * every word of 3 characters or more), ILIKE on PostgreSQL. The table is aliased by its
   * initial (`p`, `r`, `s`); `condition` narrows the rows, `idColumn` is what the arm
   * returns (the row's id by default), in ascending order.
   */
  private textArm(source: TextSourceName, column: TextColumn, parts: TextParts,
    options: { condition?: string; idColumn?: string } = {}): { arms: Arm[]; cost: number } | undefined {
    const { table, ftsTable } = TEXT_SOURCES[source];
    const alias = table[0]!;
    const condition = options.condition ? ` AND ${options.condition}` : '';
    const distinct = options.idColumn ? 'DISTINCT ' : '';
    if (this.dialect === 'sqlite') {
      this.text.poke();
      const query = ftsQuery(column, parts);
      if (!query || !this.text.isReady(source)) return undefined;
      const id = options.idColumn ?? `${ftsTable}.rowid`;
      // Without a condition the index alone answers, in rowid order, stopping at the limit.
      const from = condition || options.idColumn ? `${ftsTable} JOIN ${table} ${alias} ON ${alias}.id = ${ftsTable}.rowid` : ftsTable;
      return {
        arms: [{ sql: `SELECT ${distinct}${id} AS id FROM ${from} WHERE ${ftsTable} MATCH ?${condition} AND ${id} > ? ORDER BY ${id}`, params: [query] }],
        cost: COST.text,
      };
    }
    const pattern = likePattern(parts);
    if (!pattern) return undefined;
    const id = options.idColumn ?? `${alias}.id`;
    return {
      arms: [{ sql: `SELECT ${distinct}${id} AS id FROM ${table} ${alias} WHERE (${textExpression(source, column)!}) ${this.like}${condition}
                      AND ${id} > ? ORDER BY ${id}`, params: [pattern] }],
      cost: COST.scan,
    };
  }

  private get like(): string {
    return this.dialect === 'postgres' ? `ILIKE ? ESCAPE '\\'` : `LIKE ? ESCAPE '\\'`;
  }
}

/** The subqueries of exact lookups, by their arms' SQL. */
const exactIdTexts = new TextMemo<string>(2048);

/** An arm's SELECT without its final ORDER BY (every arm ends with one). */
function unordered(sql: string): string {
  return sql.replace(/\s+ORDER BY [^()]*$/, '');
}

/** The arms without repeats (an OR of the same item twice). A few arms are compared pairwise, without building keys. */
function dedupe(arms: readonly Arm[]): Arm[] {
  if (arms.length > 8) return [...new Map(arms.map((arm) => [`${arm.sql}\u0000${JSON.stringify(arm.params)}`, arm])).values()];
  const same = (a: Arm, b: Arm) => a.sql === b.sql && a.params.length === b.params.length && a.params.every((p, i) => p === b.params[i]);
  return arms.filter((arm, i) => arms.findIndex((other) => same(arm, other)) === i);
}

function allArm(kind: EntryKind): Arm {
  switch (kind) {
    case 'professional': return { sql: 'SELECT id FROM professionals WHERE id > ? ORDER BY id', params: [] };
    case 'structure': return { sql: 'SELECT id FROM structures WHERE id > ? ORDER BY id', params: [] };
    case 'hostedPerson':
    case 'hostedService': return { sql: `SELECT m.id FROM mailboxes m WHERE ${HOSTED_MEMBERSHIP[kind]} AND m.id > ? ORDER BY m.id`, params: [] };
    case 'listedMailbox': return { sql: `SELECT r.id FROM registry_addresses r WHERE ${LISTED_MEMBERSHIP} AND r.id > ? ORDER BY r.id`, params: [] };
  }
}

/** What a text lookup must find, normalised like the filter evaluation (NFKC, lower case, single spaces). */
interface TextParts {
  /** In order; a match holds each of them (not necessarily adjacent). */
  pieces: string[];
  /** The first piece starts the value. */
  anchored: boolean;
  /** Approximate match: accents do not count. */
  accentInsensitive: boolean;
}

function textParts(item: IndexableItem): TextParts | undefined {
  if (item.type === 'substrings') {
    const pieces = [item.initial ?? '', ...item.any, item.final ?? ''].map(normaliseValue).filter((p) => p !== '');
    return pieces.length === 0 ? undefined : { pieces, anchored: !!item.initial, accentInsensitive: false };
  }
  const value = normaliseValue(item.value);
  return value === '' ? undefined : { pieces: [value], anchored: true, accentInsensitive: item.type === 'approx' };
}

/** An FTS5 query on one column: every word of 3 characters or more as a phrase (a trigram index cannot look up shorter ones). */
function ftsQuery(column: TextColumn, parts: TextParts): string | undefined {
  const words = parts.pieces.flatMap((p) => p.split(' ')).filter((w) => [...w].length >= 3);
  if (words.length === 0) return undefined;
  return `{${column}} : (${words.map((w) => `"${w.replace(/"/g, '""')}"`).join(' AND ')})`;
}

/**
 * A LIKE/ILIKE pattern holding the pieces in order. SQLite's LIKE folds only ASCII
 * letters (and PostgreSQL's ILIKE depends on the locale), so non-ASCII characters and
 * spaces become wildcards: the pattern stays a superset of the exact match.
 */
function likePattern(parts: TextParts): string | undefined {
  if (parts.accentInsensitive) return undefined;
  const words = parts.pieces.flatMap((p) => p.split(/[\s]+|[^\x20-\x7e]+/)).filter((w) => w !== '');
  if (words.length === 0) return undefined;
  return `%${words.map((w) => w.replace(/[\\%_]/g, (c) => `\\${c}`)).join('%')}%`;
}

/**
 * `search_name` (lower-case ASCII "last first", written by the importer) starts with the
 * family name: a prefix of `sn` made of ASCII letters and digits is a prefix of it. Cut at
 * the first other character, whose folding the importer decides.
 */
function searchNamePrefix(piece: string): string | undefined {
  const prefix = /^[a-z0-9]*/.exec(piece)![0];
  return prefix.length >= 2 ? prefix : undefined;
}

function nextPrefix(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** A hosted box's id from its uid (`box-12`). */
export function hostedId(uid: string): number | undefined {
  const match = new RegExp(`^${HOSTED_UID_PREFIX}(\\d{1,15})$`, 'i').exec(uid.trim());
  return match ? Number(match[1]) : undefined;
}
