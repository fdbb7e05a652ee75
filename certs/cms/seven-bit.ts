/**
 * Makes a MIME entity safe for 7-bit transport before it is signed. A relay without
 * 8BITMIME converts 8-bit bodies to quoted-printable on the way (RFC 6152), which breaks
 * a detached signature; a body encoded before signing travels unchanged.
 *
 * - single-part text/* with 8-bit bytes, NUL or lines over 998 octets → quoted-printable;
 * - other single parts (application/pdf sent as 8bit/binary…) → base64;
 * - multipart/* → each part handled recursively, boundaries kept; an 8-bit preamble or
 *   epilogue (never shown to readers) is dropped;
 * - message/* cannot be re-encoded (RFC 2046 §5.2.1 allows only 7bit/8bit/binary there),
 *   so signing such an entity with 8-bit content is refused with a clear error;
 * - raw 8-bit bytes in the entity's own header fields are left as they are: relays do
 *   not rewrite header fields, and changing them would change what the user wrote.
 */
import { isAscii } from 'node:buffer';
import { HygieError } from '../../core/errors.js';
import { base64Lines, canonicalize, entityParts, fieldValue, multipartFrame, type HeaderField } from './mime.js';

const MAX_LINE = 998;

/** Whether bytes would not survive 7-bit transport unchanged. */
export function needsTransportEncoding(data: Buffer): boolean {
  if (!isAscii(data) || data.indexOf(0) >= 0) return true;
  let lineStart = 0;
  for (let lf = data.indexOf(0x0a); ; lf = data.indexOf(0x0a, lf + 1)) {
    const end = lf < 0 ? data.length : lf;
    if (end - lineStart > MAX_LINE + 1) return true; // +1: the CR of CRLF
    if (lf < 0) return false;
    lineStart = lf + 1;
  }
}

/**
 * The entity, re-encoded where needed so that it is 7-bit clean; the same Buffer when
 * already so. Give it the entity as received (not canonicalised): a raw binary body's LF
 * bytes are data, and only text is canonicalised here, before quoted-printable. Line ends
 * of parts left as they are still need canonicalising afterwards.
 */
export function toSevenBit(entity: Buffer): Buffer {
  if (!needsTransportEncoding(entity)) return entity;
  const { fields, body, contentType } = entityParts(entity, { canonicalize: false });
  if (!needsTransportEncoding(body)) return entity; // only the header is 8-bit: left as is
  const type = contentType.type;
  if (type.startsWith('multipart/')) {
    const boundary = contentType.params.boundary;
    if (!boundary) throw new HygieError('INVALID_INPUT', 'cannot sign: a multipart entity has no boundary');
    return withBody(fields, reencodeMultipart(body, boundary));
  }
  if (type.startsWith('message/')) {
    throw new HygieError('INVALID_INPUT', `cannot sign: a ${type} part holds 8-bit data, which cannot be transfer-encoded; send it as 7-bit or as an attachment`);
  }
  const cte = fields.find((f) => f.name.toLowerCase() === 'content-transfer-encoding');
  const encoding = cte ? fieldValue(cte).toLowerCase() : '7bit';
  if (encoding === 'base64' || encoding === 'quoted-printable') {
    throw new HygieError('INVALID_INPUT', `cannot sign: a part declared ${encoding} holds bytes that are not ${encoding}`);
  }
  const textual = type.startsWith('text/');
  const encoded = textual ? encodeQuotedPrintable(canonicalize(body)) : Buffer.from(base64Lines(body), 'latin1');
  const others = fields.filter((f) => f.name.toLowerCase() !== 'content-transfer-encoding');
  const newCte = `Content-Transfer-Encoding: ${textual ? 'quoted-printable' : 'base64'}`;
  return withBody([...others, { name: 'Content-Transfer-Encoding', raw: newCte }], encoded);
}

function reencodeMultipart(body: Buffer, boundary: string): Buffer {
  const frame = multipartFrame(body, boundary);
  const chunks: Buffer[] = [];
  if (frame.preamble.length > 0 && !needsTransportEncoding(frame.preamble)) chunks.push(frame.preamble, CRLF);
  for (const part of frame.parts) chunks.push(Buffer.from(`--${boundary}\r\n`, 'latin1'), toSevenBit(part), CRLF);
  chunks.push(Buffer.from(`--${boundary}--`, 'latin1'), needsTransportEncoding(frame.epilogue) ? CRLF : frame.epilogue);
  return Buffer.concat(chunks);
}

const CRLF = Buffer.from('\r\n', 'latin1');

function withBody(fields: readonly HeaderField[], body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(fields.map((f) => f.raw + '\r\n').join('') + '\r\n', 'latin1'), body]);
}

const HEX_BYTES = Buffer.from('0123456789ABCDEF', 'latin1');

/**
 * Quoted-printable (RFC 2045 §6.7) of CRLF text: hard line breaks kept, soft breaks at 76
 * characters, trailing blanks encoded. "From " at a line start is encoded too, so that an
 * mbox-style ">From" rewrite on the way cannot alter the signed body.
 */
export function encodeQuotedPrintable(body: Buffer): Buffer {
  // Byte-wise into one preallocated buffer: at most 3 bytes per input byte plus soft breaks.
  const out = Buffer.allocUnsafe(body.length * 3 + Math.ceil(body.length / 25) * 3 + 3);
  let written = 0;
  let lineLength = 0;
  let lineStart = 0;
  for (let i = 0; i < body.length; i++) {
    const code = body[i] as number;
    if (code === 0x0d && body[i + 1] === 0x0a) {
      out[written++] = 0x0d;
      out[written++] = 0x0a;
      i++;
      lineLength = 0;
      lineStart = i + 1;
      continue;
    }
    const atLineEnd = i + 1 === body.length || (body[i + 1] === 0x0d && body[i + 2] === 0x0a);
    const blank = code === 0x20 || code === 0x09;
    // "From " at a line start is encoded so that no mbox-style transport mangles it.
    const fromLine = i === lineStart && code === 0x46 && body.subarray(i, i + 5).toString('latin1') === 'From ';
    const literal = ((code >= 33 && code <= 126 && code !== 61) || (blank && !atLineEnd)) && !fromLine;
    const width = literal ? 1 : 3;
    if (lineLength + width > 75) {
      out[written++] = 0x3d;
      out[written++] = 0x0d;
      out[written++] = 0x0a;
      lineLength = 0;
    }
    if (literal) {
      out[written++] = code;
    } else {
      out[written++] = 0x3d;
      out[written++] = HEX_BYTES[code >> 4] as number;
      out[written++] = HEX_BYTES[code & 15] as number;
    }
    lineLength += width;
  }
  return out.subarray(0, written);
}
