/**
 * Search keys: the one normal form names are compared in. Lower-case ASCII words
 * separated by single spaces — accents dropped, æ/œ/ß spelled out, hyphens, apostrophes
 * and other punctuation turned into spaces — so that "Le Gall-Mérour", "LE GALL MEROUR"
 * and "le gall  merour" all read "le gall merour". The registry's `search_name` columns
 * are expected in this form ("last first" for people).
 */

export function searchKey(text: string): string {
  return text
    .normalize('NFD').replace(/\p{M}/gu, '')
    .replace(/[Ææ]/g, 'ae').replace(/[Œœ]/g, 'oe').replace(/ß/g, 'ss')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** The words of a search, each a prefix to match (duplicates removed, order kept). */
export function searchTokens(text: string): string[] {
  const key = searchKey(text);
  return key ? [...new Set(key.split(' '))] : [];
}

/**
 * The smallest string greater than every string that starts with `prefix`, for an
 * index range `column >= prefix AND column < bound` (a LIKE 'prefix%' that any collation
 * can answer from a B-tree). Keys hold only a-z, 0-9 and spaces: the last character that
 * can be incremented is, and what follows it dropped; `undefined` when none can ("zz").
 */
export function prefixUpperBound(prefix: string): string | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const c = prefix[i] as string;
    if (c === 'z') continue;
    const next = c === '9' ? 'a' : c === ' ' ? '0' : String.fromCharCode(c.charCodeAt(0) + 1);
    return prefix.slice(0, i) + next;
  }
  return undefined;
}

/** "saint denis" → also "st denis" (and "sainte" → "ste"): how La Poste and many registries shorten them. */
export function withSaintAbbreviated(key: string): string {
  return key.replace(/\bsainte\b/g, 'ste').replace(/\bsaint\b/g, 'st');
}

/** The reverse: "st denis" → "saint denis", so that a user's abbreviation finds the commune. */
export function withSaintSpelledOut(key: string): string {
  return key.replace(/\bste\b/g, 'sainte').replace(/\bst\b/g, 'saint');
}
