/**
 * A small BER reader (X.690) for the envelope structures: tag, length, contents, with the
 * indefinite lengths and constructed OCTET STRINGs that streaming encoders such as
 * `openssl cms` write. It exists because parsing an EnvelopedData through pkijs schemas
 * costs milliseconds (several times the RSA operation) where walking the TLVs costs
 * microseconds. Every length is checked against the data; anything odd throws BerError.
 */

export class BerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BerError';
  }
}

export interface Tlv {
  /** The identifier octet: class, constructed bit and tag number (low-tag-number form only). */
  readonly tag: number;
  readonly constructed: boolean;
  /** The contents octets (without the end-of-contents of an indefinite length). */
  readonly content: Buffer;
  /** The whole encoding, identifier to end. */
  readonly encoding: Buffer;
}

/** Nesting deeper than this is refused: CMS envelopes need about ten levels. */
const MAX_DEPTH = 40;

/** The TLV at the start of `data` (bytes after it are ignored, as OpenSSL ignores them). */
export function readTlv(data: Buffer): Tlv {
  return readAt(data, 0, 0).tlv;
}

/** The elements inside a constructed TLV, in order. */
export function childrenOf(tlv: Tlv): Tlv[] {
  if (!tlv.constructed) throw new BerError(`tag 0x${tlv.tag.toString(16)} is not constructed`);
  const children: Tlv[] = [];
  for (let offset = 0; offset < tlv.content.length;) {
    const { tlv: child, end } = readAt(tlv.content, offset, 1);
    children.push(child);
    offset = end;
  }
  return children;
}

function readAt(data: Buffer, offset: number, depth: number): { tlv: Tlv; end: number } {
  if (depth > MAX_DEPTH) throw new BerError('nesting too deep');
  if (offset + 2 > data.length) throw new BerError('truncated');
  const tag = data[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new BerError('high tag numbers are not used in CMS envelopes');
  const constructed = (tag & 0x20) !== 0;
  const first = data[offset + 1]!;
  let contentStart = offset + 2;
  let contentEnd: number;
  let end: number;
  if (first === 0x80) {
    if (!constructed) throw new BerError('indefinite length on a primitive encoding');
    let position = contentStart;
    for (;;) {
      if (position + 2 > data.length) throw new BerError('truncated: no end-of-contents');
      if (data[position] === 0 && data[position + 1] === 0) break;
      position = readAt(data, position, depth + 1).end;
    }
    contentEnd = position;
    end = position + 2;
  } else {
    let length = first;
    if (first > 0x80) {
      const count = first & 0x7f;
      if (count > 4) throw new BerError('length too large');
      if (contentStart + count > data.length) throw new BerError('truncated');
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + data[contentStart + i]!;
      contentStart += count;
    }
    contentEnd = contentStart + length;
    if (contentEnd > data.length) throw new BerError('truncated');
    end = contentEnd;
  }
  return {
    tlv: { tag, constructed, content: data.subarray(contentStart, contentEnd), encoding: data.subarray(offset, end) },
    end,
  };
}

/** Checks the identifier octet of a TLV. */
export function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv || tlv.tag !== tag) throw new BerError(`${what}: expected tag 0x${tag.toString(16)}, found ${tlv ? '0x' + tlv.tag.toString(16) : 'nothing'}`);
  return tlv;
}

/**
 * The value of an OCTET STRING, primitive or constructed (BER segments, concatenated),
 * whatever its tag (it may be IMPLICIT). Tags other than OCTET STRING in segments are refused.
 */
export function octetsOf(tlv: Tlv): Buffer {
  if (!tlv.constructed) return tlv.content;
  return Buffer.concat(childrenOf(tlv).map((segment) => {
    if ((segment.tag & 0xdf) !== 0x04) throw new BerError('a constructed OCTET STRING holds something else');
    return octetsOf(segment);
  }));
}

/** The dotted form of an OBJECT IDENTIFIER. */
export function oidOf(tlv: Tlv): string {
  expectTag(tlv, 0x06, 'OBJECT IDENTIFIER');
  const bytes = tlv.content;
  if (bytes.length === 0 || (bytes[bytes.length - 1]! & 0x80) !== 0) throw new BerError('malformed OBJECT IDENTIFIER');
  const arcs: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new BerError('OBJECT IDENTIFIER arc too large');
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else arcs.push(value);
      value = 0;
    }
  }
  return arcs.join('.');
}

/** A small non-negative INTEGER (versions, ICV lengths). */
export function smallIntegerOf(tlv: Tlv): number {
  expectTag(tlv, 0x02, 'INTEGER');
  const bytes = tlv.content;
  if (bytes.length === 0 || bytes.length > 4 || (bytes[0]! & 0x80) !== 0) throw new BerError('INTEGER out of range');
  return bytes.reduce((value, byte) => value * 256 + byte, 0);
}
