/**
 * RSA key transport (KeyTransRecipientInfo, RFC 5652 §6.2.1): the content key encrypted
 * under the recipient's RSA public key, with PKCS#1 v1.5 (what every client reads) or
 * RSA-OAEP (RFC 8017, RFC 3560).
 *
 * The RSA operations run on node:crypto KeyObjects, not WebCrypto: WebCrypto has no
 * RSAES-PKCS1-v1_5, and Node refuses PKCS#1 v1.5 private decryption outright
 * (CVE-2023-46809), so v1.5 is unpadded here from a raw RSA operation, with implicit
 * rejection: an invalid padding yields a random key instead of an error, so the caller's
 * outcome (the content failing to decrypt) never reveals whether the padding was valid
 * (Bleichenbacher / Marvin). The padding check is branch-free, as far as JavaScript allows.
 */
import { constants, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import { childrenOf, octetsOf } from './envelope-ber.js';
import { derNull, sequence, contextTag } from './der-writer.js';
import { HASH_BY_OID, RSA_OID, SHA256_OID } from './envelope-algorithms.js';
import { oid, readAlgorithmIdentifier, writeKeyTransRecipientInfo, type AlgorithmIdentifier, type KeyTransRecipientInfo } from './envelope-asn1.js';
import { EnvelopeFailure } from './envelope-failure.js';
import { freshRandomBytes } from './random-pool.js';

export type RsaKeyTransport = 'PKCS1-v1_5' | 'RSA-OAEP';

/** rsaEncryption with NULL parameters, as RFC 3370 §4.2.1 wants. */
const PKCS1_V1_5_IDENTIFIER = sequence(oid(RSA_OID.rsaEncryption), derNull());

/**
 * RSAES-OAEP with SHA-256 and MGF1-SHA-256, the label left to its default, written exactly
 * as OpenSSL writes it for `-keyopt rsa_oaep_md:sha256` (hash parameters absent).
 */
const OAEP_SHA256_IDENTIFIER = sequence(oid(RSA_OID.rsaesOaep), sequence(
  contextTag(0, sequence(oid(SHA256_OID))),
  contextTag(1, sequence(oid(RSA_OID.mgf1), sequence(oid(SHA256_OID)))),
));

/** A KeyTransRecipientInfo (version 0) for the recipient named by `rid` (IssuerAndSerialNumber DER). */
export function keyTransRecipientInfo(rid: Buffer, publicKey: KeyObject, contentKey: Buffer, padding: RsaKeyTransport): Buffer {
  const oaep = padding === 'RSA-OAEP';
  const encryptedKey = publicEncrypt(
    oaep
      ? { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }
      : { key: publicKey, padding: constants.RSA_PKCS1_PADDING },
    contentKey,
  );
  return writeKeyTransRecipientInfo(rid, oaep ? OAEP_SHA256_IDENTIFIER : PKCS1_V1_5_IDENTIFIER, encryptedKey);
}

/** What decryptKeyTrans needs to know before touching the private key (checked first). */
export type KeyTransScheme = { padding: 'PKCS1-v1_5' } | { padding: 'RSA-OAEP'; hash: string; label: Buffer };

/** Reads the key-encryption algorithm; unknown ones are refused before any RSA operation. */
export function keyTransScheme(info: KeyTransRecipientInfo): KeyTransScheme {
  const algorithm = info.keyEncryptionAlgorithm;
  if (algorithm.oid === RSA_OID.rsaEncryption) return { padding: 'PKCS1-v1_5' };
  if (algorithm.oid === RSA_OID.rsaesOaep) return { padding: 'RSA-OAEP', ...oaepParameters(algorithm) };
  throw new EnvelopeFailure('unsupported-algorithm', `key transport algorithm ${algorithm.oid} is not supported`);
}

/** RSAES-OAEP-params (RFC 8017 A.2.1), defaults included: SHA-1, MGF1-SHA-1, empty label. */
function oaepParameters(algorithm: AlgorithmIdentifier): { hash: string; label: Buffer } {
  let hash = 'sha1';
  let mgfHash = 'sha1';
  let label: Buffer = Buffer.alloc(0);
  // Absent parameters happen in the wild; read them as all defaults.
  const fields = algorithm.parameters?.tag === 0x30 ? childrenOf(algorithm.parameters) : [];
  for (const field of fields) {
    const inner = readAlgorithmIdentifier(childrenOf(field)[0]);
    switch (field.tag) {
      case 0xa0:
        hash = hashName(inner.oid);
        break;
      case 0xa1:
        if (inner.oid !== RSA_OID.mgf1 || !inner.parameters) {
          throw new EnvelopeFailure('unsupported-algorithm', `OAEP mask generation ${inner.oid} is not supported`);
        }
        mgfHash = hashName(readAlgorithmIdentifier(inner.parameters).oid);
        break;
      case 0xa2:
        if (inner.oid !== RSA_OID.pSpecified || !inner.parameters) {
          throw new EnvelopeFailure('unsupported-algorithm', `OAEP label source ${inner.oid} is not supported`);
        }
        label = octetsOf(inner.parameters);
        break;
      default:
        throw new EnvelopeFailure('malformed', 'RSAES-OAEP parameters are malformed');
    }
  }
  // node:crypto uses one hash for both OAEP and MGF1.
  if (mgfHash !== hash) throw new EnvelopeFailure('unsupported-algorithm', `OAEP with ${hash} and MGF1-${mgfHash} is not supported`);
  return { hash, label };
}

function hashName(oid: string): string {
  const name = HASH_BY_OID.get(oid);
  if (!name) throw new EnvelopeFailure('unsupported-algorithm', `hash ${oid} is not supported`);
  return name;
}

/**
 * The content key of a KeyTransRecipientInfo: always a key of `keyLength` bytes, random
 * if the RSA decryption or its padding fails (implicit rejection, see the file header).
 */
export function decryptKeyTrans(info: KeyTransRecipientInfo, scheme: KeyTransScheme, privateKey: KeyObject, keyLength: number): Buffer {
  const encryptedKey = info.encryptedKey;
  const fallback = freshRandomBytes(keyLength);
  if (scheme.padding === 'RSA-OAEP') {
    try {
      const key = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: scheme.hash, oaepLabel: scheme.label }, encryptedKey);
      return key.length === keyLength ? key : fallback;
    } catch {
      return fallback;
    }
  }
  const modulusBytes = Math.ceil((privateKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  let encoded: Buffer;
  try {
    encoded = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, encryptedKey);
  } catch {
    encoded = Buffer.alloc(modulusBytes); // fails the padding check below, like any bad padding
  }
  return unpadPkcs1v15(encoded, keyLength, fallback);
}

