/**
 * The ASN.1 of envelopes (RFC 5652 §6, RFC 5083): reading ContentInfo, EnvelopedData,
 * RecipientInfo and EncryptedContentInfo into plain objects, and writing them as DER.
 * Structure only: no cryptography, no policy. Readers throw BerError on anything that
 * does not match; unknown RecipientInfo kinds are kept as 'other' (never ours).
 */
import { BerError, childrenOf, expectTag, octetsOf, oidOf, readTlv, smallIntegerOf, type Tlv } from './envelope-ber.js';
import { contextTag, objectIdentifier, octetString, sequence, setOf, smallInteger, tlv, tlvPieces, type DerPieces } from './der-writer.js';
import { CONTENT_TYPE_OID } from './envelope-algorithms.js';

export interface AlgorithmIdentifier {
  oid: string;
  parameters: Tlv | undefined;
  /** The whole AlgorithmIdentifier as received (the ECDH KDF hashes it). */
  encoding: Buffer;
}

export type RecipientId =
  | { kind: 'issuerAndSerialNumber'; issuer: Buffer; serial: Buffer }
  | { kind: 'subjectKeyIdentifier'; keyIdentifier: Buffer };

export interface KeyTransRecipientInfo {
  type: 'ktri';
  rid: RecipientId;
  keyEncryptionAlgorithm: AlgorithmIdentifier;
  encryptedKey: Buffer;
}

export interface KeyAgreeRecipientInfo {
  type: 'kari';
  /** The originator's public key; undefined when named by certificate (static-static, unsupported). */
  originatorKey: { algorithm: AlgorithmIdentifier; publicKey: Buffer } | undefined;
  ukm: Buffer | undefined;
  keyEncryptionAlgorithm: AlgorithmIdentifier;
  recipientEncryptedKeys: Array<{ rid: RecipientId; encryptedKey: Buffer }>;
}

export type RecipientInfo = KeyTransRecipientInfo | KeyAgreeRecipientInfo | { type: 'other' };

export interface EncryptedContentInfo {
  contentType: string;
  contentEncryptionAlgorithm: AlgorithmIdentifier;
  /** Absent when the content is detached. */
  encryptedContent: Buffer | undefined;
}

// ---------------------------------------------------------------------------------------
// Reading

export function readContentInfo(der: Buffer): { contentType: string; content: Tlv } {
  const [type, explicit] = childrenOf(expectTag(readTlv(der), 0x30, 'ContentInfo'));
  const contentType = oidOf(expectTag(type, 0x06, 'ContentInfo.contentType'));
  const [content] = childrenOf(expectTag(explicit, 0xa0, 'ContentInfo.content'));
  if (!content) throw new BerError('ContentInfo without content');
  return { contentType, content };
}

export function readEnvelopedData(tlv: Tlv): { recipientInfos: RecipientInfo[]; encryptedContentInfo: EncryptedContentInfo } {
  const fields = childrenOf(expectTag(tlv, 0x30, 'EnvelopedData'));
  let index = 0;
  smallIntegerOf(expectTag(fields[index++], 0x02, 'EnvelopedData.version'));
  if (fields[index]?.tag === 0xa0) index++; // originatorInfo: certificates we do not need
  const recipientInfos = readRecipientInfos(fields[index++]);
  const encryptedContentInfo = readEncryptedContentInfo(fields[index++]);
  return { recipientInfos, encryptedContentInfo };
}

export function readRecipientInfos(set: Tlv | undefined): RecipientInfo[] {
  const infos = childrenOf(expectTag(set, 0x31, 'RecipientInfos')).map(readRecipientInfo);
  if (infos.length === 0) throw new BerError('no RecipientInfo');
  return infos;
}

