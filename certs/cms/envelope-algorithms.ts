/**
 * The algorithms of enveloped S/MIME, as data: content encryption (AES-CBC, RFC 3565;
 * AES-GCM, RFC 5084; Triple-DES for reading legacy mail only) and the OIDs of key
 * management (RSA, RFC 8017; ECDH, RFC 5753; AES key wrap, RFC 3394).
 * Decryption accepts exactly what is listed here: an allow-list, so that "Node happens to
 * support it" never silently widens what the gateway reads.
 */

export const CONTENT_TYPE_OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  authEnvelopedData: '1.2.840.113549.1.9.16.1.23',
} as const;

/** Content-encryption algorithms the engine produces. */
export type ProducedContentEncryption = 'AES-256-CBC' | 'AES-128-CBC' | 'AES-128-GCM' | 'AES-256-GCM';

/** Content-encryption algorithms the engine reads (what it produces, AES-192, and legacy 3DES). */
export type ContentEncryptionName = ProducedContentEncryption | 'AES-192-CBC' | 'AES-192-GCM' | 'DES-EDE3-CBC';

export interface ContentEncryptionAlgorithm {
  readonly name: ContentEncryptionName;
  readonly oid: string;
  /** CBC goes in EnvelopedData, GCM in AuthEnvelopedData (RFC 5083/5084). */
  readonly mode: 'cbc' | 'gcm';
  /** Key length in bytes. */
  readonly keyLength: number;
  /** IV length for CBC (the cipher block size); the nonce length we write for GCM. */
  readonly ivLength: number;
  /** Name of the cipher for node:crypto. */
  readonly nodeCipher: string;
}

const CONTENT_ALGORITHMS: readonly ContentEncryptionAlgorithm[] = [
  { name: 'AES-128-CBC', oid: '2.16.840.1.101.3.4.1.2', mode: 'cbc', keyLength: 16, ivLength: 16, nodeCipher: 'aes-128-cbc' },
  { name: 'AES-192-CBC', oid: '2.16.840.1.101.3.4.1.22', mode: 'cbc', keyLength: 24, ivLength: 16, nodeCipher: 'aes-192-cbc' },
  { name: 'AES-256-CBC', oid: '2.16.840.1.101.3.4.1.42', mode: 'cbc', keyLength: 32, ivLength: 16, nodeCipher: 'aes-256-cbc' },
  // RFC 5084 §3.2: a 12-byte nonce is the recommended (and OpenSSL's) choice.
  { name: 'AES-128-GCM', oid: '2.16.840.1.101.3.4.1.6', mode: 'gcm', keyLength: 16, ivLength: 12, nodeCipher: 'aes-128-gcm' },
  { name: 'AES-192-GCM', oid: '2.16.840.1.101.3.4.1.26', mode: 'gcm', keyLength: 24, ivLength: 12, nodeCipher: 'aes-192-gcm' },
  { name: 'AES-256-GCM', oid: '2.16.840.1.101.3.4.1.46', mode: 'gcm', keyLength: 32, ivLength: 12, nodeCipher: 'aes-256-gcm' },
  // Read-only: old clients still send it (RFC 8551 Appendix B); never produced.
  { name: 'DES-EDE3-CBC', oid: '1.2.840.113549.3.7', mode: 'cbc', keyLength: 24, ivLength: 8, nodeCipher: 'des-ede3-cbc' },
];

export function contentAlgorithmByName(name: ContentEncryptionName): ContentEncryptionAlgorithm {
  const algorithm = CONTENT_ALGORITHMS.find((a) => a.name === name);
  if (!algorithm) throw new Error(`unknown content-encryption algorithm ${name}`);
  return algorithm;
}

export function contentAlgorithmByOid(oid: string): ContentEncryptionAlgorithm | undefined {
  return CONTENT_ALGORITHMS.find((a) => a.oid === oid);
}

/** AES-GCM ICV (tag) length we write: the full 16 bytes (RFC 5084 allows 12 to 16). */
export const GCM_ICV_LENGTH = 16;

