/**
 * Search filters (RFC 4511 §4.5.1) as our own small tree, and their evaluation on an
 * entry. We do not use ldapjs's `filter.matches()`: it compares values case-sensitively
 * (only objectClass is folded), while every attribute we serve (cn, sn, mail, uid, …)
 * has a case-ignoring matching rule, so `(mail=Jean.Martin@…)` and `(cn=hél*)` must match.
 *
 * Matching, for every attribute: values and assertions are NFKC-normalised, lower-cased,
 * and runs of spaces collapse (RFC 4518's insignificant space handling, simplified).
 * Approximate match (`~=`) also ignores accents, so `(cn~=helene dupont)` finds "Hélène Dupont".
 */
import { canonicalAttribute, type LdapAttributes } from './schema.js';

export type LdapFilter =
  | { type: 'and'; filters: LdapFilter[] }
  | { type: 'or'; filters: LdapFilter[] }
  | { type: 'not'; filter: LdapFilter }
  | { type: 'equality'; attribute: string; value: string }
  | { type: 'approx'; attribute: string; value: string }
  | { type: 'greaterOrEqual'; attribute: string; value: string }
  | { type: 'lessOrEqual'; attribute: string; value: string }
  | { type: 'present'; attribute: string }
  | { type: 'substrings'; attribute: string; initial?: string; any: string[]; final?: string }
  /** Extensible matches and anything else we do not evaluate: always Undefined. */
  | { type: 'unsupported'; description: string };

/** RFC 4511's three-valued result: TRUE, FALSE or Undefined (`undefined`). */
export type FilterResult = boolean | undefined;

/** True only when the filter evaluates to TRUE (RFC 4511: Undefined entries are not returned). */
export function matchesFilter(filter: LdapFilter, attributes: LdapAttributes): boolean {
  return evaluateFilter(filter, attributes) === true;
}

export function evaluateFilter(filter: LdapFilter, attributes: LdapAttributes): FilterResult {
  switch (filter.type) {
    case 'and': {
      let result: FilterResult = true;
      for (const f of filter.filters) {
        const r = evaluateFilter(f, attributes);
        if (r === false) return false;
        if (r === undefined) result = undefined;
      }
      return result;
    }
    case 'or': {
      let result: FilterResult = false;
      for (const f of filter.filters) {
        const r = evaluateFilter(f, attributes);
        if (r === true) return true;
        if (r === undefined) result = undefined;
      }
      return result;
    }
    case 'not': {
      const r = evaluateFilter(filter.filter, attributes);
      return r === undefined ? undefined : !r;
    }
    case 'unsupported':
      return undefined;
    default:
      return evaluateItem(filter, attributes);
  }
}

type ItemFilter = Exclude<LdapFilter, { type: 'and' | 'or' | 'not' | 'unsupported' }>;

function evaluateItem(filter: ItemFilter, attributes: LdapAttributes): FilterResult {
  const name = canonicalAttribute(filter.attribute);
  if (name === undefined) return undefined; // an attribute type we do not know
  const values = attributes[name] ?? [];
  switch (filter.type) {
    case 'present':
      return values.length > 0;
    case 'equality': {
      const wanted = normaliseValue(filter.value);
      return values.some((v) => normaliseValue(v) === wanted);
    }
    case 'approx': {
      const wanted = withoutAccents(normaliseValue(filter.value));
      return values.some((v) => withoutAccents(normaliseValue(v)) === wanted);
    }
    case 'greaterOrEqual': {
      const bound = normaliseValue(filter.value);
      return values.some((v) => normaliseValue(v) >= bound);
    }
    case 'lessOrEqual': {
      const bound = normaliseValue(filter.value);
      return values.some((v) => normaliseValue(v) <= bound);
    }
    case 'substrings':
      return values.some((v) => matchesSubstrings(normaliseValue(v), filter));
  }
}

function matchesSubstrings(value: string, filter: Extract<LdapFilter, { type: 'substrings' }>): boolean {
  let position = 0;
  if (filter.initial) {
    const initial = normalisePart(filter.initial);
    if (!value.startsWith(initial)) return false;
    position = initial.length;
  }
  for (const part of filter.any) {
    const any = normalisePart(part);
    const found = value.indexOf(any, position);
    if (found < 0) return false;
    position = found + any.length;
  }
  if (filter.final) {
    const final = normalisePart(filter.final);
    return value.length - final.length >= position && value.endsWith(final);
  }
  return true;
}

/** The case-ignoring form of a value: NFKC, lower case, no leading/trailing spaces, single inner spaces. */
export function normaliseValue(value: string): string {
  return normalisePart(value).trim();
}

/** Same as `normaliseValue` without trimming: a substring's edge spaces are significant (`(cn=Jean *)`). */
function normalisePart(part: string): string {
  return part.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ');
}

function withoutAccents(value: string): string {
  return value.normalize('NFD').replace(/\p{M}/gu, '').replace(/æ/g, 'ae').replace(/œ/g, 'oe').normalize('NFC');
}

/** The attributes a filter reads, in canonical spelling (unknown ones left out). */
export function filterAttributes(filter: LdapFilter): string[] {
  switch (filter.type) {
    case 'and': case 'or': return filter.filters.flatMap(filterAttributes);
    case 'not': return filterAttributes(filter.filter);
    case 'unsupported': return [];
    default: {
      const name = canonicalAttribute(filter.attribute);
      return name ? [name] : [];
    }
  }
}

/** The filter back as RFC 4515 text, for logs. */
export function filterToString(filter: LdapFilter): string {
  switch (filter.type) {
    case 'and': return `(&${filter.filters.map(filterToString).join('')})`;
    case 'or': return `(|${filter.filters.map(filterToString).join('')})`;
    case 'not': return `(!${filterToString(filter.filter)})`;
    case 'equality': return `(${filter.attribute}=${escapeFilterValue(filter.value)})`;
    case 'approx': return `(${filter.attribute}~=${escapeFilterValue(filter.value)})`;
    case 'greaterOrEqual': return `(${filter.attribute}>=${escapeFilterValue(filter.value)})`;
    case 'lessOrEqual': return `(${filter.attribute}<=${escapeFilterValue(filter.value)})`;
    case 'present': return `(${filter.attribute}=*)`;
    case 'substrings': {
      const parts = [filter.initial ?? '', ...filter.any, filter.final ?? ''].map(escapeFilterValue);
      return `(${filter.attribute}=${parts.join('*')})`;
    }
    case 'unsupported': return `(${filter.description})`;
  }
}

function escapeFilterValue(value: string): string {
  return value.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * RFC 4515 `\hh` escapes → the bytes they stand for, read as UTF-8. Assertion values
 * arrive escaped from ldapjs on both sides: its server prints decoded filters to text
 * and parses them again, and its client sends `(cn=*hél*)` as the bytes `h\c3\a9l`.
 * So every value is unescaped, whichever path decoded it; a raw backslash followed by
 * two hex digits is read as an escape (names and addresses do not contain one).
 */
export function unescapeFilterValue(value: string): string {
  if (!value.includes('\\')) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const hex = value[i] === '\\' ? value.slice(i + 1, i + 3) : '';
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      const codePoint = value.codePointAt(i)!;
      const char = String.fromCodePoint(codePoint);
      bytes.push(...Buffer.from(char, 'utf8'));
      i += char.length - 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