function readRecipientInfo(tlv: Tlv): RecipientInfo {
  if (tlv.tag === 0x30) return readKeyTrans(tlv);
  if (tlv.tag === 0xa1) return readKeyAgree(tlv);
  if (tlv.tag >= 0xa2 && tlv.tag <= 0xa4) return { type: 'other' }; // KEK, password, other
  throw new BerError(`unknown RecipientInfo tag 0x${tlv.tag.toString(16)}`);
}

function readKeyTrans(tlv: Tlv): KeyTransRecipientInfo {
  const [version, rid, algorithm, encryptedKey] = childrenOf(tlv);
  smallIntegerOf(expectTag(version, 0x02, 'KeyTransRecipientInfo.version'));
  if (!rid) throw new BerError('KeyTransRecipientInfo without rid');
  return {
    type: 'ktri',
    rid: rid.tag === 0x80 ? { kind: 'subjectKeyIdentifier', keyIdentifier: rid.content } : readIssuerAndSerial(rid),
    keyEncryptionAlgorithm: readAlgorithmIdentifier(algorithm),
    encryptedKey: octetsOf(expectOctetString(encryptedKey, 'KeyTransRecipientInfo.encryptedKey')),
  };
}

function readKeyAgree(tlv: Tlv): KeyAgreeRecipientInfo {
  const fields = childrenOf(tlv);
  let index = 0;
  smallIntegerOf(expectTag(fields[index++], 0x02, 'KeyAgreeRecipientInfo.version'));
  const [originator] = childrenOf(expectTag(fields[index++], 0xa0, 'KeyAgreeRecipientInfo.originator'));
  let originatorKey: KeyAgreeRecipientInfo['originatorKey'];
  if (originator?.tag === 0xa1) {
    const [algorithm, publicKey] = childrenOf(originator);
    const bits = expectTag(publicKey, 0x03, 'OriginatorPublicKey.publicKey').content;
    if (bits[0] !== 0) throw new BerError('originator public key with unused bits');
    originatorKey = { algorithm: readAlgorithmIdentifier(algorithm), publicKey: bits.subarray(1) };
  } else if (originator?.tag !== 0x30 && originator?.tag !== 0x80) {
    throw new BerError('KeyAgreeRecipientInfo.originator is malformed');
  }
  let ukm: Buffer | undefined;
  if (fields[index]?.tag === 0xa1) {
    ukm = octetsOf(expectOctetString(childrenOf(fields[index++]!)[0], 'KeyAgreeRecipientInfo.ukm'));
  }
  const keyEncryptionAlgorithm = readAlgorithmIdentifier(fields[index++]);
  const recipientEncryptedKeys = childrenOf(expectTag(fields[index++], 0x30, 'RecipientEncryptedKeys')).map((rek) => {
    const [rid, encryptedKey] = childrenOf(expectTag(rek, 0x30, 'RecipientEncryptedKey'));
    if (!rid) throw new BerError('RecipientEncryptedKey without rid');
    return {
      rid: rid.tag === 0xa0
        ? { kind: 'subjectKeyIdentifier' as const, keyIdentifier: octetsOf(expectOctetString(childrenOf(rid)[0], 'RecipientKeyIdentifier')) }
        : readIssuerAndSerial(rid),
      encryptedKey: octetsOf(expectOctetString(encryptedKey, 'RecipientEncryptedKey.encryptedKey')),
    };
  });
  return { type: 'kari', originatorKey, ukm, keyEncryptionAlgorithm, recipientEncryptedKeys };
}

function readIssuerAndSerial(tlv: Tlv): RecipientId {
  const [issuer, serial] = childrenOf(expectTag(tlv, 0x30, 'IssuerAndSerialNumber'));
  return {
    kind: 'issuerAndSerialNumber',
    issuer: expectTag(issuer, 0x30, 'IssuerAndSerialNumber.issuer').encoding,
    serial: expectTag(serial, 0x02, 'IssuerAndSerialNumber.serialNumber').content,
  };
}