/** RSA key transport and its parameters. */
export const RSA_OID = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsaesOaep: '1.2.840.113549.1.1.7',
  mgf1: '1.2.840.113549.1.1.8',
  pSpecified: '1.2.840.113549.1.1.9',
} as const;

export const EC_PUBLIC_KEY_OID = '1.2.840.10045.2.1';

/** Hash functions by OID, with their node:crypto names (OAEP and the X9.63 KDF). */
export const HASH_BY_OID: ReadonlyMap<string, string> = new Map([
  ['1.3.14.3.2.26', 'sha1'],
  ['2.16.840.1.101.3.4.2.4', 'sha224'],
  ['2.16.840.1.101.3.4.2.1', 'sha256'],
  ['2.16.840.1.101.3.4.2.2', 'sha384'],
  ['2.16.840.1.101.3.4.2.3', 'sha512'],
]);

export const SHA256_OID = '2.16.840.1.101.3.4.2.1';

/**
 * ECDH key-agreement schemes (RFC 5753 §7.1.4, RFC 8418 naming) with the hash of their
 * X9.63 KDF. Standard and cofactor DH coincide on the NIST prime curves (cofactor 1).
 */
export const ECDH_SCHEME_HASH: ReadonlyMap<string, string> = new Map([
  ['1.3.133.16.840.63.0.2', 'sha1'], // dhSinglePass-stdDH-sha1kdf-scheme (OpenSSL's default)
  ['1.3.132.1.11.0', 'sha224'],
  ['1.3.132.1.11.1', 'sha256'],
  ['1.3.132.1.11.2', 'sha384'],
  ['1.3.132.1.11.3', 'sha512'],
  ['1.3.133.16.840.63.0.3', 'sha1'], // dhSinglePass-cofactorDH-sha1kdf-scheme
  ['1.3.132.1.14.0', 'sha224'],
  ['1.3.132.1.14.1', 'sha256'],
  ['1.3.132.1.14.2', 'sha384'],
  ['1.3.132.1.14.3', 'sha512'],
]);

/** The scheme we write: ephemeral-static ECDH with the SHA-256 X9.63 KDF. */
export const ECDH_STD_SHA256_KDF_OID = '1.3.132.1.11.1';

export interface KeyWrapAlgorithm {
  readonly oid: string;
  readonly keyLength: number;
  readonly nodeCipher: string;
}

const KEY_WRAP_ALGORITHMS: readonly KeyWrapAlgorithm[] = [
  { oid: '2.16.840.1.101.3.4.1.5', keyLength: 16, nodeCipher: 'id-aes128-wrap' },
  { oid: '2.16.840.1.101.3.4.1.25', keyLength: 24, nodeCipher: 'id-aes192-wrap' },
  { oid: '2.16.840.1.101.3.4.1.45', keyLength: 32, nodeCipher: 'id-aes256-wrap' },
];

export function keyWrapByOid(oid: string): KeyWrapAlgorithm | undefined {
  return KEY_WRAP_ALGORITHMS.find((w) => w.oid === oid);
}

/** The AES wrap as strong as the content key, as OpenSSL chooses it. */
export function keyWrapForContentKey(contentKeyLength: number): KeyWrapAlgorithm {
  return KEY_WRAP_ALGORITHMS.find((w) => w.keyLength >= contentKeyLength) ?? KEY_WRAP_ALGORITHMS[KEY_WRAP_ALGORITHMS.length - 1]!;
}

/** RFC 3394 default initial value. */
export const KEY_WRAP_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');

/** Named curves by OID, with node:crypto's names. */
export const CURVE_BY_OID: ReadonlyMap<string, string> = new Map([
  ['1.2.840.10045.3.1.7', 'prime256v1'],
  ['1.3.132.0.34', 'secp384r1'],
  ['1.3.132.0.35', 'secp521r1'],
]);

export function curveOid(nodeCurve: string): string | undefined {
  for (const [oid, name] of CURVE_BY_OID) if (name === nodeCurve) return oid;
  return undefined;
}
