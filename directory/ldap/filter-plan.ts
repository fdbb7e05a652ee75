/**
 * Which entries of one kind a filter can possibly match, as indexed lookups: the
 * search fetches those candidates and evaluates the filter exactly on them (filter.ts),
 * so a plan only has to be a superset, never exact. No SQL here: which lookups an
 * index can answer, and at what cost, is the entry source's business (`IndexCost`).
 *
 * - AND: the cheapest indexed operand is enough (the others are checked in memory);
 * - OR: every operand must be indexed, and the plan is the union;
 * - NOT: anything (a superset); unknown attributes and extensible matches: nothing,
 *   since an Undefined item never makes a filter TRUE outside a NOT;
 * - objectClass and attributes this kind never carries are decided from the schema.
 */
import type { LdapFilter } from './filter.js';
import { KIND_ATTRIBUTES, OBJECT_CLASSES, canonicalAttribute, type EntryKind } from './schema.js';

/** A filter item an index may answer, its attribute in canonical spelling. */
export type IndexableItem = Extract<LdapFilter, { type: 'equality' | 'approx' | 'substrings' }>;

export type CandidatePlan =
  | { type: 'all' }
  | { type: 'none' }
  /** The union of these lookups holds every entry that can match. */
  | { type: 'any'; items: IndexableItem[]; cost: number };

/** The cost of answering `item` for this kind from an index, or `undefined` when no index can. */
export type IndexCost = (kind: EntryKind, item: IndexableItem) => number | undefined;

const ALL: CandidatePlan = { type: 'all' };
const NONE: CandidatePlan = { type: 'none' };

export function planCandidates(filter: LdapFilter, kind: EntryKind, cost: IndexCost): CandidatePlan {
  switch (filter.type) {
    case 'and': {
      const plans = filter.filters.map((f) => planCandidates(f, kind, cost));
      if (plans.some((p) => p.type === 'none')) return NONE;
      const indexed = plans.filter((p): p is Extract<CandidatePlan, { type: 'any' }> => p.type === 'any');
      return indexed.sort((a, b) => a.cost - b.cost)[0] ?? ALL;
    }
    case 'or': {
      const plans = filter.filters.map((f) => planCandidates(f, kind, cost)).filter((p) => p.type !== 'none');
      if (plans.length === 0) return NONE;
      if (plans.some((p) => p.type === 'all')) return ALL;
      const items = dedupe(plans.flatMap((p) => (p.type === 'any' ? p.items : [])));
      return { type: 'any', items, cost: items.reduce((sum, item) => sum + (cost(kind, item) ?? 0), 0) };
    }
    case 'not': return ALL;
    case 'unsupported': return NONE;
    default: return planItem(filter, kind, cost);
  }
}

function planItem(filter: Exclude<LdapFilter, { type: 'and' | 'or' | 'not' | 'unsupported' }>, kind: EntryKind, cost: IndexCost): CandidatePlan {
  const attribute = canonicalAttribute(filter.attribute);
  if (attribute === undefined) return NONE; // Undefined
  if (!KIND_ATTRIBUTES[kind].has(attribute)) return NONE; // no value: FALSE
  if (attribute === 'objectClass') {
    if (filter.type !== 'equality') return ALL;
    const wanted = filter.value.trim().toLowerCase();
    return OBJECT_CLASSES[kind].some((c) => c.toLowerCase() === wanted) ? ALL : NONE;
  }
  if (filter.type !== 'equality' && filter.type !== 'approx' && filter.type !== 'substrings') return ALL;
  const item = { ...filter, attribute };
  const itemCost = cost(kind, item);
  return itemCost === undefined ? ALL : { type: 'any', items: [item], cost: itemCost };
}

function dedupe(items: IndexableItem[]): IndexableItem[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = JSON.stringify(item);
    return !seen.has(key) && seen.add(key);
  });
}
