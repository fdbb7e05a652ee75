/**
 * The MIME plumbing of S/MIME (RFC 8551): a message is its outer RFC 5322 header
 * (From, To, Subject, Date, Message-ID, trace fields…) plus one MIME entity (the
 * Content-* header fields and the body). Signing and encryption protect the entity;
 * the outer header stays readable so that the message can be routed and listed.
 * No cryptography here: bytes in, bytes out.
 */

export interface HeaderField {
  /** Field name as written. */
  name: string;
  /** The whole field as it appeared, folded lines included, without the final CRLF. */
  raw: string;
}

export interface SplitMessage {
  /** RFC 5322 fields that are not part of the MIME entity, in order. */
  outer: HeaderField[];
  /** The MIME entity: Content-* fields, a blank line, the body — canonical CRLF line ends. */
  entity: Buffer;
}

/** S/MIME structures a MIME entity can have. */
export type SmimeStructure =
  | { kind: 'multipart-signed'; content: Buffer; signature: Buffer; micalg: string | null }
  | { kind: 'pkcs7-mime'; smimeType: 'signed-data' | 'enveloped-data' | 'authEnveloped-data' | 'compressed-data' | 'certs-only' | null; der: Buffer }
  | { kind: 'plain' };

export class SmimeFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SmimeFormatError';
  }
}

/** Converts bare LF (and lone CR) line ends to CRLF: the canonical form signatures are computed on (RFC 8551 §3.1.1). */
export function canonicalize(data: Buffer): Buffer {
  if (isCanonical(data)) return data;
  return Buffer.from(data.toString('latin1').replace(/\r\n|\r|\n/g, '\r\n'), 'latin1');
}

/** Every LF preceded by CR and every CR followed by LF; native searches, so a 1 MB message costs little. */
function isCanonical(data: Buffer): boolean {
  for (let at = data.indexOf(0x0a); at >= 0; at = data.indexOf(0x0a, at + 1)) {
    if (at === 0 || data[at - 1] !== 0x0d) return false;
  }
  for (let at = data.indexOf(0x0d); at >= 0; at = data.indexOf(0x0d, at + 1)) {
    if (data[at + 1] !== 0x0a) return false;
  }
  return true;
}

/** Parses a header block into fields, unfolding nothing (the raw text is kept for re-emission). */
export function parseHeaderFields(block: string): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const line of block.split('\r\n')) {
    if (line === '') continue;
    if (/^[ \t]/.test(line) && fields.length > 0) {
      const last = fields[fields.length - 1] as HeaderField;
      last.raw += '\r\n' + line;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new SmimeFormatError(`not a header field: ${JSON.stringify(line.slice(0, 40))}`);
    fields.push({ name: line.slice(0, colon).trim(), raw: line });
  }
  return fields;
}

/** The value of a field, unfolded, without the name. */
export function fieldValue(field: HeaderField): string {
  return field.raw.slice(field.raw.indexOf(':') + 1).replace(/\r\n[ \t]/g, ' ').trim();
}

function isEntityField(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith('content-') || lower === 'mime-version';
}

/** Splits header and body at the first empty line; a message with no body gets an empty one. */
function splitHeaderBody(canonical: Buffer): { header: string; body: Buffer } {
  const end = canonical.indexOf('\r\n\r\n');
  if (end < 0) return { header: canonical.toString('latin1').replace(/\r\n$/, ''), body: Buffer.alloc(0) };
  return { header: canonical.subarray(0, end).toString('latin1'), body: canonical.subarray(end + 4) };
}

/**
 * Like splitHeaderBody, but only the header is canonicalised: the body keeps its bytes,
 * for a raw binary body (BINARYMIME) whose LF bytes are data, not line ends.
 */
function splitHeaderRawBody(data: Buffer): { header: string; body: Buffer } {
  for (let start = 0; start < data.length;) {
    const lf = data.indexOf(0x0a, start);
    const lineEnd = lf < 0 ? data.length : lf;
    const empty = lineEnd === start || (lineEnd === start + 1 && data[start] === 0x0d);
    if (empty) {
      const header = canonicalize(data.subarray(0, start)).toString('latin1').replace(/\r\n$/, '');
      return { header, body: lf < 0 ? Buffer.alloc(0) : data.subarray(lf + 1) };
    }
    if (lf < 0) break;
    start = lf + 1;
  }
  return { header: canonicalize(data).toString('latin1').replace(/\r\n$/, ''), body: Buffer.alloc(0) };
}

