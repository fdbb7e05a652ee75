/**
 * Decoding for SEARCH: transfer encodings, charsets, RFC 2047 encoded words. Never throws:
 * undecodable input is searched as it is.
 */
import type { MimePart } from './mime.js';
import { paramValue } from './mime.js';

export function decodeTransfer(body: Buffer, encoding: string): Buffer {
  if (encoding === 'base64') return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  return body;
}

export function decodeQuotedPrintable(body: Buffer): Buffer {
  const text = body.toString('latin1').replace(/=\r?\n/g, '');
  const out = Buffer.alloc(text.length);
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      out[length++] = parseInt(text.slice(i + 1, i + 3), 16);
      i += 2;
    } else {
      out[length++] = text.charCodeAt(i);
    }
  }
  return out.subarray(0, length);
}

export function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  const label = (charset ?? 'utf-8').trim().toLowerCase();
  try {
    return new TextDecoder(label === 'us-ascii' ? 'utf-8' : label).decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}

/** `=?utf-8?Q?=C3=A9t=C3=A9?=` → `été`; whitespace between adjacent encoded words is dropped. */
export function decodeEncodedWords(value: string): string {
  return value
    .replace(/(=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)\s+(?==\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)/g, '$1')
    .replace(/=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g, (whole, charset: string, kind: string, text: string) => {
      const bytes = kind.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64')
        : decodeQuotedPrintable(Buffer.from(text.replace(/_/g, ' '), 'latin1'));
      const cleanCharset = charset.split('*')[0]!;
      try {
        return new TextDecoder(cleanCharset.toLowerCase()).decode(bytes);
      } catch {
        return whole;
      }
    });
}

/** The decoded text of every text/* leaf, for SEARCH BODY and TEXT. */
export function extractBodyText(raw: Buffer, part: MimePart): string {
  if (part.children.length > 0) return part.children.map((child) => extractBodyText(raw, child)).join('\n');
  if (part.message) return extractBodyText(raw, part.message);
  if (part.contentType.type !== 'text') return '';
  const body = decodeTransfer(raw.subarray(part.bodyStart, part.end), part.encoding);
  return decodeCharset(body, paramValue(part.contentType.params, 'charset'));
}
