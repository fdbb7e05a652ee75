/**
 * The PKCS#12 key derivation (RFC 7292 appendix B.2), which derives the MAC key and the
 * keys and IVs of the legacy pbeWithSHAAnd… algorithms from a password. Node has no
 * built-in for it; it is a few hash iterations over salt and password.
 */
import { createHash } from 'node:crypto';

/** What the derived bytes are for (the "ID" byte of B.2). */
export const KDF_PURPOSE = { key: 1, iv: 2, mac: 3 } as const;

export type Pkcs12Hash = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

const SIZES: Readonly<Record<Pkcs12Hash, { u: number; v: number }>> = {
  sha1: { u: 20, v: 64 }, sha224: { u: 28, v: 64 }, sha256: { u: 32, v: 64 },
  sha384: { u: 48, v: 128 }, sha512: { u: 64, v: 128 },
};

/** The password as PKCS#12 wants it: UTF-16BE with a two-byte terminator (B.1). */
export function bmpPassword(password: string): Buffer {
  const bytes = Buffer.alloc(password.length * 2 + 2);
  for (let i = 0; i < password.length; i++) bytes.writeUInt16BE(password.charCodeAt(i), i * 2);
  return bytes;
}

export function pkcs12Kdf(hash: Pkcs12Hash, password: Uint8Array, salt: Uint8Array, iterations: number, purpose: number, length: number): Buffer {
  const { u, v } = SIZES[hash];
  const D = Buffer.alloc(v, purpose);
  const I = Buffer.concat([repeatToBlocks(salt, v), repeatToBlocks(password, v)]);
  const out = Buffer.alloc(length);
  for (let filled = 0; ; ) {
    let A = createHash(hash).update(D).update(I).digest();
    for (let r = 1; r < iterations; r++) A = createHash(hash).update(A).digest();
    A.copy(out, filled);
    filled += u;
    if (filled >= length) return out;
    // I_j = (I_j + B + 1) mod 2^(8v) for each v-byte block, B being A repeated to v bytes.
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k]! + A[k % u]! + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
}

function repeatToBlocks(bytes: Uint8Array, v: number): Buffer {
  const out = Buffer.alloc(v * Math.ceil(bytes.length / v));
  for (let i = 0; i < out.length; i++) out[i] = bytes[i % bytes.length]!;
  return out;
}
