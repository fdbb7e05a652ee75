/**
 * Private keys as the store receives and hands them out: read from PEM (PKCS#8, encrypted
 * PKCS#8, traditional RSA/EC, encrypted or not) or PKCS#8 DER into a Node KeyObject,
 * matched to a certificate by public key, and loaded into WebCrypto as a non-extractable
 * CryptoKey. Key bytes stay in KeyObjects and Buffers; nothing here formats them.
 */
import { createPrivateKey, createPublicKey, type KeyObject, type webcrypto } from 'node:crypto';
import { subtle, type CryptoKey } from '../engine.js';
import { keyAlgorithmName } from './certificate-facts.js';
import { CertificateStoreError } from './errors.js';

export type ImportAlgorithm = webcrypto.AlgorithmIdentifier | webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams;

const WEBCRYPTO_CURVES: Readonly<Record<string, string>> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/** Reads one PEM private key block (any of the usual labels); `password` opens encrypted ones. */
export function readPrivateKeyPem(pemBlock: string, password: string | undefined): KeyObject {
  try {
    return createPrivateKey({ key: pemBlock, format: 'pem', ...(password !== undefined ? { passphrase: password } : {}) });
  } catch (cause) {
    throw keyReadError(cause, password !== undefined, /^-----BEGIN ENCRYPTED PRIVATE KEY-----|^Proc-Type: 4,ENCRYPTED/m.test(pemBlock));
  }
}

/** Reads an unencrypted PKCS#8 DER private key (from a PKCS#12 bag or the database). */
export function readPrivateKeyPkcs8(der: Uint8Array): KeyObject {
  try {
    return createPrivateKey({ key: Buffer.from(der.buffer, der.byteOffset, der.byteLength), format: 'der', type: 'pkcs8' });
  } catch (cause) {
    throw new CertificateStoreError('unreadable-input', 'a private key is not a readable PKCS#8 key', { cause });
  }
}

/** OpenSSL's errors say whether a passphrase was missing or wrong; turn them into our reasons. */
function keyReadError(cause: unknown, hadPassword: boolean, encrypted: boolean): CertificateStoreError {
  const error = cause as { code?: string; message?: string };
  // Node reports a missing passphrase either way, depending on the OpenSSL it runs on.
  if (error.code === 'ERR_MISSING_PASSPHRASE' || (!hadPassword && error.code === 'ERR_OSSL_CRYPTO_INTERRUPTED_OR_CANCELLED')) {
    return new CertificateStoreError('password-required', 'the private key is encrypted: give its password', { cause });
  }
  if (hadPassword && (error.code === 'ERR_OSSL_BAD_DECRYPT' || /bad decrypt|maybe wrong password|unable to decrypt/i.test(error.message ?? ''))) {
    return new CertificateStoreError('wrong-password', 'wrong password for the encrypted private key', { cause });
  }
  // About one wrong password in 200 decrypts to bytes whose CBC padding happens to look
  // right: OpenSSL's key decoder then finds no key in them ("DECODER routines::unsupported").
  // A cipher OpenSSL lacks fails earlier, in "digital envelope routines", and falls through.
  if (hadPassword && encrypted && error.code === 'ERR_OSSL_UNSUPPORTED' && /DECODER routines/.test(error.message ?? '')) {
    return new CertificateStoreError('wrong-password', 'wrong password for the encrypted private key (it decrypts to no key)', { cause });
  }
  if (/unsupported/i.test(error.message ?? '')) {
    return new CertificateStoreError('unsupported-algorithm', `the private key uses an algorithm this system cannot read (${error.message})`, { cause });
  }
  return new CertificateStoreError('unreadable-input', 'a private key block is not a readable key', { cause });
}

/**
 * Whether `privateKey` is the key of a certificate whose public key is `publicKey`.
 * Compared as JWK rather than with KeyObject.equals: equals() on keys of different types
 * leaves an error in OpenSSL's queue that makes the next, unrelated key parse fail.
 */
export function keyMatches(privateKey: KeyObject, publicKey: KeyObject): boolean {
  const derived = createPublicKey(privateKey);
  if (derived.asymmetricKeyType !== publicKey.asymmetricKeyType) return false;
  try {
    const [a, b] = [derived.export({ format: 'jwk' }), publicKey.export({ format: 'jwk' })];
    return JSON.stringify(a, Object.keys(a).sort()) === JSON.stringify(b, Object.keys(b).sort());
  } catch {
    return derived.equals(publicKey); // types without a JWK form (DSA…): same type, so safe
  }
}

/** PKCS#8 DER of a key, for sealing into the database. */
export function pkcs8Of(key: KeyObject): Buffer {
  return key.export({ type: 'pkcs8', format: 'der' });
}

/**
 * The WebCrypto algorithm a key signs with by default: RSASSA-PKCS1-v1_5/SHA-256 for RSA
 * (what every mail client verifies), ECDSA on the key's curve, Ed25519. Undefined for keys
 * WebCrypto cannot use (DSA, brainpool curves…), which the store refuses at import.
 */
export function defaultSigningAlgorithm(key: KeyObject): ImportAlgorithm | undefined {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa': return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    case 'rsa-pss': return { name: 'RSA-PSS', hash: 'SHA-256' };
    case 'ec': {
      const namedCurve = WEBCRYPTO_CURVES[details.namedCurve ?? ''];
      return namedCurve ? { name: 'ECDSA', namedCurve } : undefined;
    }
    case 'ed25519': return { name: 'Ed25519' };
    default: return undefined;
  }
}

/** Refuses, at import time, keys that could be stored but never used. */
export function assertUsableKey(key: KeyObject): void {
  if (!defaultSigningAlgorithm(key)) {
    throw new CertificateStoreError('unsupported-algorithm', `private keys of type ${keyAlgorithmName(key)} are not supported (RSA, ECDSA P-256/P-384/P-521 and Ed25519 are)`);
  }
}

/** Loads PKCS#8 bytes into WebCrypto as a non-extractable key: once loaded it can only be used. */
export async function toCryptoKey(pkcs8: Uint8Array, algorithm: ImportAlgorithm, usages: readonly webcrypto.KeyUsage[]): Promise<CryptoKey> {
  try {
    return await subtle.importKey('pkcs8', pkcs8, algorithm, false, [...usages]);
  } catch (cause) {
    const name = typeof algorithm === 'string' ? algorithm : algorithm.name;
    throw new CertificateStoreError('unsupported-algorithm', `the private key cannot be used as ${name} for ${usages.join(', ')}`, { cause });
  }
}
