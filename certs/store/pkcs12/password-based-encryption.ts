/**
 * Decrypting what a PKCS#12 file encrypts with its password: PBES2 (PBKDF2 + AES or
 * 3DES, what OpenSSL 3 writes by default) and the legacy PKCS#12 schemes
 * (pbeWithSHAAnd3-KeyTripleDES-CBC, RC2, RC4: what `-legacy`, older OpenSSL and Windows
 * write). RC2 and RC4 live in OpenSSL 3's legacy provider, which Node loads only when
 * started with --openssl-legacy-provider: their absence is detected and named.
 */
import { createDecipheriv, getCiphers, pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { CertificateStoreError } from '../errors.js';
import { KDF_PURPOSE, pkcs12Kdf } from './kdf.js';

/** Thrown when decryption fails in a way a wrong password explains (bad padding). */
export class DecryptionFailed extends Error {
  constructor() {
    super('decryption failed');
    this.name = 'DecryptionFailed';
  }
}

/** The password in the two encodings PKCS#12 uses: UTF-8 for PBES2, BMPString for the rest. */
export interface Pkcs12Password {
  readonly utf8: Buffer;
  readonly bmp: Buffer;
}

/** Guards the process against a crafted file with an absurd iteration count. */
export const MAX_ITERATIONS = 2_000_000;

const PBES2 = '1.2.840.113549.1.5.13';
const PBKDF2 = '1.2.840.113549.1.5.12';

/** Legacy PKCS#12 schemes (RFC 7292 appendix C): all SHA-1 based. */
const PKCS12_PBE: Readonly<Record<string, { name: string; cipher: string; keyLength: number; ivLength: number }>> = {
  '1.2.840.113549.1.12.1.1': { name: 'pbeWithSHAAnd128BitRC4', cipher: 'rc4', keyLength: 16, ivLength: 0 },
  '1.2.840.113549.1.12.1.2': { name: 'pbeWithSHAAnd40BitRC4', cipher: 'rc4-40', keyLength: 5, ivLength: 0 },
  '1.2.840.113549.1.12.1.3': { name: 'pbeWithSHAAnd3-KeyTripleDES-CBC', cipher: 'des-ede3-cbc', keyLength: 24, ivLength: 8 },
  '1.2.840.113549.1.12.1.4': { name: 'pbeWithSHAAnd2-KeyTripleDES-CBC', cipher: 'des-ede-cbc', keyLength: 16, ivLength: 8 },
  '1.2.840.113549.1.12.1.5': { name: 'pbeWithSHAAnd128BitRC2-CBC', cipher: 'rc2-cbc', keyLength: 16, ivLength: 8 },
  '1.2.840.113549.1.12.1.6': { name: 'pbeWithSHAAnd40BitRC2-CBC', cipher: 'rc2-40-cbc', keyLength: 5, ivLength: 8 },
};

const PBES2_CIPHERS: Readonly<Record<string, { cipher: string; keyLength: number }>> = {
  '2.16.840.1.101.3.4.1.2': { cipher: 'aes-128-cbc', keyLength: 16 },
  '2.16.840.1.101.3.4.1.22': { cipher: 'aes-192-cbc', keyLength: 24 },
  '2.16.840.1.101.3.4.1.42': { cipher: 'aes-256-cbc', keyLength: 32 },
  '1.2.840.113549.3.7': { cipher: 'des-ede3-cbc', keyLength: 24 },
};

const PBKDF2_PRFS: Readonly<Record<string, string>> = {
  '1.2.840.113549.2.7': 'sha1', '1.2.840.113549.2.8': 'sha224', '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384', '1.2.840.113549.2.11': 'sha512',
};

/** Names for algorithms we meet but do not support, so that errors say more than an OID. */
const OTHER_NAMES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.5.3': 'pbeWithMD5AndDES-CBC', '1.2.840.113549.1.5.6': 'pbeWithMD5AndRC2-CBC',
  '1.2.840.113549.1.5.10': 'pbeWithSHA1AndDES-CBC', '1.2.840.113549.1.5.11': 'pbeWithSHA1AndRC2-CBC',
  '1.2.392.200011.61.1.1.1.2': 'camellia-128-cbc', '1.2.392.200011.61.1.1.1.3': 'camellia-192-cbc',
  '1.2.392.200011.61.1.1.1.4': 'camellia-256-cbc', '1.3.14.3.2.7': 'des-cbc', '1.2.840.113549.3.2': 'rc2-cbc',
  '1.3.6.1.4.1.11591.4.11': 'scrypt', '1.2.840.113549.1.5.14': 'PBMAC1',
  '2.16.840.1.101.3.4.1.6': 'aes-128-gcm', '2.16.840.1.101.3.4.1.46': 'aes-256-gcm',
};

export function algorithmName(oid: string): string {
  const known = PKCS12_PBE[oid]?.name ?? PBES2_CIPHERS[oid]?.cipher ?? PBKDF2_PRFS[oid] ?? OTHER_NAMES[oid];
  return known ? `${known} (${oid})` : `OID ${oid}`;
}

let availableCiphers: Set<string> | undefined;

