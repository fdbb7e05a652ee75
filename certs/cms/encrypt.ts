/**
 * S/MIME encryption (RFC 8551 §3.3, RFC 5652 §6, RFC 5083): a whole message in, the same
 * message out with its MIME entity replaced by an application/pkcs7-mime entity.
 *
 * CBC content encryption gives EnvelopedData (smime-type=enveloped-data), GCM gives
 * AuthEnvelopedData (smime-type=authEnveloped-data). Each recipient certificate gets a
 * RecipientInfo by its key type: RSA → key transport, EC → ephemeral-static ECDH.
 * The cryptography is node:crypto's (pkijs's EnvelopedData.encrypt goes through WebCrypto,
 * which has no RSAES-PKCS1-v1_5) and the DER is written directly (envelope-asn1.ts): through
 * pkijs objects, encoding cost more than the encryption.
 */
import type * as pkijs from 'pkijs';
import { HygieError } from '../../core/errors.js';
import { writeAuthEnvelopedData } from './auth-enveloped.js';
import { joinPieces, type DerPieces } from './der-writer.js';
import { contentAlgorithmByName, CONTENT_TYPE_OID, EC_PUBLIC_KEY_OID, type ProducedContentEncryption } from './envelope-algorithms.js';
import { writeContentInfo, writeEnvelopedData } from './envelope-asn1.js';
import { sealContent } from './envelope-content.js';
import type { RsaKeyTransport } from './envelope-key-transport.js';
import { certificateIdentifiers } from './envelope-certificates.js';
import { recipientInfoFor } from './envelope-recipients.js';
import { freshRandomBytes } from './random-pool.js';
import { pkcs7MimeMessage, SmimeFormatError, splitMessage, type HeaderField } from './mime.js';

export type { ProducedContentEncryption } from './envelope-algorithms.js';
export type { RsaKeyTransport } from './envelope-key-transport.js';

export interface EncryptOptions {
  /**
   * AES-256-CBC by default: EnvelopedData is what every client reads (Thunderbird/NSS does
   * not read AuthEnvelopedData). GCM is chosen per peer, when the peer is known to read it.
   */
  readonly contentEncryption?: ProducedContentEncryption;
  /** PKCS#1 v1.5 by default, the most widely read; RSA-OAEP uses SHA-256. EC keys ignore it. */
  readonly rsaKeyTransport?: RsaKeyTransport;
}

/**
 * Encrypts content (a MIME entity, or any bytes) for the given recipients and returns the
 * DER ContentInfo. The caller passes every reader's certificate, the sender's own
 * included: without it the sender could not read the copy kept in its Sent folder
 * (RFC 8551 §3.3 leaves that to the sending agent). A certificate given twice is used once.
 */
export async function encryptCms(content: Uint8Array, recipients: readonly pkijs.Certificate[], options: EncryptOptions = {}): Promise<Buffer> {
  return joinPieces(envelopeOf(content, recipients, options));
}

/**
 * encryptCms's ContentInfo as DER pieces, the ciphertext not copied; synchronous, so that
 * `content` may be a scratch buffer (sign-encrypt.ts).
 */
function envelopeOf(content: Uint8Array, recipients: readonly pkijs.Certificate[], options: EncryptOptions): DerPieces {
  const unique = distinctCertificates(recipients);
  if (unique.length === 0) throw new HygieError('INVALID_INPUT', 'encryption needs at least one recipient certificate');
  const algorithm = contentAlgorithmByName(options.contentEncryption ?? 'AES-256-CBC');
  const contentKey = freshRandomBytes(algorithm.keyLength);
  try {
    const recipientInfos = unique.map((certificate) => recipientInfoFor(certificate, contentKey, options.rsaKeyTransport ?? 'PKCS1-v1_5'));
    const { encryptedContentInfo, mac } = sealContent(algorithm, contentKey, content);
    if (mac) return writeContentInfo(CONTENT_TYPE_OID.authEnvelopedData, writeAuthEnvelopedData(recipientInfos, encryptedContentInfo, mac));
    // RFC 5652 §6.1: version 0 when every RecipientInfo is a v0 KeyTransRecipientInfo, else 2.
    const version = unique.every((c) => c.subjectPublicKeyInfo.algorithm.algorithmId !== EC_PUBLIC_KEY_OID) ? 0 : 2;
    return writeContentInfo(CONTENT_TYPE_OID.envelopedData, writeEnvelopedData(version, recipientInfos, encryptedContentInfo));
  } finally {
    contentKey.fill(0);
  }
}

/**
 * Encrypts a whole RFC 5322 message: the outer header (From, To, Subject, Date…) stays
 * readable for routing, the canonical MIME entity is encrypted and replaced by an
 * `application/pkcs7-mime` entity. See encryptCms for `recipients` (include the sender).
 */
export async function encryptMessage(message: Buffer, recipients: readonly pkijs.Certificate[], options: EncryptOptions = {}): Promise<Buffer> {
  let split;
  try {
    split = splitMessage(message);
  } catch (cause) {
    if (!(cause instanceof SmimeFormatError)) throw cause;
    throw new HygieError('MESSAGE_MALFORMED', `cannot encrypt: ${cause.message}`, { cause });
  }
  return encryptedMessageOf(split.outer, split.entity, recipients, options);
}

/**
 * The outer header followed by `entity` encrypted, as an `application/pkcs7-mime` entity.
 * Synchronous: `entity` may be a scratch buffer.
 */
export function encryptedMessageOf(
  outer: readonly HeaderField[], entity: Uint8Array, recipients: readonly pkijs.Certificate[], options: EncryptOptions = {},
): Buffer {
  const der = envelopeOf(entity, recipients, options);
  const gcm = contentAlgorithmByName(options.contentEncryption ?? 'AES-256-CBC').mode === 'gcm';
  return pkcs7MimeMessage(outer, der, gcm ? 'authEnveloped-data' : 'enveloped-data');
}

/** Drops repeated recipients: the same serial number and public key is the same reader. */
function distinctCertificates(certificates: readonly pkijs.Certificate[]): pkijs.Certificate[] {
  const seen = new Set<string>();
  return certificates.filter((certificate) => {
    const { serial, spki } = certificateIdentifiers(certificate);
    const key = `${serial.toString('hex')}:${spki.toString('base64')}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
