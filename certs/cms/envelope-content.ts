/**
 * The symmetric layer of an envelope: the EncryptedContentInfo (RFC 5652 §6.1) holding the
 * content encrypted under the content key — AES-CBC (RFC 3565; 3DES read-only) with the IV
 * as parameter, or AES-GCM (RFC 5084) with GCMParameters and the tag carried apart as the
 * AuthEnvelopedData `mac`.
 */
import { createCipheriv, createDecipheriv, type CipherGCMTypes } from 'node:crypto';
import { childrenOf, octetsOf, smallIntegerOf } from './envelope-ber.js';
import { octetString, sequence, smallInteger, type DerPieces } from './der-writer.js';
import { contentAlgorithmByOid, GCM_ICV_LENGTH, type ContentEncryptionAlgorithm } from './envelope-algorithms.js';
import { expectOctetString, oid, writeEncryptedContentInfo, type EncryptedContentInfo } from './envelope-asn1.js';
import { EnvelopeFailure } from './envelope-failure.js';
import { freshRandomBytes } from './random-pool.js';

export interface SealedContent {
  /** EncryptedContentInfo DER, as pieces (the ciphertext is not copied). */
  encryptedContentInfo: DerPieces;
  /** The GCM tag, for AuthEnvelopedData; undefined for CBC. */
  mac: Buffer | undefined;
}

/** Encrypts `content` (id-data) under `contentKey` with a fresh IV or nonce. */
export function sealContent(algorithm: ContentEncryptionAlgorithm, contentKey: Buffer, content: Uint8Array): SealedContent {
  const iv = freshRandomBytes(algorithm.ivLength);
  if (algorithm.mode === 'gcm') {
    const cipher = createCipheriv(algorithm.nodeCipher as CipherGCMTypes, contentKey, iv, { authTagLength: GCM_ICV_LENGTH });
    const ciphertext = [cipher.update(content), cipher.final()];
    // GCMParameters: the ICV length is written since 16 differs from the DEFAULT 12.
    const parameters = sequence(octetString(iv), smallInteger(GCM_ICV_LENGTH));
    return { encryptedContentInfo: writeEncryptedContentInfo(sequence(oid(algorithm.oid), parameters), ciphertext), mac: cipher.getAuthTag() };
  }
  const cipher = createCipheriv(algorithm.nodeCipher, contentKey, iv);
  const ciphertext = [cipher.update(content), cipher.final()];
  return { encryptedContentInfo: writeEncryptedContentInfo(sequence(oid(algorithm.oid), octetString(iv)), ciphertext), mac: undefined };
}

/** How to decrypt an EncryptedContentInfo, read and checked before any key is unwrapped. */
export interface ContentParameters {
  algorithm: ContentEncryptionAlgorithm;
  iv: Buffer;
  /** GCM tag length from GCMParameters (DEFAULT 12). */
  icvLength: number;
  ciphertext: Buffer;
}

export function contentParameters(info: EncryptedContentInfo, structure: 'enveloped-data' | 'authEnveloped-data'): ContentParameters {
  const { oid: algorithmOid, parameters } = info.contentEncryptionAlgorithm;
  const algorithm = contentAlgorithmByOid(algorithmOid);
  if (!algorithm) throw new EnvelopeFailure('unsupported-algorithm', `content-encryption algorithm ${algorithmOid} is not supported`);
  // GCM without the AuthEnvelopedData mac (as pkijs writes it), or CBC claiming authentication: refused.
  if ((algorithm.mode === 'gcm') !== (structure === 'authEnveloped-data')) {
    throw new EnvelopeFailure('unsupported-algorithm', `${algorithm.name} is not supported in ${structure}`);
  }
  const ciphertext = info.encryptedContent;
  if (!ciphertext) throw new EnvelopeFailure('malformed', 'the encrypted content is absent (detached content is not supported)');
  if (algorithm.mode === 'cbc') {
    const iv = parameters && (parameters.tag & 0xdf) === 0x04 ? octetsOf(parameters) : undefined;
    if (iv?.length !== algorithm.ivLength) throw new EnvelopeFailure('malformed', `${algorithm.name} parameters are not a ${algorithm.ivLength}-byte IV`);
    return { algorithm, iv, icvLength: 0, ciphertext };
  }
  const [nonceField, icvField] = parameters?.tag === 0x30 ? childrenOf(parameters) : [];
  const nonce = nonceField ? octetsOf(expectOctetString(nonceField, 'GCMParameters.aes-nonce')) : undefined;
  if (!nonce || nonce.length === 0 || nonce.length > 64) throw new EnvelopeFailure('malformed', `${algorithm.name} parameters are malformed`);
  const icvLength = icvField ? smallIntegerOf(icvField) : 12;
  if (icvLength < 12 || icvLength > 16) throw new EnvelopeFailure('malformed', `${algorithm.name} ICV length must be 12 to 16`);
  return { algorithm, iv: nonce, icvLength, ciphertext };
}

/**
 * Decrypts the content. A GCM tag mismatch is an integrity failure; a CBC padding error
 * is a plain decryption failure (CBC carries no integrity: see decrypt.ts for the
 * plausibility check on its output).
 */
export function openContent(parameters: ContentParameters, contentKey: Buffer, mac?: Uint8Array, aad?: Uint8Array): Buffer {
  const { algorithm, iv, icvLength, ciphertext } = parameters;
  if (algorithm.mode === 'gcm') {
    if (!mac || mac.byteLength !== icvLength) throw new EnvelopeFailure('malformed', `the mac is not ${icvLength} bytes long`);
    const decipher = createDecipheriv(algorithm.nodeCipher as CipherGCMTypes, contentKey, iv, { authTagLength: icvLength });
    decipher.setAuthTag(mac);
    if (aad) decipher.setAAD(aad);
    try {
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      throw new EnvelopeFailure('integrity-failure', `${algorithm.name} authentication tag does not match: the message was altered or not encrypted for this key`);
    }
  }
  try {
    const decipher = createDecipheriv(algorithm.nodeCipher, contentKey, iv);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new EnvelopeFailure('decryption-failed', `${algorithm.name} decryption failed: the message was altered or not encrypted for this key`);
  }
}
