/**
 * ECDH key agreement (KeyAgreeRecipientInfo, RFC 5652 §6.2.2, RFC 5753): an ephemeral key
 * on the recipient's curve, the shared secret turned into a key-encryption key by the
 * ANSI X9.63 KDF over ECC-CMS-SharedInfo, and the content key wrapped with AES key wrap
 * (RFC 3394) — ephemeral-static, the way OpenSSL does it, on node:crypto KeyObjects.
 */
import { createCipheriv, createDecipheriv, createHash, createPublicKey, diffieHellman, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { contextTag, octetString, sequence, tlv } from './der-writer.js';
import {
  EC_PUBLIC_KEY_OID, ECDH_SCHEME_HASH, ECDH_STD_SHA256_KDF_OID, KEY_WRAP_IV,
  curveOid, keyWrapByOid, keyWrapForContentKey, type KeyWrapAlgorithm,
} from './envelope-algorithms.js';
import { oid, readAlgorithmIdentifier, writeKeyAgreeRecipientInfo, type KeyAgreeRecipientInfo } from './envelope-asn1.js';
import { oidOf } from './envelope-ber.js';
import { EnvelopeFailure } from './envelope-failure.js';

/** id-ecPublicKey with absent parameters: the curve is the recipient's (RFC 5753 §3.1.1, as OpenSSL writes it). */
const ORIGINATOR_ALGORITHM = sequence(oid(EC_PUBLIC_KEY_OID));

/**
 * A KeyAgreeRecipientInfo (version 3) for the recipient named by `rid`, with a fresh
 * ephemeral key as originator and no UKM (as OpenSSL writes it); the AES wrap is as
 * strong as the content key.
 */
export function keyAgreeRecipientInfo(rid: Buffer, publicKey: KeyObject, contentKey: Buffer): Buffer {
  const curve = publicKey.asymmetricKeyDetails?.namedCurve ?? '';
  if (!curveOid(curve)) throw new Error(`EC curve ${curve} is not supported for encryption`);
  const ephemeral = generateKeyPairSync('ec', { namedCurve: curve });
  const wrap = keyWrapForContentKey(contentKey.length);
  const wrapIdentifier = sequence(oid(wrap.oid)); // parameters absent (RFC 3565 §2.3.2)
  const kek = deriveKek('sha256', diffieHellman({ privateKey: ephemeral.privateKey, publicKey }), wrapIdentifier, undefined, wrap);
  return writeKeyAgreeRecipientInfo(
    ORIGINATOR_ALGORITHM,
    uncompressedPoint(ephemeral.publicKey),
    sequence(oid(ECDH_STD_SHA256_KDF_OID), wrapIdentifier),
    rid,
    aesKeyWrap(wrap, kek, contentKey),
  );
}

/** What decryptKeyAgree needs, read and checked before any private-key operation. */
export interface KeyAgreeScheme {
  kdfHash: string;
  wrap: KeyWrapAlgorithm;
  /** The wrap AlgorithmIdentifier as the sender wrote it: it is part of the KDF input. */
  wrapIdentifier: Buffer;
  originatorPoint: Buffer;
  /** Curve of the originator key when it names one (usually absent). */
  originatorCurveOid: string | undefined;
  ukm: Buffer | undefined;
}

export function keyAgreeScheme(info: KeyAgreeRecipientInfo): KeyAgreeScheme {
  const { oid: schemeOid, parameters } = info.keyEncryptionAlgorithm;
  const kdfHash = ECDH_SCHEME_HASH.get(schemeOid);
  if (!kdfHash) throw new EnvelopeFailure('unsupported-algorithm', `key agreement algorithm ${schemeOid} is not supported`);
  if (!parameters) throw new EnvelopeFailure('malformed', 'key agreement without a key-wrap algorithm');
  const wrapIdentifier = readAlgorithmIdentifier(parameters);
  const wrap = keyWrapByOid(wrapIdentifier.oid);
  if (!wrap) throw new EnvelopeFailure('unsupported-algorithm', `key wrap algorithm ${wrapIdentifier.oid} is not supported`);
  const originator = info.originatorKey;
  if (!originator) throw new EnvelopeFailure('unsupported-algorithm', 'only ephemeral-static ECDH (originator public key) is supported');
  if (originator.algorithm.oid !== EC_PUBLIC_KEY_OID) throw new EnvelopeFailure('unsupported-algorithm', `originator key ${originator.algorithm.oid} is not EC`);
  const curve = originator.algorithm.parameters;
  return {
    kdfHash, wrap, wrapIdentifier: wrapIdentifier.encoding,
    originatorPoint: originator.publicKey,
    originatorCurveOid: curve?.tag === 0x06 ? oidOf(curve) : undefined,
    ukm: info.ukm,
  };
}

/**
 * The content key wrapped in one RecipientEncryptedKey: always `keyLength` bytes, random
 * if anything fails (bad point, wrong key, altered wrap), like RSA key transport.
 */
export function decryptKeyAgree(scheme: KeyAgreeScheme, encryptedKey: Buffer, privateKey: KeyObject, keyLength: number): Buffer {
  const fallback = randomBytes(keyLength);
  const curve = curveOid(privateKey.asymmetricKeyDetails?.namedCurve ?? '');
  if (!curve) throw new EnvelopeFailure('unsupported-algorithm', 'the private key is not on a supported EC curve');
  if (scheme.originatorCurveOid && scheme.originatorCurveOid !== curve) {
    throw new EnvelopeFailure('malformed', 'the originator key is not on the recipient\'s curve');
  }
  try {
    const originatorKey = createPublicKey({ key: ecSpki(curve, scheme.originatorPoint), format: 'der', type: 'spki' });
    const shared = diffieHellman({ privateKey, publicKey: originatorKey });
    const kek = deriveKek(scheme.kdfHash, shared, scheme.wrapIdentifier, scheme.ukm, scheme.wrap);
    const decipher = createDecipheriv(scheme.wrap.nodeCipher, kek, KEY_WRAP_IV);
    const key = Buffer.concat([decipher.update(encryptedKey), decipher.final()]);
    return key.length === keyLength ? key : fallback;
  } catch {
    return fallback;
  }
}

/** ANSI X9.63 KDF (SEC 1 §3.6.1): Hash(Z ‖ counter ‖ SharedInfo) blocks, counter from 1. */
function deriveKek(hash: string, shared: Buffer, wrapIdentifier: Buffer, ukm: Buffer | undefined, wrap: KeyWrapAlgorithm): Buffer {
  const sharedInfo = eccCmsSharedInfo(wrapIdentifier, ukm, wrap.keyLength * 8);
  const blocks: Buffer[] = [];
  let length = 0;
  for (let counter = 1; length < wrap.keyLength; counter++) {
    const block = createHash(hash).update(shared).update(uint32(counter)).update(sharedInfo).digest();
    blocks.push(block);
    length += block.length;
  }
  return Buffer.concat(blocks).subarray(0, wrap.keyLength);
}

/** ECC-CMS-SharedInfo (RFC 5753 §7.2): wrap algorithm, optional UKM, KEK length in bits. */
function eccCmsSharedInfo(wrapIdentifier: Buffer, ukm: Buffer | undefined, keyBits: number): Buffer {
  return sequence(wrapIdentifier, ...(ukm ? [contextTag(0, octetString(ukm))] : []), contextTag(2, octetString(uint32(keyBits))));
}

function aesKeyWrap(wrap: KeyWrapAlgorithm, kek: Buffer, contentKey: Buffer): Buffer {
  const cipher = createCipheriv(wrap.nodeCipher, kek, KEY_WRAP_IV);
  return Buffer.concat([cipher.update(contentKey), cipher.final()]);
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

/** 04 ‖ X ‖ Y of a public EC key. */
function uncompressedPoint(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
}

/** A SubjectPublicKeyInfo for a point on a named curve (so that OpenSSL checks the point). */
function ecSpki(curve: string, point: Buffer): Buffer {
  return sequence(sequence(oid(EC_PUBLIC_KEY_OID), oid(curve)), tlv(0x03, Buffer.from([0]), point));
}
