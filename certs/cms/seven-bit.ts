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
import {
  base64Lines, canonicalize, contentTypeOf, entityOf, entityParts, fieldValue, headerBlock, multipartFrame, type HeaderField,
} from './mime.js';
import { Scratch } from './scratch.js';

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
 * bytes are data, and only text is canonicalised here, by quoted-printable. Line ends
 * of parts left as they are still need canonicalising afterwards (see sevenBitCanonical).
 */
export function toSevenBit(entity: Buffer): Buffer {
  if (!needsTransportEncoding(entity)) return entity;
  const { fields, body, contentType } = entityParts(entity, { canonicalize: false });
  return reencode(fields, body, contentType)?.bytes ?? entity;
}

/**
 * What is signed, from an entity in two (splitMessageParts, raw body): 7-bit clean as
 * toSevenBit makes it, with canonical line ends (not checked again when the re-encoding
 * wrote them).
 */
export function sevenBitCanonical(fields: readonly HeaderField[], body: Buffer): Buffer {
  const reencoded = reencode(fields, body, contentTypeOf(fields));
  if (!reencoded) return canonicalize(entityOf(fields, body));
  return reencoded.canonical ? reencoded.bytes : canonicalize(reencoded.bytes);
}

type ContentType = ReturnType<typeof contentTypeOf>;

/**
 * The entity with its body re-encoded, or undefined when the body needs nothing (an 8-bit
 * header is left as is). `canonical` when every line end is known to be CRLF.
 */
