/**
 * A minimal DER writer for the structures we emit. Building SignedData by hand (instead of
 * through pkijs objects) lets certificates be embedded as the exact bytes received, the
 * signed attributes be sorted as DER requires (X.690 §11.6; pkijs does not sort), and
 * large contents be copied without asn1js's per-node overhead. Also used by the
 * enveloped-data code: every function returns the element's bytes.
 */

/** Bytes the length field takes: short form below 128, else 0x8n and n bytes. */
function lengthFieldSize(length: number): number {
  if (length < 0x80) return 1;
  let bytes = 1;
  for (let n = length; n > 0xff; n = Math.floor(n / 256)) bytes++;
  return 1 + bytes;
}

function writeLength(out: Buffer, at: number, length: number, size: number): void {
  if (size === 1) {
    out[at] = length;
    return;
  }
  out[at] = 0x80 | (size - 1);
  for (let i = size - 1, n = length; i >= 1; i--, n = Math.floor(n / 256)) out[at + i] = n & 0xff;
}

/** Tag, length, contents (definite length), written into one allocation. */
export function tlv(tag: number, ...contents: readonly Uint8Array[]): Buffer {
  let length = 0;
  for (const c of contents) length += c.length;
  const size = lengthFieldSize(length);
  const out = Buffer.allocUnsafe(1 + size + length);
  out[0] = tag;
  writeLength(out, 1, length, size);
  let at = 1 + size;
  for (const c of contents) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * An element kept as pieces, its header first: the large content of an envelope is copied
 * once, when the outermost element is joined, instead of once per level of nesting.
 */
export type DerPieces = readonly Uint8Array[];

/** Tag and length for contents given as pieces (elements, or pieces of elements). */
export function tlvPieces(tag: number, ...contents: ReadonlyArray<Uint8Array | DerPieces>): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  for (const content of contents) {
    if (content instanceof Uint8Array) pieces.push(content);
    else pieces.push(...content);
  }
  let length = 0;
  for (const piece of pieces) length += piece.length;
  const size = lengthFieldSize(length);
  const header = Buffer.allocUnsafe(1 + size);
  header[0] = tag;
  writeLength(header, 1, length, size);
  return [header, ...pieces];
}

export function joinPieces(pieces: DerPieces): Buffer {
  return Buffer.concat(pieces);
}

export const sequence = (...contents: readonly Uint8Array[]): Buffer => tlv(0x30, ...contents);

/** [n] EXPLICIT (or IMPLICIT of a constructed type): context-specific constructed tag. */
export const contextTag = (n: number, ...contents: readonly Uint8Array[]): Buffer => tlv(0xa0 | n, ...contents);

export const octetString = (bytes: Uint8Array): Buffer => tlv(0x04, bytes);

export const derNull = (): Buffer => Buffer.from([0x05, 0x00]);

/** SET OF with its elements in DER order (ascending encodings). */
export function setOf(elements: readonly Uint8Array[]): Buffer {
  return tlv(0x31, ...[...elements].sort(compareEncodings));
}

/** X.690 §11.6: compare as octet strings, the shorter padded with zeros at the end. */
function compareEncodings(a: Uint8Array, b: Uint8Array): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

const oidCache = new Map<string, Buffer>();

/** OBJECT IDENTIFIER (encodings cached: the same dozen OIDs are written for every message). */
export function objectIdentifier(dotted: string): Buffer {
  let der = oidCache.get(dotted);
  if (!der) {
    der = encodeOid(dotted);
    if (oidCache.size < 256) oidCache.set(dotted, der);
  }
  return Buffer.from(der); // a copy: callers own what they get
}

function encodeOid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((arc) => BigInt(arc));
  if (arcs.length < 2) throw new Error(`not an OID: ${dotted}`);
  const body: number[] = [];
  for (const arc of [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)]) {
    const chunk: number[] = [Number(arc & 0x7fn)];
    for (let rest = arc >> 7n; rest > 0n; rest >>= 7n) chunk.unshift(Number(rest & 0x7fn) | 0x80);
    body.push(...chunk);
  }
  return tlv(0x06, Buffer.from(body));
}

export function smallInteger(value: number): Buffer {
  if (value < 0 || value > 127) throw new Error('smallInteger takes 0..127');
  return Buffer.from([0x02, 0x01, value]);
}

/** The last time written: every message signed within the same second carries the same bytes. */
let lastTime: { second: number; der: Buffer } | undefined;

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds, Z. */
export function time(date: Date): Buffer {
  const second = Math.floor(date.getTime() / 1000);
  if (lastTime?.second !== second) {
    const iso = new Date(second * 1000).toISOString(); // 2026-01-31T10:00:00.000Z
    const digits = iso.slice(0, 19).replace(/[-:T]/g, '') + 'Z';
    const year = date.getUTCFullYear();
    const der = year >= 1950 && year < 2050 ? tlv(0x17, Buffer.from(digits.slice(2), 'latin1')) : tlv(0x18, Buffer.from(digits, 'latin1'));
    lastTime = { second, der };
  }
  return Buffer.from(lastTime.der); // a copy: callers own what they get
}

/** AlgorithmIdentifier with absent parameters, or NULL parameters when asked. */
export function algorithmIdentifier(oid: string, nullParameters = false): Buffer {
  return nullParameters ? sequence(objectIdentifier(oid), derNull()) : sequence(objectIdentifier(oid));
}
