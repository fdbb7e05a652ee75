/**
 * A minimal DER writer for the structures we emit. Building SignedData by hand (instead of
 * through pkijs objects) lets certificates be embedded as the exact bytes received, the
 * signed attributes be sorted as DER requires (X.690 §11.6; pkijs does not sort), and
 * large contents be copied without asn1js's per-node overhead. Also used by the
 * enveloped-data code: every function returns the element's bytes.
 */

function lengthBytes(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Tag, length, contents (definite length). */
export function tlv(tag: number, ...contents: readonly Uint8Array[]): Buffer {
  const length = contents.reduce((sum, c) => sum + c.length, 0);
  const header = Buffer.concat([Buffer.from([tag]), lengthBytes(length)]);
  return Buffer.concat([header, ...contents], header.length + length);
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

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds, Z. */
export function time(date: Date): Buffer {
  const iso = new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString(); // 2026-01-31T10:00:00.000Z
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '') + 'Z';
  const year = date.getUTCFullYear();
  return year >= 1950 && year < 2050 ? tlv(0x17, Buffer.from(digits.slice(2), 'latin1')) : tlv(0x18, Buffer.from(digits, 'latin1'));
}

/** AlgorithmIdentifier with absent parameters, or NULL parameters when asked. */
export function algorithmIdentifier(oid: string, nullParameters = false): Buffer {
  return nullParameters ? sequence(objectIdentifier(oid), derNull()) : sequence(objectIdentifier(oid));
}