export function readEncryptedContentInfo(tlv: Tlv | undefined): EncryptedContentInfo {
  const [type, algorithm, content] = childrenOf(expectTag(tlv, 0x30, 'EncryptedContentInfo'));
  if (content && content.tag !== 0x80 && content.tag !== 0xa0) throw new BerError('EncryptedContentInfo.encryptedContent is malformed');
  return {
    contentType: oidOf(expectTag(type, 0x06, 'EncryptedContentInfo.contentType')),
    contentEncryptionAlgorithm: readAlgorithmIdentifier(algorithm),
    encryptedContent: content ? octetsOf(content) : undefined,
  };
}

export function readAlgorithmIdentifier(tlv: Tlv | undefined): AlgorithmIdentifier {
  const identifier = expectTag(tlv, 0x30, 'AlgorithmIdentifier');
  const [algorithm, parameters] = childrenOf(identifier);
  return { oid: oidOf(expectTag(algorithm, 0x06, 'AlgorithmIdentifier.algorithm')), parameters, encoding: identifier.encoding };
}

/** An OCTET STRING, primitive (0x04) or constructed (0x24). */
export function expectOctetString(tlv: Tlv | undefined, what: string): Tlv {
  if (!tlv || (tlv.tag & 0xdf) !== 0x04) throw new BerError(`${what}: expected an OCTET STRING`);
  return tlv;
}

// ---------------------------------------------------------------------------------------
// Writing (DER)

const OID_CACHE = new Map<string, Buffer>();

/** OBJECT IDENTIFIER encodings, computed once per OID. */
export function oid(dotted: string): Buffer {
  let encoding = OID_CACHE.get(dotted);
  if (!encoding) {
    encoding = objectIdentifier(dotted);
    OID_CACHE.set(dotted, encoding);
  }
  return encoding;
}

/** The ContentInfo as pieces: the (large) content is copied once, where the pieces are joined or written out. */
export function writeContentInfo(contentType: string, content: DerPieces): Uint8Array[] {
  return tlvPieces(0x30, oid(contentType), tlvPieces(0xa0, content));
}

/** EnvelopedData without originatorInfo or attributes; RecipientInfos sorted as DER wants a SET OF. */
export function writeEnvelopedData(version: number, recipientInfos: readonly Buffer[], encryptedContentInfo: DerPieces): Uint8Array[] {
  return tlvPieces(0x30, smallInteger(version), setOf(recipientInfos), encryptedContentInfo);
}

/** id-data content, encrypted (given as pieces), as one primitive [0] IMPLICIT OCTET STRING. */
export function writeEncryptedContentInfo(contentEncryptionAlgorithm: Buffer, ciphertext: DerPieces): Uint8Array[] {
  return tlvPieces(0x30, oid(CONTENT_TYPE_OID.data), contentEncryptionAlgorithm, tlvPieces(0x80, ciphertext));
}

export function writeIssuerAndSerialNumber(issuer: Buffer, serial: Uint8Array): Buffer {
  return sequence(issuer, tlv(0x02, serial));
}

export function writeKeyTransRecipientInfo(rid: Buffer, keyEncryptionAlgorithm: Buffer, encryptedKey: Buffer): Buffer {
  return sequence(smallInteger(0), rid, keyEncryptionAlgorithm, octetString(encryptedKey));
}

/** [1] KeyAgreeRecipientInfo v3 with an ephemeral originator key and no UKM. */
export function writeKeyAgreeRecipientInfo(
  originatorAlgorithm: Buffer, originatorPoint: Buffer, keyEncryptionAlgorithm: Buffer, rid: Buffer, encryptedKey: Buffer,
): Buffer {
  const originatorKey = contextTag(1, originatorAlgorithm, tlv(0x03, Buffer.from([0]), originatorPoint));
  return contextTag(1,
    smallInteger(3),
    contextTag(0, originatorKey),
    keyEncryptionAlgorithm,
    sequence(sequence(rid, octetString(encryptedKey))));
}
