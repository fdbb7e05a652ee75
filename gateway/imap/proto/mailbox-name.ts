/**
 * Mailbox names on the wire are modified UTF-7 (RFC 3501 5.1.3): `&` starts a base64
 * run of UTF-16 (`,` instead of `/`), `&-` is a literal `&`. INBOX is case-insensitive.
 */

export function encodeMailboxName(name: string): string {
  let out = '';
  let run = '';
  const flush = (): void => {
    if (!run) return;
    const utf16 = Buffer.alloc(run.length * 2);
    for (let i = 0; i < run.length; i++) utf16.writeUInt16BE(run.charCodeAt(i), i * 2);
    out += `&${utf16.toString('base64').replace(/=+$/, '').replace(/\//g, ',')}-`;
    run = '';
  };
  for (const char of name) {
    const code = char.charCodeAt(0);
    if (code >= 0x20 && code <= 0x7e) {
      flush();
      out += char === '&' ? '&-' : char;
    } else {
      run += char;
    }
  }
  flush();
  return out;
}

/** Decodes a client's mailbox name; throws on malformed modified UTF-7. */
export function decodeMailboxName(wire: string): string {
  // An `&` must open a base64 run closed by `-` (RFC 3501 5.1.3).
  if (wire.replace(/&[^-]*-/g, '').includes('&')) throw new Error('Unterminated modified UTF-7 in mailbox name');
  return wire.replace(/&([^-]*)-/g, (_, encoded: string) => {
    if (encoded === '') return '&';
    if (!/^[A-Za-z0-9+,]+$/.test(encoded)) throw new Error('Invalid modified UTF-7 in mailbox name');
    const bytes = Buffer.from(encoded.replace(/,/g, '/'), 'base64');
    let out = '';
    for (let i = 0; i + 1 < bytes.length; i += 2) out += String.fromCharCode(bytes.readUInt16BE(i));
    return out;
  });
}

/** `inbox`, `Inbox` … all name the INBOX. */
export function normaliseMailboxName(name: string): string {
  return name.toUpperCase() === 'INBOX' ? 'INBOX' : name;
}