/**
 * EME-PKCS1-v1_5 decoding (RFC 8017 §7.2.2) of a message expected to be `keyLength`
 * bytes: 00 02 PS(≥ 8 non-zero) 00 M. Every byte is visited and the result selected
 * with masks, so that the time taken does not depend on where the padding is wrong.
 */
export function unpadPkcs1v15(encoded: Buffer, keyLength: number, fallback: Buffer): Buffer {
  const k = encoded.length;
  let good = equal(encoded[0] ?? 1, 0) & equal(encoded[1] ?? 0, 2);
  let separator = 0;
  let found = 0;
  for (let i = 2; i < k; i++) {
    const zero = equal(encoded[i]!, 0);
    const first = zero & (found ^ 1);
    separator |= -first & i;
    found |= zero;
  }
  good &= found & atLeast(separator, 10) & equal(k - separator - 1, keyLength);
  const mask = -good & 0xff;
  const key = Buffer.alloc(keyLength);
  const offset = Math.max(0, k - keyLength);
  for (let i = 0; i < keyLength; i++) key[i] = ((encoded[offset + i] ?? 0) & mask) | (fallback[i]! & ~mask & 0xff);
  return key;
}

/** 1 if a === b, else 0, for small non-negative integers, without a branch. */
function equal(a: number, b: number): number {
  return ((a ^ b) - 1) >>> 31;
}

/** 1 if a >= b, else 0, for small non-negative integers, without a branch. */
function atLeast(a: number, b: number): number {
  return 1 - ((a - b) >>> 31);
}