function requireCipher(cipher: string, algorithm: string): void {
  availableCiphers ??= new Set(getCiphers());
  if (availableCiphers.has(cipher)) return;
  throw new CertificateStoreError('unsupported-algorithm',
    `the PKCS#12 file is encrypted with ${algorithm}, which this Node.js cannot decrypt: OpenSSL 3 keeps ${cipher} in its legacy provider. `
    + 'Start Node with --openssl-legacy-provider, or re-export the file with current algorithms '
    + '(openssl pkcs12 -export without -legacy, or -legacy -certpbe PBE-SHA1-3DES).');
}

function unsupported(what: string, oid: string): CertificateStoreError {
  return new CertificateStoreError('unsupported-algorithm', `unsupported ${what} in the PKCS#12 file: ${algorithmName(oid)}`);
}

function malformed(what: string, cause?: unknown): CertificateStoreError {
  return new CertificateStoreError('unreadable-input', `malformed PKCS#12 file: ${what}`, cause === undefined ? undefined : { cause });
}

export function checkIterations(iterations: number): void {
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
    throw malformed(`iteration count ${iterations} is outside 1..${MAX_ITERATIONS}`);
  }
}

/** Decrypts `data` as `algorithm` says with the password; refuses what it cannot do, by name. */
export async function decryptWithPassword(algorithm: pkijs.AlgorithmIdentifier, data: Uint8Array, password: Pkcs12Password): Promise<Buffer> {
  const oid = algorithm.algorithmId;
  if (oid === PBES2) return decryptPbes2(algorithm.algorithmParams, data, password.utf8);
  const legacy = PKCS12_PBE[oid];
  if (!legacy) throw unsupported('encryption algorithm', oid);
  requireCipher(legacy.cipher, legacy.name);
  const { salt, iterations } = readPkcs12PbeParams(algorithm.algorithmParams);
  const key = pkcs12Kdf('sha1', password.bmp, salt, iterations, KDF_PURPOSE.key, legacy.keyLength);
  const iv = legacy.ivLength > 0 ? pkcs12Kdf('sha1', password.bmp, salt, iterations, KDF_PURPOSE.iv, legacy.ivLength) : null;
  return decrypt(legacy.cipher, key, iv, data);
}

/** pkcs-12PbeParams ::= SEQUENCE { salt OCTET STRING, iterations INTEGER } */
function readPkcs12PbeParams(params: unknown): { salt: Uint8Array; iterations: number } {
  const [salt, iterations] = params instanceof asn1js.Sequence ? params.valueBlock.value : [];
  if (!(salt instanceof asn1js.OctetString) || !(iterations instanceof asn1js.Integer)) throw malformed('bad PBE parameters');
  checkIterations(iterations.valueBlock.valueDec);
  return { salt: salt.valueBlock.valueHexView, iterations: iterations.valueBlock.valueDec };
}

async function decryptPbes2(params: unknown, data: Uint8Array, password: Buffer): Promise<Buffer> {
  let pbes2: pkijs.PBES2Params;
  let kdf: pkijs.PBKDF2Params;
  try {
    pbes2 = new pkijs.PBES2Params({ schema: params });
  } catch (cause) {
    throw malformed('bad PBES2 parameters', cause);
  }
  if (pbes2.keyDerivationFunc.algorithmId !== PBKDF2) throw unsupported('key derivation function', pbes2.keyDerivationFunc.algorithmId);
  try {
    kdf = new pkijs.PBKDF2Params({ schema: pbes2.keyDerivationFunc.algorithmParams });
  } catch (cause) {
    throw malformed('bad PBKDF2 parameters', cause);
  }
  const scheme = pbes2.encryptionScheme;
  const cipher = PBES2_CIPHERS[scheme.algorithmId];
  if (!cipher) throw unsupported('cipher', scheme.algorithmId);
  const prfOid = kdf.prf?.algorithmId ?? '1.2.840.113549.2.7'; // default hmacWithSHA1
  const digest = PBKDF2_PRFS[prfOid];
  if (!digest) throw unsupported('PBKDF2 pseudo-random function', prfOid);
  if (!(kdf.salt instanceof asn1js.OctetString)) throw malformed('PBKDF2 salt is not an OCTET STRING');
  if (!(scheme.algorithmParams instanceof asn1js.OctetString)) throw malformed('the cipher IV is not an OCTET STRING');
  checkIterations(kdf.iterationCount);
  const keyLength = kdf.keyLength ?? cipher.keyLength;
  if (keyLength !== cipher.keyLength) throw malformed(`key length ${keyLength} does not fit ${cipher.cipher}`);
  const key = await promisify(pbkdf2)(password, kdf.salt.valueBlock.valueHexView, kdf.iterationCount, keyLength, digest);
  return decrypt(cipher.cipher, key, scheme.algorithmParams.valueBlock.valueHexView, data);
}

function decrypt(cipher: string, key: Uint8Array, iv: Uint8Array | null, data: Uint8Array): Buffer {
  let decipher;
  try {
    decipher = createDecipheriv(cipher, key, iv);
  } catch (cause) {
    throw malformed(`bad ${cipher} parameters`, cause);
  }
  try {
    return Buffer.concat([decipher.update(data), decipher.final()]);
  } catch {
    throw new DecryptionFailed();
  }
}