/** Whether the body is canonicalised too (the default) or kept byte for byte. */
export interface SplitOptions {
  canonicalize?: boolean;
}

function split(data: Buffer, options: SplitOptions | undefined): { header: string; body: Buffer } {
  return options?.canonicalize === false ? splitHeaderRawBody(data) : splitHeaderBody(canonicalize(data));
}

/**
 * Separates the outer header from the MIME entity. A message without Content-Type
 * is text/plain (RFC 2045 §5.2); the entity then gets that field explicitly so that
 * the signed or encrypted part says what it holds.
 */
export function splitMessage(message: Buffer, options?: SplitOptions): SplitMessage {
  const { outer, entityFields, body } = splitMessageParts(message, options);
  return { outer, entity: entityOf(entityFields, body) };
}

/** splitMessage with the entity left in two: its header fields and its body (signing re-encodes the body). */
export function splitMessageParts(message: Buffer, options?: SplitOptions): { outer: HeaderField[]; entityFields: HeaderField[]; body: Buffer } {
  const { header, body } = split(message, options);
  const fields = parseHeaderFields(header);
  const outer = fields.filter((f) => !isEntityField(f.name));
  let entityFields = fields.filter((f) => isEntityField(f.name) && f.name.toLowerCase() !== 'mime-version');
  if (!entityFields.some((f) => f.name.toLowerCase() === 'content-type')) {
    entityFields = [{ name: 'Content-Type', raw: 'Content-Type: text/plain; charset=us-ascii' }, ...entityFields];
  }
  return { outer, entityFields, body };
}

/** Header fields, the empty line, then the body. */
export function entityOf(fields: readonly HeaderField[], body: Uint8Array): Buffer {
  return Buffer.concat([headerBlock(fields), body]);
}

/** Header fields each ended by CRLF, then the empty line that ends the header. */
export function headerBlock(fields: readonly HeaderField[]): Buffer {
  return Buffer.from(fields.map((f) => f.raw + '\r\n').join('') + '\r\n', 'latin1');
}

/** Puts a message back together: outer header, MIME-Version, then the (new) entity. */
export function joinMessage(outer: readonly HeaderField[], entity: Buffer): Buffer {
  return Buffer.concat([outerHead(outer), entity]);
}

/** The outer header fields followed by MIME-Version, which goes with the entity that follows. */
function outerHead(outer: readonly HeaderField[]): Buffer {
  return Buffer.from(outer.filter((f) => f.name.toLowerCase() !== 'mime-version').map((f) => f.raw + '\r\n').join('') + 'MIME-Version: 1.0\r\n', 'latin1');
}

/** Reads a Content-Type value: `type/subtype` lower-cased and its parameters (names lower-cased, quotes removed). */
export function parseContentType(value: string): { type: string; params: Record<string, string> } {
  const [typePart = '', ...rest] = splitParams(value);
  const params: Record<string, string> = {};
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    let v = part.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    params[part.slice(0, eq).trim().toLowerCase()] = v;
  }
  return { type: typePart.trim().toLowerCase(), params };
}

