/**
 * Text helpers shared by the registry importers: header names compared loosely, search
 * keys in lower-case ASCII, and copies of strings that must outlive the line they were
 * cut from.
 */

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Drops accents and ligatures: "Maïwenn Lœuillet" → "Maiwenn Loeuillet". */
export function foldAccents(text: string): string {
  if (PRINTABLE_ASCII.test(text)) return text;
  return text
    .normalize('NFD').replace(/\p{M}/gu, '')
    .replace(/[Ææ]/g, 'ae').replace(/[Œœ]/g, 'oe').replace(/ß/g, 'ss');
}

/** Lower-case ASCII for each Latin-1 letter and the œ ligature, built once (search keys are made for every row). */
const FOLDED = ((): string[] => {
  const table: string[] = [];
  for (let code = 0; code < 0x180; code++) {
    const folded = foldAccents(String.fromCharCode(code)).toLowerCase();
    table.push(/^[a-z0-9]+$/.test(folded) ? folded : ' ');
  }
  return table;
})();

/**
 * The key a header name is matched by: accents, case, apostrophes (’ and ') and spacing
 * do not matter, so "Code civilité d’exercice" and "code civilite d'exercice " agree.
 */
export function headerKey(name: string): string {
  return foldAccents(name.replace(/^\uFEFF/, '')).toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
}

/**
 * Lower-case ASCII words separated by one space, for accent- and case-insensitive prefix
 * search: ("Le Gall", "Maïwenn") → "le gall maiwenn". Hyphens and apostrophes separate
 * words ("Jean-Pierre d'Arc" → "jean pierre d arc"). The same form as directory/search's
 * `searchKey` (a test holds them together), computed by table for speed: the import makes
 * one for every professional, structure and address.
 */
export function searchKey(...parts: ReadonlyArray<string | null | undefined>): string | null {
  let key = '';
  let space = false;
  for (const part of parts) {
    if (!part) continue;
    for (let i = 0; i < part.length; i++) {
      const code = part.charCodeAt(i);
      const folded = code < 0x180 ? FOLDED[code] as string : foldAccents(part[i] as string).toLowerCase().replace(/[^a-z0-9]+/g, ' ');
      if (folded === ' ' || folded === '') {
        space = key.length > 0;
      } else {
        if (space) key += ' ';
        key += folded;
        space = false;
      }
    }
    space = key.length > 0;
  }
  return key || null;
}

/**
 * A copy of `text` that does not keep alive the (large) string it was cut from: V8 keeps
 * substrings as slices of their parent, and a long-lived set of slices would hold every
 * block of the file in memory.
 */
export function detached(text: string): string {
  return text.length < 13 ? text : Buffer.from(text, 'utf8').toString('utf8');
}
