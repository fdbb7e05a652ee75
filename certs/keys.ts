/**
 * Key pairs for certificates: generation, PKCS#8 PEM export and import.
 * The algorithm is a named choice rather than raw WebCrypto parameters so that the
 * rest of the module (profiles, dev PKI, config) talks about "RSA-2048" or "ECDSA-P256"
 * and never about curve OIDs.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { webcrypto } from 'node:crypto';
import { HygieError } from '../core/errors.js';
import { subtle, type CryptoKey, type CryptoKeyPair } from './engine.js';
import { fromPem, toPem } from './pem.js';

export type KeyAlgorithm = 'RSA-2048' | 'ECDSA-P256';

/** RSA-2048 with RSASSA-PKCS1-v1_5/SHA-256: what every mail client and MTA accepts. */
export const DEFAULT_KEY_ALGORITHM: KeyAlgorithm = 'RSA-2048';

const GENERATE: Record<KeyAlgorithm, webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams> = {
  'RSA-2048': { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
  'ECDSA-P256': { name: 'ECDSA', namedCurve: 'P-256' },
};

const IMPORT: Record<KeyAlgorithm, webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams> = {
  'RSA-2048': { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  'ECDSA-P256': { name: 'ECDSA', namedCurve: 'P-256' },
};

export interface KeyPairInfo {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  algorithm: KeyAlgorithm;
}

/** A fresh signing key pair; the private key is extractable so that it can be stored. */
export async function generateKeyPair(algorithm: KeyAlgorithm = DEFAULT_KEY_ALGORITHM): Promise<KeyPairInfo> {
  const pair = (await subtle.generateKey(GENERATE[algorithm], true, ['sign', 'verify'])) as CryptoKeyPair;
  return { privateKey: pair.privateKey, publicKey: pair.publicKey, algorithm };
}

/** The private key as an unencrypted PKCS#8 PEM ("PRIVATE KEY"), as Node's tls and openssl read it. */
export async function exportPrivateKeyPem(privateKey: CryptoKey): Promise<string> {
  return toPem(new Uint8Array(await subtle.exportKey('pkcs8', privateKey)), 'PRIVATE KEY');
}

/**
 * Loads a PKCS#8 PEM private key and derives its public key. The algorithm is read from
 * the key itself; keys we do not issue with (other sizes, curves) are refused clearly.
 * The imported private key is not extractable: once loaded, it only signs.
 */
export async function importPrivateKeyPem(pem: string): Promise<KeyPairInfo> {
  const der = fromPem(pem, 'PRIVATE KEY');
  let keyObject;
  try {
    keyObject = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
  } catch (cause) {
    throw new HygieError('INVALID_INPUT', 'private key is not a readable PKCS#8 key', { cause });
  }
  const algorithm = keyAlgorithmOfKeyObject(keyObject);
  if (!algorithm) {
    throw new HygieError('INVALID_INPUT', `unsupported private key: ${keyObject.asymmetricKeyType} ${JSON.stringify(keyObject.asymmetricKeyDetails ?? {})}`);
  }
  const spki = createPublicKey(keyObject).export({ type: 'spki', format: 'der' });
  const privateKey = await subtle.importKey('pkcs8', der, IMPORT[algorithm], false, ['sign']);
  const publicKey = await subtle.importKey('spki', spki, IMPORT[algorithm], true, ['verify']);
  return { privateKey, publicKey, algorithm };
}

/** The named algorithm of a WebCrypto key (public or private). */
export function keyAlgorithmOf(key: CryptoKey): KeyAlgorithm {
  const algorithm = key.algorithm as { name: string; modulusLength?: number; namedCurve?: string };
  if (algorithm.name === 'RSASSA-PKCS1-v1_5' && algorithm.modulusLength === 2048) return 'RSA-2048';
  if (algorithm.name === 'ECDSA' && algorithm.namedCurve === 'P-256') return 'ECDSA-P256';
  throw new HygieError('INVALID_INPUT', `unsupported key algorithm ${algorithm.name}`);
}

/** The named algorithm of a Node KeyObject, or undefined for keys we do not issue with. */
export function keyAlgorithmOfKeyObject(key: KeyObject): KeyAlgorithm | undefined {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa' && details?.modulusLength === 2048) return 'RSA-2048';
  if (key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') return 'ECDSA-P256';
  return undefined;
}
