/**
 * A minimal BER tag-length-value walker. Reading a SignedData through asn1js decodes every
 * certificate inside it node by node, which costs far more than the signature check; this
 * walker only finds where each element lies, so that known certificates are taken from the
 * cache by their bytes and only the small SignerInfos go through asn1js/pkijs.
 * Definite and indefinite lengths (as streaming encoders write them) are both read.
 */

/** Bad CMS structure; its message is the detail given in a 'malformed' verdict. */
export class CmsFormatError extends Error {
  constructor(message: string, readonly notSigned = false) {
    super(message);
    this.name = 'CmsFormatError';
  }
}

export interface Tlv {
  /** 0 universal, 1 application, 2 context-specific, 3 private. */
  readonly tagClass: number;
  readonly constructed: boolean;
  readonly tagNumber: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  readonly contentStart: number;
  /** End of the contents (before the end-of-contents octets of an indefinite length). */
  readonly contentEnd: number;
  /** Offset after the whole element. */
  readonly end: number;
}

const MAX_DEPTH = 64;

export function readTlv(data: Uint8Array, offset: number, depth = 0): Tlv {
  if (depth > MAX_DEPTH) throw new CmsFormatError('BER nested too deeply');
  let at = offset;
  const need = (n: number): void => {
    if (at + n > data.length) throw new CmsFormatError('BER truncated');
  };
  need(2);
  const identifier = data[at++]!;
  let tagNumber = identifier & 0x1f;
  if (tagNumber === 0x1f) {
    tagNumber = 0;
    for (let byte = 0x80; byte & 0x80;) {
      need(1);
      byte = data[at++]!;
      tagNumber = tagNumber * 128 + (byte & 0x7f);
      if (tagNumber > 0xffffff) throw new CmsFormatError('BER tag number too large');
    }
  }
  need(1);
  const first = data[at++]!;
  const tag = { tagClass: identifier >> 6, constructed: (identifier & 0x20) !== 0, tagNumber, start: offset };
  if (first === 0x80) {
    if (!tag.constructed) throw new CmsFormatError('BER indefinite length on a primitive element');
    let child = at;
    for (;;) {
      need(2);
      if (data[child] === 0 && data[child + 1] === 0) return { ...tag, contentStart: at, contentEnd: child, end: child + 2 };
      child = readTlv(data, child, depth + 1).end;
    }
  }
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count > 4) throw new CmsFormatError('BER length too large');
    need(count);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + data[at++]!;
  }
  if (at + length > data.length) throw new CmsFormatError('BER truncated');
  return { ...tag, contentStart: at, contentEnd: at + length, end: at + length };
}

/** The elements inside a constructed element. */
export function childrenOf(data: Uint8Array, tlv: Tlv): Tlv[] {
  if (!tlv.constructed) throw new CmsFormatError('expected a constructed BER element');
  const children: Tlv[] = [];
  for (let at = tlv.contentStart; at < tlv.contentEnd;) {
    const child = readTlv(data, at);
    children.push(child);
    at = child.end;
  }
  return children;
}

export const bytesOf = (data: Uint8Array, tlv: Tlv): Uint8Array => data.subarray(tlv.start, tlv.end);
export const contentOf = (data: Uint8Array, tlv: Tlv): Uint8Array => data.subarray(tlv.contentStart, tlv.contentEnd);

export function isUniversal(tlv: Tlv | undefined, tagNumber: number): tlv is Tlv {
  return tlv !== undefined && tlv.tagClass === 0 && tlv.tagNumber === tagNumber;
}

export function isContext(tlv: Tlv | undefined, tagNumber: number): tlv is Tlv {
  return tlv !== undefined && tlv.tagClass === 2 && tlv.tagNumber === tagNumber;
}

export const UNIVERSAL = { integer: 2, octetString: 4, oid: 6, sequence: 16, set: 17 } as const;

/** An OBJECT IDENTIFIER's dotted form. */
export function readOid(data: Uint8Array, tlv: Tlv): string {
  if (!isUniversal(tlv, UNIVERSAL.oid) || tlv.constructed) throw new CmsFormatError('expected an OBJECT IDENTIFIER');
  const arcs: bigint[] = [];
  let value = 0n;
  for (const byte of contentOf(data, tlv)) {
    value = (value << 7n) | BigInt(byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(value);
      value = 0n;
    }
  }
  if (arcs.length === 0) throw new CmsFormatError('empty OBJECT IDENTIFIER');
  const first = arcs[0]! < 80n ? arcs[0]! / 40n : 2n;
  return [first, arcs[0]! - first * 40n, ...arcs.slice(1)].join('.');
}

/** An OCTET STRING's bytes, primitive or constructed (chunked, as streaming encoders write it). */
export function readOctetString(data: Uint8Array, tlv: Tlv, depth = 0): Uint8Array {
  if (!isUniversal(tlv, UNIVERSAL.octetString)) throw new CmsFormatError('expected an OCTET STRING');
  if (depth > MAX_DEPTH) throw new CmsFormatError('BER nested too deeply');
  if (!tlv.constructed) return contentOf(data, tlv);
  return new Uint8Array(Buffer.concat(childrenOf(data, tlv).map((child) => readOctetString(data, child, depth + 1))));
}
