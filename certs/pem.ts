/**
 * PEM (RFC 7468) encoding and decoding: base64 DER between BEGIN/END lines.
 * Strict on the base64 alphabet, because Buffer.from(…, 'base64') silently drops
 * garbage and would turn a corrupt file into a confusing ASN.1 error later on.
 */
import { HygieError } from '../core/errors.js';

export interface PemBlock {
  label: string;
  der: Uint8Array;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Encodes DER bytes as a PEM block with 64-character lines and a final newline. */
export function toPem(der: Uint8Array | ArrayBuffer, label: string): string {
  const base64 = Buffer.from(der instanceof ArrayBuffer ? new Uint8Array(der) : der).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** All PEM blocks of a text, in order; text outside the blocks (comments) is ignored. */
export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const label = match[1]!;
    const body = match[2]!.replace(/\s+/g, '');
    if (!BASE64.test(body) || body.length % 4 !== 0) {
      throw new HygieError('INVALID_INPUT', `PEM block "${label}" is not valid base64`);
    }
    blocks.push({ label, der: new Uint8Array(Buffer.from(body, 'base64')) });
  }
  return blocks;
}

/** The DER bytes of the first block with this label (e.g. CERTIFICATE, PRIVATE KEY). */
export function fromPem(text: string, label: string): Uint8Array {
  const block = pemBlocks(text).find((b) => b.label === label);
  if (!block) throw new HygieError('INVALID_INPUT', `no "${label}" PEM block found`);
  return block.der;
}

/** Copies bytes into a fresh ArrayBuffer (asn1js and WebCrypto want exactly-sized buffers). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}