function reencode(fields: readonly HeaderField[], body: Buffer, contentType: ContentType): { bytes: Buffer; canonical: boolean } | undefined {
  if (!needsTransportEncoding(body)) return undefined;
  const type = contentType.type;
  if (type.startsWith('multipart/')) {
    const boundary = contentType.params.boundary;
    if (!boundary) throw new HygieError('INVALID_INPUT', 'cannot sign: a multipart entity has no boundary');
    return { bytes: entityOf(fields, reencodeMultipart(body, boundary)), canonical: false };
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
  const others = fields.filter((f) => f.name.toLowerCase() !== 'content-transfer-encoding');
  const newCte = `Content-Transfer-Encoding: ${textual ? 'quoted-printable' : 'base64'}`;
  // Header and encoded body written in one buffer. The fields come canonicalised from
  // the split, and both encodings write CRLF.
  const header = headerBlock([...others, { name: 'Content-Transfer-Encoding', raw: newCte }]);
  return { bytes: textual ? encodeQuotedPrintable(body, header) : base64Lines(body, header), canonical: true };
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

const HEX_BYTES = Buffer.from('0123456789ABCDEF', 'latin1');

// What quoted-printable does with each byte value. Blanks are written as literals and
// encoded afterwards when a line end follows them (encodeTrailingBlank): looking ahead at
// every blank costs more than going back at line ends.
const LITERAL = 0;
const CAPITAL_F = 1; // literal, except in "From " at a line start
const ENCODED = 2;
const CR = 3;
const LF = 4;
const QP_CLASS = new Uint8Array(256).fill(ENCODED);
for (let code = 33; code <= 126; code++) QP_CLASS[code] = code === 0x3d ? ENCODED : LITERAL;
QP_CLASS[0x20] = LITERAL;
QP_CLASS[0x09] = LITERAL;
QP_CLASS[0x46] = CAPITAL_F;
QP_CLASS[0x0d] = CR;
QP_CLASS[0x0a] = LF;

/** Longest encoded line before the soft break's "=" (RFC 2045 §6.7 rule 5: 76 with it). */
const QP_LINE = 75;

/** Where quoted-printable is written before being copied out (3× the body at most, mostly unused). */
const qpScratch = new Scratch(1 << 20);

const NOTHING = new Uint8Array(0);

/**
 * Quoted-printable (RFC 2045 §6.7) of text, after `prefix` (header fields) when given:
 * hard line breaks kept as CRLF (a bare LF or CR is a line end too, so the output is
 * canonical whatever the input), soft breaks at 76 characters, trailing blanks encoded.
 * "From " at a line start is encoded too, so that an mbox-style ">From" rewrite on the way
 * cannot alter the signed body.
 */
export function encodeQuotedPrintable(body: Buffer, prefix: Uint8Array = NOTHING): Buffer {
  // At most 3 bytes per input byte, plus soft breaks.
  const out = qpScratch.take(prefix.length + body.length * 3 + Math.ceil(body.length / 25) * 3 + 3);
  out.set(prefix, 0);
  const end = writeQuotedPrintable(body, out, prefix.length);
  // A blank at the very end is followed by the end of the body: a line end too.
  const written = encodeTrailingBlank(out, end.written, end.lineLength);
  return Buffer.from(out.subarray(0, written));
}

/**
 * The encoding loop, alone in its function with nothing after the loop but a return: V8
 * optimises a long loop during its first run (on-stack replacement), and code after the
 * loop, never run at that point, would make the optimised code deoptimise at every call.
 * Locals only, no per-byte test beyond the byte's class: this is the hottest JavaScript
 * of signing a text message. The offsets are made int32 (`| 0`): a typed array's length
 * may exceed 2^31, so `start` (a prefix length) would make V8 do the offset arithmetic and
 * indexing in floating point — twice the time of the whole loop.
 */
function writeQuotedPrintable(body: Buffer, out: Uint8Array, start: number): { written: number; lineLength: number } {
  const length = body.length;
  let written = start | 0;
  let lineLength = 0;
  let lineStart = 0;
  for (let i = 0; i < length; i++) {
    const code = body[i]!;
    let kind = QP_CLASS[code]!;
    if (kind === CAPITAL_F) kind = i === lineStart && isFromSpace(body, i) ? ENCODED : LITERAL;
    if (kind === LITERAL) {
      if (lineLength >= QP_LINE) {
        written = softBreak(out, written);
        lineLength = 0;
      }
      out[written++] = code;
      lineLength++;
    } else if (kind === ENCODED) {
      if (lineLength + 3 > QP_LINE) {
        written = softBreak(out, written);
        lineLength = 0;
      }
      written = writeEncoded(out, written, code);
      lineLength += 3;
    } else {
      written = encodeTrailingBlank(out, written, lineLength);
      out[written++] = 0x0d;
      out[written++] = 0x0a;
      if (kind === CR && body[i + 1] === 0x0a) i++;
      lineLength = 0;
      lineStart = i + 1;
    }
  }
  return { written, lineLength };
}

function softBreak(out: Uint8Array, at: number): number {
  out[at] = 0x3d;
  out[at + 1] = 0x0d;
  out[at + 2] = 0x0a;
  return at + 3;
}

function writeEncoded(out: Uint8Array, at: number, code: number): number {
  out[at] = 0x3d;
  out[at + 1] = HEX_BYTES[code >> 4]!;
  out[at + 2] = HEX_BYTES[code & 15]!;
  return at + 3;
}

/**
 * At a line end (or the end): a blank just written as a literal is taken back and
 * encoded, after a soft break if "=20" does not fit. The line ends here, so its length
 * need not be returned.
 */
function encodeTrailingBlank(out: Uint8Array, written: number, lineLength: number): number {
  const last = out[written - 1]!;
  if (lineLength === 0 || (last !== 0x20 && last !== 0x09)) return written;
  let at = written - 1;
  if (lineLength - 1 + 3 > QP_LINE) at = softBreak(out, at);
  return writeEncoded(out, at, last);
}

/** "From " at `at` (the "F" already seen). */
function isFromSpace(body: Buffer, at: number): boolean {
  return body[at + 1] === 0x72 && body[at + 2] === 0x6f && body[at + 3] === 0x6d && body[at + 4] === 0x20;
}
