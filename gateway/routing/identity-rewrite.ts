/**
 * Gives a copy of a message the sender's identity in the recipient's network: every one
 * of the sender's own addresses in From, Sender and Reply-To becomes that network's
 * address (display names, encodings and every other header untouched), and a submitted
 * Return-Path is dropped (the envelope sender, set to the same identity, makes the real
 * one). Only the header block is rewritten; the body bytes are kept as they are.
 */
const REWRITTEN = new Set(['from', 'sender', 'reply-to']);

export function rewriteIdentity(raw: Buffer, identity: string, ownAddresses: readonly string[]): Buffer {
  const end = headerEnd(raw);
  const header = raw.subarray(0, end).toString('latin1');
  const newline = header.includes('\r\n') ? '\r\n' : '\n';
  const fields = header.split(/\r?\n(?![ \t])/);
  const own = ownAddresses.map((a) => a.toLowerCase()).filter((a) => a !== identity.toLowerCase());
  const out: string[] = [];
  for (const field of fields) {
    const name = field.slice(0, field.indexOf(':')).trim().toLowerCase();
    if (name === 'return-path') continue;
    out.push(REWRITTEN.has(name) ? replaceAddresses(field, own, identity) : field);
  }
  return Buffer.concat([Buffer.from(out.join(newline), 'latin1'), raw.subarray(end)]);
}

function replaceAddresses(field: string, own: readonly string[], identity: string): string {
  let result = field;
  for (const address of own) {
    const escaped = address.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // The address alone or in angle brackets, not as part of a longer address.
    result = result.replace(new RegExp(`(^|[\\s<:,])${escaped}(?=$|[\\s>,;])`, 'gi'), (_m, before: string) => `${before}${identity}`);
  }
  return result;
}

/** Offset of the blank line after the header block (CRLF, or a bare LF from a careless client). */
function headerEnd(raw: Buffer): number {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return crlf;
  return lf >= 0 ? lf : raw.length;
}