/** Splits on `;` outside quoted strings. */
function splitParams(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (c === '"' && value[i - 1] !== '\\') quoted = !quoted;
    if (c === ';' && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

/** The entity's own header fields and body. */
export function entityParts(entity: Buffer, options?: SplitOptions): { fields: HeaderField[]; body: Buffer; contentType: { type: string; params: Record<string, string> } } {
  const { header, body } = split(entity, options);
  const fields = parseHeaderFields(header);
  return { fields, body, contentType: contentTypeOf(fields) };
}

/** The Content-Type of an entity's fields; text/plain when absent (RFC 2045 §5.2). */
export function contentTypeOf(fields: readonly HeaderField[]): { type: string; params: Record<string, string> } {
  const ct = fields.find((f) => f.name.toLowerCase() === 'content-type');
  return parseContentType(ct ? fieldValue(ct) : 'text/plain');
}

type Pkcs7SmimeType = Extract<SmimeStructure, { kind: 'pkcs7-mime' }>['smimeType'];

const SMIME_TYPES = new Map<string, Pkcs7SmimeType>([
  ['signed-data', 'signed-data'], ['enveloped-data', 'enveloped-data'], ['authenveloped-data', 'authEnveloped-data'],
  ['compressed-data', 'compressed-data'], ['certs-only', 'certs-only'],
]);

/**
 * Recognises multipart/signed and application/pkcs7-mime entities (also the x-pkcs7
 * spellings). Pass `{ canonicalize: false }` for an entity known to be canonical already
 * (from splitMessage): a large body is then not scanned again.
 */
export function detectSmime(entity: Buffer, options?: SplitOptions): SmimeStructure {
  const { fields, body, contentType } = entityParts(entity, options);
  return smimeStructureOf(fields, body, contentType);
}

/**
 * detectSmime of an entity in two (splitMessageParts). The parts of a multipart/signed are
 * the body's bytes: canonical only if the body is.
 */
export function smimeStructureOf(fields: readonly HeaderField[], body: Buffer, contentType = contentTypeOf(fields)): SmimeStructure {
  if (contentType.type === 'multipart/signed') {
    const protocol = (contentType.params.protocol ?? '').toLowerCase();
    if (protocol !== 'application/pkcs7-signature' && protocol !== 'application/x-pkcs7-signature') {
      throw new SmimeFormatError(`multipart/signed with protocol "${protocol}" is not S/MIME`);
    }
    const boundary = contentType.params.boundary;
    if (!boundary) throw new SmimeFormatError('multipart/signed without a boundary');
    const parts = splitMultipart(body, boundary);
    if (parts.length !== 2) throw new SmimeFormatError(`multipart/signed must have 2 parts, found ${parts.length}`);
    const signaturePart = entityParts(parts[1] as Buffer);
    return { kind: 'multipart-signed', content: parts[0] as Buffer, signature: decodeBody(signaturePart.fields, signaturePart.body), micalg: contentType.params.micalg ?? null };
  }
  if (contentType.type === 'application/pkcs7-mime' || contentType.type === 'application/x-pkcs7-mime' || isP7mAttachment(fields, contentType)) {
    const smimeType = SMIME_TYPES.get((contentType.params['smime-type'] ?? '').toLowerCase()) ?? null;
    return { kind: 'pkcs7-mime', smimeType, der: decodeBody(fields, body) };
  }
  return { kind: 'plain' };
}

/**
 * RFC 8551 §3.2.2: some agents send a CMS object as application/octet-stream with a
 * .p7m file name; it is read as application/pkcs7-mime.
 */
function isP7mAttachment(fields: readonly HeaderField[], contentType: { type: string; params: Record<string, string> }): boolean {
  if (contentType.type !== 'application/octet-stream') return false;
  const disposition = fields.find((f) => f.name.toLowerCase() === 'content-disposition');
  const names = [contentType.params.name, disposition ? parseContentType(fieldValue(disposition)).params.filename : undefined];
  return names.some((name) => name !== undefined && /\.p7m$/i.test(name.trim()));
}

/** A multipart body taken apart: what precedes the first delimiter, the parts, what follows the last. */
export interface MultipartFrame {
  preamble: Buffer;
  parts: Buffer[];
  /** Everything after the close delimiter `--boundary--`, line end included. */
  epilogue: Buffer;
}

/**
 * Finds the delimiter lines of a multipart body (RFC 2046 §5.1.1): a line that is
 * `--boundary` with optional trailing blanks, or `--boundary--`. A line that merely starts
 * with the delimiter (`--boundary-inner`, a nested part's boundary) is not one.
 */
interface DelimiterLine {
  /** Offset of `--boundary`. */
  start: number;
  /** Length of the line break before it (which belongs to the delimiter). */
  lineBreak: number;
  /** Offset just after the delimiter line. */
  next: number;
  close: boolean;
}

function delimiterLines(text: string, boundary: string): DelimiterLine[] {
  const delimiter = '--' + boundary;
  const lines: DelimiterLine[] = [];
  for (let at = text.indexOf(delimiter); at >= 0; at = text.indexOf(delimiter, at + 1)) {
    // A delimiter starts a line; a bare LF line end only occurs in bodies kept raw.
    if (at > 0 && text[at - 1] !== '\n') continue;
    const lineBreak = at === 0 ? 0 : text[at - 2] === '\r' ? 2 : 1;
    const rest = at + delimiter.length;
    if (text.startsWith('--', rest)) {
      lines.push({ start: at, lineBreak, next: rest + 2, close: true });
      return lines;
    }
    const padding = /^[ \t]*(\r?\n|$)/.exec(text.slice(rest, rest + 200));
    if (padding) lines.push({ start: at, lineBreak, next: rest + padding[0].length, close: false });
  }
  return lines;
}

export function multipartFrame(body: Buffer, boundary: string): MultipartFrame {
  const text = body.toString('latin1');
  const lines = delimiterLines(text, boundary);
  if (lines.length === 0) throw new SmimeFormatError('multipart boundary not found');
  const last = lines[lines.length - 1]!;
  if (!last.close) throw new SmimeFormatError('multipart body ends without its closing delimiter');
  const first = lines[0]!;
  const parts: Buffer[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    // The CRLF before a delimiter belongs to the delimiter, not to the part.
    const start = lines[i]!.next;
    const end = Math.max(start, lines[i + 1]!.start - lines[i + 1]!.lineBreak);
    parts.push(body.subarray(start, end));
  }
  return {
    preamble: body.subarray(0, first.start - first.lineBreak),
    parts,
    epilogue: body.subarray(last.next),
  };
}

/**
 * The parts of a multipart body, each exactly as transmitted (the bytes a detached
 * signature covers): from after the delimiter line's CRLF to before the CRLF that
 * precedes the next delimiter.
 */
export function splitMultipart(body: Buffer, boundary: string): Buffer[] {
  return multipartFrame(body, boundary).parts;
}

function decodeBody(fields: readonly HeaderField[], body: Buffer): Buffer {
  const cte = fields.find((f) => f.name.toLowerCase() === 'content-transfer-encoding');
  const encoding = cte ? fieldValue(cte).toLowerCase() : '7bit';
  if (encoding !== 'base64') return body;
  // RFC 2045 §6.8: characters outside the alphabet are ignored. Node's decoder skips them
  // too, except "-" and "_", which it reads as base64url: only then are they removed first
  // (a regular expression over a megabyte body costs more than the decoding).
  const text = body.toString('latin1');
  return Buffer.from(body.includes(0x2d) || body.includes(0x5f) ? text.replace(/[^A-Za-z0-9+/=]/g, '') : text, 'base64');
}

const BASE64_LINE = 76;
const NOTHING = new Uint8Array(0);

/** Bytes of `bytes` as base64 lines: the text and a CRLF per line of 76 (one empty line for no bytes). */
export function base64LinesLength(byteLength: number): number {
  const text = 4 * Math.ceil(byteLength / 3);
  return text === 0 ? 2 : text + 2 * Math.ceil(text / BASE64_LINE);
}

/**
 * Base64 in lines of 76 characters, each ended by CRLF, as MIME wants, after `prefix`
 * (header fields) in the same buffer. `bytes` may be given in pieces (DER written as
 * pieces): they are encoded as if joined, without joining them.
 */
export function base64Lines(bytes: Uint8Array | readonly Uint8Array[], prefix: Uint8Array = NOTHING): Buffer {
  const pieces = bytes instanceof Uint8Array ? [bytes] : bytes;
  const out = Buffer.allocUnsafe(prefix.length + base64LinesLength(totalLength(pieces)));
  out.set(prefix, 0);
  writeBase64Lines(out, prefix.length, pieces);
  return out;
}

function totalLength(pieces: readonly Uint8Array[]): number {
  let total = 0;
  for (const piece of pieces) total += piece.length;
  return total;
}

/**
 * Writes the pieces as base64 lines at `at` in `out`, which has base64LinesLength(their
 * length) bytes there; returns where they end. The text is written once at the end of that
 * region and its lines moved into place (a plain Uint8Array's copyWithin is a memmove):
 * several times faster than slicing and joining strings.
 */
function writeBase64Lines(out: Buffer, at: number, pieces: readonly Uint8Array[]): number {
  const byteLength = totalLength(pieces);
  const end = at + base64LinesLength(byteLength);
  const view = new Uint8Array(out.buffer, out.byteOffset, out.length);
  if (byteLength === 0) {
    view[at] = 0x0d;
    view[at + 1] = 0x0a;
    return end;
  }
  const source = end - 4 * Math.ceil(byteLength / 3);
  writeBase64Text(out, source, pieces);
  let written = at;
  for (let from = source; from < end; from += BASE64_LINE) {
    const to = Math.min(from + BASE64_LINE, end);
    view.copyWithin(written, from, to);
    written += to - from;
    view[written++] = 0x0d;
    view[written++] = 0x0a;
  }
  return end;
}

/** Pieces shorter than this are gathered before encoding: a toString per small piece costs more than copying it. */
const SMALL_PIECE = 512;

/**
 * The base64 text of the pieces' concatenation, unbroken, at `at`. Base64 works on groups
 * of 3 bytes, so a large piece is encoded in place from a group boundary, and the bytes
 * around it (small pieces, a group straddling two pieces) are gathered and encoded apart.
 */
function writeBase64Text(out: Buffer, at: number, pieces: readonly Uint8Array[]): number {
  let pending: Uint8Array[] = [];
  let pendingLength = 0;
  const writePending = (all: boolean) => {
    const joined = Buffer.concat(pending, pendingLength);
    const whole = all ? pendingLength : pendingLength - (pendingLength % 3);
    at += out.write(joined.toString('base64', 0, whole), at, 'latin1');
    pending = whole < pendingLength ? [joined.subarray(whole)] : [];
    pendingLength -= whole;
  };
  for (const piece of pieces) {
    if (piece.length < SMALL_PIECE) {
      pending.push(piece);
      pendingLength += piece.length;
      continue;
    }
    // Complete the pending bytes to whole groups with the piece's first bytes.
    const lead = (3 - (pendingLength % 3)) % 3;
    pending.push(piece.subarray(0, lead));
    pendingLength += lead;
    writePending(true);
    const rest = piece.length - lead;
    const aligned = lead + rest - (rest % 3);
    at += out.write(Buffer.from(piece.buffer, piece.byteOffset, piece.length).toString('base64', lead, aligned), at, 'latin1');
    if (aligned < piece.length) {
      pending.push(piece.subarray(aligned));
      pendingLength += piece.length - aligned;
    }
  }
  if (pendingLength > 0) writePending(true);
  return at;
}

type Pkcs7MimeType = 'signed-data' | 'enveloped-data' | 'authEnveloped-data';

/** Where an entity is written: a fresh buffer, or a scratch one (scratch.ts) when it is consumed at once. */
export type Allocate = (size: number) => Buffer;

const fresh: Allocate = (size) => Buffer.allocUnsafe(size);

/** An `application/pkcs7-mime` entity carrying a CMS structure. */
export function pkcs7MimeEntity(der: Uint8Array, smimeType: Pkcs7MimeType, allocate: Allocate = fresh): Buffer {
  const header = pkcs7MimeHeader(smimeType);
  const out = allocate(header.length + base64LinesLength(der.length));
  out.set(header, 0);
  return out.subarray(0, writeBase64Lines(out, header.length, [der]));
}

/** joinMessage(outer, pkcs7MimeEntity(der, smimeType)), written in one buffer; the DER may be given in pieces. */
export function pkcs7MimeMessage(outer: readonly HeaderField[], der: Uint8Array | readonly Uint8Array[], smimeType: Pkcs7MimeType): Buffer {
  return base64Lines(der, Buffer.concat([outerHead(outer), pkcs7MimeHeader(smimeType)]));
}

const PKCS7_MIME_HEADERS = new Map<string, Buffer>();

function pkcs7MimeHeader(smimeType: Pkcs7MimeType): Buffer {
  let header = PKCS7_MIME_HEADERS.get(smimeType);
  if (!header) {
    header = Buffer.from(
      `Content-Type: application/pkcs7-mime; smime-type=${smimeType}; name="smime.p7m"\r\n` +
      'Content-Transfer-Encoding: base64\r\n' +
      'Content-Disposition: attachment; filename="smime.p7m"\r\n\r\n',
      'latin1',
    );
    PKCS7_MIME_HEADERS.set(smimeType, header);
  }
  return header;
}

/**
 * A `multipart/signed` entity: the signed entity as is, then the detached signature,
 * written in one buffer. `micalg` and `boundary` are ASCII (one byte per character).
 */
export function multipartSignedEntity(content: Buffer, signatureDer: Uint8Array, micalg: string, boundary: string, allocate: Allocate = fresh): Buffer {
  const head =
    `Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=${micalg};\r\n boundary="${boundary}"\r\n\r\n` +
    'This is a cryptographically signed message in MIME format.\r\n\r\n' +
    `--${boundary}\r\n`;
  const middle =
    `\r\n--${boundary}\r\n` +
    'Content-Type: application/pkcs7-signature; name="smime.p7s"\r\n' +
    'Content-Transfer-Encoding: base64\r\n' +
    'Content-Disposition: attachment; filename="smime.p7s"\r\n\r\n';
  const tail = `\r\n--${boundary}--\r\n`;
  const out = allocate(head.length + content.length + middle.length + base64LinesLength(signatureDer.length) + tail.length);
  let at = out.write(head, 0, 'latin1');
  out.set(content, at);
  at += out.write(middle, at + content.length, 'latin1') + content.length;
  at = writeBase64Lines(out, at, [signatureDer]);
  at += out.write(tail, at, 'latin1');
  return out.subarray(0, at);
}
