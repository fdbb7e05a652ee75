/**
 * Key pairs for certificates: generation, PKCS#8 PEM export and import.
 * The algorithm is a named choice rather than raw WebCrypto parameters so that the
 * rest of the module (profiles, dev PKI, config) talks about "RSA-3072" or "ECDSA-P256"
 * and never about curve OIDs or modulus lengths. KEY_ALGORITHMS is the one table of them.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { webcrypto } from 'node:crypto';
import { HygieError } from '../core/errors.js';
import { subtle, type CryptoKey, type CryptoKeyPair } from './engine.js';
import { fromPem, toPem } from './pem.js';

/** RSA or elliptic curve: decides which key usages a key can have (RFC 8550 §4.4.2, RFC 5480 §3). */
export type KeyFamily = 'rsa' | 'ec';

interface KeyAlgorithmSpec {
  /** Also Node's KeyObject.asymmetricKeyType for such a key. */
  readonly family: KeyFamily;
  /** Modulus length or curve, as WebCrypto's key.algorithm names it… */
  readonly webCryptoSize: number | string;
  /** …and as Node's KeyObject.asymmetricKeyDetails names it. */
  readonly nodeSize: number | string;
  /** WebCrypto parameters for generating and importing a signing key. */
  readonly generate: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams;
  readonly import: webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams;
}

const PUBLIC_EXPONENT = new Uint8Array([1, 0, 1]);
const rsa = (modulusLength: number): KeyAlgorithmSpec => ({
  family: 'rsa',
  webCryptoSize: modulusLength,
  nodeSize: modulusLength,
  generate: { name: 'RSASSA-PKCS1-v1_5', modulusLength, publicExponent: PUBLIC_EXPONENT, hash: 'SHA-256' },
  import: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
});

/**
 * The key algorithms we issue with. Signatures are RSASSA-PKCS1-v1_5 with SHA-256 for RSA
 * keys and ECDSA with SHA-256 for P-256 keys. The PKCS#8 and SPKI encodings do not record
 * the WebCrypto usage, so an RSA key also serves RSA key transport and a P-256 key ECDH
 * once re-imported for that purpose (certs/cms does so).
 */
export const KEY_ALGORITHMS = {
  'RSA-2048': rsa(2048),
  'RSA-3072': rsa(3072),
  'RSA-4096': rsa(4096),
  'ECDSA-P256': {
    family: 'ec',
    webCryptoSize: 'P-256',
    nodeSize: 'prime256v1',
    generate: { name: 'ECDSA', namedCurve: 'P-256' },
    import: { name: 'ECDSA', namedCurve: 'P-256' },
  },
} as const satisfies Record<string, KeyAlgorithmSpec>;

export type KeyAlgorithm = keyof typeof KEY_ALGORITHMS;

/** RSA-2048 with RSASSA-PKCS1-v1_5/SHA-256: what every mail client and MTA accepts. */
export const DEFAULT_KEY_ALGORITHM: KeyAlgorithm = 'RSA-2048';

export interface KeyPairInfo {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  algorithm: KeyAlgorithm;
}

/** Whether a string names a key algorithm we issue with (for configuration and CLI input). */
export function isKeyAlgorithm(value: string): value is KeyAlgorithm {
  return Object.hasOwn(KEY_ALGORITHMS, value);
}

export function keyFamilyOf(algorithm: KeyAlgorithm): KeyFamily {
  return KEY_ALGORITHMS[algorithm].family;
}

/** A fresh signing key pair; the private key is extractable so that it can be stored. */
export async function generateKeyPair(algorithm: KeyAlgorithm = DEFAULT_KEY_ALGORITHM): Promise<KeyPairInfo> {
  const spec = KEY_ALGORITHMS[algorithm] as KeyAlgorithmSpec | undefined;
  if (!spec) throw new HygieError('INVALID_INPUT', `unsupported key algorithm "${algorithm}"`);
  const pair = (await subtle.generateKey(spec.generate, true, ['sign', 'verify'])) as CryptoKeyPair;
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
    throw new HygieError('INVALID_INPUT', `unsupported private key: ${describeKeyObject(keyObject)}`);
  }
  const spki = createPublicKey(keyObject).export({ type: 'spki', format: 'der' });
  const params = KEY_ALGORITHMS[algorithm].import;
  const privateKey = await subtle.importKey('pkcs8', der, params, false, ['sign']);
  const publicKey = await subtle.importKey('spki', spki, params, true, ['verify']);
  return { privateKey, publicKey, algorithm };
}

/**
 * A public key from its DER SubjectPublicKeyInfo (from a CSR, a certificate or an imported
 * file), ready to be certified. Keys of other sizes or curves are refused.
 */
export async function importPublicKeySpki(der: Uint8Array): Promise<{ publicKey: CryptoKey; algorithm: KeyAlgorithm }> {
  let keyObject;
  try {
    keyObject = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new HygieError('INVALID_INPUT', 'public key is not a readable SubjectPublicKeyInfo', { cause });
  }
  const algorithm = keyAlgorithmOfKeyObject(keyObject);
  if (!algorithm) throw new HygieError('INVALID_INPUT', `unsupported public key: ${describeKeyObject(keyObject)}`);
  const publicKey = await subtle.importKey('spki', der, KEY_ALGORITHMS[algorithm].import, true, ['verify']);
  return { publicKey, algorithm };
}

const SPECS = Object.entries(KEY_ALGORITHMS) as [KeyAlgorithm, KeyAlgorithmSpec][];

/**
 * The named algorithm of a WebCrypto key (public or private). Any RSA flavour (signature,
 * OAEP, PSS) and ECDSA or ECDH on P-256 are recognised: a certificate names the key, not
 * what WebCrypto was told to do with it.
 */
export function keyAlgorithmOf(key: CryptoKey): KeyAlgorithm {
  const algorithm = key.algorithm as { name: string; modulusLength?: number; namedCurve?: string };
  const family = algorithm.name.startsWith('RSA') ? 'rsa' : algorithm.name.startsWith('EC') ? 'ec' : undefined;
  const size = family === 'rsa' ? algorithm.modulusLength : algorithm.namedCurve;
  const found = SPECS.find(([, spec]) => spec.family === family && spec.webCryptoSize === size);
  if (!found) throw new HygieError('INVALID_INPUT', `unsupported key algorithm ${algorithm.name} ${size ?? ''}`.trim());
  return found[0];
}

/** The named algorithm of a Node KeyObject, or undefined for keys we do not issue with. */
export function keyAlgorithmOfKeyObject(key: KeyObject): KeyAlgorithm | undefined {
  const details = key.asymmetricKeyDetails;
  const size = key.asymmetricKeyType === 'rsa' ? details?.modulusLength : details?.namedCurve;
  return SPECS.find(([, spec]) => spec.family === key.asymmetricKeyType && spec.nodeSize === size)?.[0];
}

/** "rsa 1024", "ec secp384r1"… for error messages (the details hold a BigInt, which JSON cannot print). */
function describeKeyObject(key: KeyObject): string {
  const details = key.asymmetricKeyDetails;
  return [key.asymmetricKeyType, details?.modulusLength ?? details?.namedCurve].filter((p) => p !== undefined).join(' ');
}
