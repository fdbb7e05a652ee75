/**
 * Distinguished names (RFC 4514), only as far as this read-only service needs them:
 * parse a DN string the client sent and reduce it to a comparison key, so that
 * `UID=7, OU=People,DC=Esante-Demo,DC=test` and `uid=7,ou=people,dc=esante-demo,dc=test`
 * name the same entry. Every naming attribute we serve (dc, ou, uid, o) compares
 * case-insensitively, so values are case-folded too. No ldapjs here: a replacement
 * library can hand us plain strings.
 */

/** A DN reduced to comparable RDN keys, leaf first (`['uid=7', 'ou=people', 'dc=…']`). The root DSE is `[]`. */
export type DnKey = readonly string[];

/** The DN's key, or `undefined` when the text is not a valid DN. */
export function parseDn(text: string): DnKey | undefined {
  const trimmed = trimValue(text);
  if (trimmed === '') return [];
  const rdns = splitUnescaped(trimmed, ',');
  const keys: string[] = [];
  for (const rdn of rdns) {
    // Multi-valued RDNs (`cn=a+sn=b`): order does not matter, so sort their parts.
    const avas = splitUnescaped(rdn, '+').map(parseAva);
    if (avas.some((a) => a === undefined)) return undefined;
    keys.push((avas as string[]).sort().join('+'));
  }
  return keys;
}

/** The DN's comparison key as one string (`uid=7,ou=people,dc=esante-demo,dc=test`), or `undefined` if invalid. */
export function normaliseDn(text: string): string | undefined {
  return parseDn(text)?.join(',');
}

/** True when `dn` is `ancestor` or lies below it. */
export function isWithin(dn: DnKey, ancestor: DnKey): boolean {
  if (ancestor.length > dn.length) return false;
  const offset = dn.length - ancestor.length;
  return ancestor.every((rdn, i) => dn[offset + i] === rdn);
}

/**
 * The first (leaf) RDN of a DN as the client wrote it: its type in lower case and its
 * value unescaped but not case-folded (entries are looked up by that value, e.g. a
 * structure's technical identifier). `undefined` for the root or a malformed DN.
 */
export function leafRdn(text: string): { type: string; value: string } | undefined {
  if (!parseDn(text)?.length) return undefined;
  const [first] = splitUnescaped(trimValue(text), ',');
  const equals = indexOfUnescaped(first!, '=');
  const value = unescapeValue(trimValue(first!.slice(equals + 1)));
  return value === undefined ? undefined : { type: first!.slice(0, equals).trim().toLowerCase(), value };
}

/** An attribute value escaped for a DN string (RFC 4514 §2.4). */
export function escapeDnValue(value: string): string {
  return value
    .replace(/[\\,+"<>;=]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, '\\ ');
}

/** `type=value` → `type=<folded value>`, or `undefined` when malformed. */
function parseAva(ava: string): string | undefined {
  const equals = indexOfUnescaped(ava, '=');
  if (equals <= 0) return undefined;
  const type = ava.slice(0, equals).trim().toLowerCase();
  if (!/^([a-z][a-z0-9-]*|\d+(\.\d+)*)$/.test(type)) return undefined;
  const raw = trimValue(ava.slice(equals + 1));
  // `#04…` is a BER-encoded value; compare it as written.
  const value = raw.startsWith('#') ? raw.toLowerCase() : unescapeValue(raw);
  if (value === undefined) return undefined;
  return `${type}=${foldValue(value)}`;
}

/** Removes RFC 4514 escapes: `\,` and hex pairs `\c3\a9` (UTF-8 bytes). */
function unescapeValue(raw: string): string | undefined {
  if (!raw.includes('\\')) return raw;
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = raw.slice(i + 1, i + 3);
    if (/^[0-9a-fA-F]{2}$/.test(next)) {
      bytes.push(parseInt(next, 16));
      i += 2;
    } else if (i + 1 < raw.length) {
      bytes.push(...Buffer.from(raw[i + 1]!, 'utf8'));
      i += 1;
    } else {
      return undefined; // a trailing lone backslash
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Case-folded, NFKC, insignificant spaces removed; escaped so the key cannot be re-split. */
function foldValue(value: string): string {
  const folded = value.normalize('NFKC').toLowerCase().trim().replace(/\s+/g, ' ');
  return folded.replace(/[\\,+=]/g, (c) => `\\${c}`);
}

/** Spaces around a value are not part of it, unless escaped (`cn=a\\ ` ends with a space). */
function trimValue(raw: string): string {
  let end = raw.length;
  while (end > 0 && /\s/.test(raw[end - 1]!)) {
    let backslashes = 0;
    for (let i = end - 2; i >= 0 && raw[i] === '\\'; i--) backslashes++;
    if (backslashes % 2 === 1) break;
    end--;
  }
  return raw.slice(0, end).replace(/^\s+/, '');
}

function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') { i++; continue; }
    if (text[i] === separator) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function indexOfUnescaped(text: string, char: string): number {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') { i++; continue; }
    if (text[i] === char) return i;
  }
  return -1;
}
