/**
 * The addresses of From/Sender header fields (RFC 5322 §3.4), just enough to compare them
 * with a certificate's e-mail addresses: display names, comments, groups and route
 * syntax are skipped; encoded words in display names need no decoding for that.
 */
import { domainToASCII } from 'node:url';
import { fieldValue, type HeaderField } from './mime.js';

/** The addr-specs of an address-list header value, in order. */
export function addressesIn(value: string): string[] {
  // Each mailbox: its text outside comments, and its <angle-addr> when it has one.
  const pieces: { text: string; angled?: string }[] = [{ text: '' }];
  let quoted = false;
  let comment = 0;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    const piece = pieces[pieces.length - 1]!;
    if (quoted) {
      piece.text += c;
      if (c === '\\') piece.text += value[++i] ?? '';
      else if (c === '"') quoted = false;
    } else if (comment > 0) {
      if (c === '\\') i++;
      else if (c === '(') comment++;
      else if (c === ')') comment--;
    } else if (angle) {
      if (c === '>') angle = false;
      else piece.angled += c;
    } else if (c === '(') {
      comment = 1;
    } else if (c === '"') {
      quoted = true;
      piece.text += c;
    } else if (c === '<') {
      angle = true;
      piece.angled = '';
    } else if (c === ',' || c === ';' || c === ':') {
      // Separators of mailboxes, and of a group's name from its members.
      pieces.push({ text: '' });
    } else {
      piece.text += c;
    }
  }
  return pieces.flatMap((piece) => {
    // Obsolete route syntax: <@relay1,@relay2:user@domain>.
    const address = (piece.angled !== undefined ? piece.angled.replace(/^(@[^,:]+,?)+:/, '') : piece.text).trim();
    return /^[^\s@]+@[^\s@]+$/.test(address) ? [address] : [];
  });
}

/** Comparable form: case-folded, IDN domain in A-label form, no trailing dot. */
export function normalizeAddress(address: string): string {
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const domain = address.slice(at + 1).replace(/\.$/, '').toLowerCase();
  return `${local.toLowerCase()}@${domainToASCII(domain) || domain}`;
}

/** The From addresses, then the Sender address: either may match the signer (RFC 8550 §3). */
export function authorAddresses(outer: readonly HeaderField[]): { from: string[]; sender: string[] } {
  const of = (name: string): string[] =>
    outer.filter((f) => f.name.toLowerCase() === name).flatMap((f) => addressesIn(decodeHeaderBytes(fieldValue(f))));
  return { from: of('from'), sender: of('sender') };
}

/** Header fields are kept as latin1 strings; UTF-8 addresses (RFC 6532) are read back as UTF-8. */
function decodeHeaderBytes(value: string): string {
  return /[\x80-\xff]/.test(value) ? Buffer.from(value, 'latin1').toString('utf8') : value;
}
