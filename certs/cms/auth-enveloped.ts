/**
 * AuthEnvelopedData (RFC 5083), which pkijs 4 does not have. The recipient part is the
 * same as EnvelopedData's (envelope-asn1.ts); only the outer SEQUENCE, the authenticated
 * attributes and the `mac` are handled here.
 *
 *   AuthEnvelopedData ::= SEQUENCE {
 *     version CMSVersion,                              -- always 0
 *     originatorInfo [0] IMPLICIT OriginatorInfo OPTIONAL,
 *     recipientInfos RecipientInfos,
 *     authEncryptedContentInfo EncryptedContentInfo,
 *     authAttrs [1] IMPLICIT AuthAttributes OPTIONAL,
 *     mac MessageAuthenticationCode,                   -- OCTET STRING
 *     unauthAttrs [2] IMPLICIT UnauthAttributes OPTIONAL }
 */
import { BerError, childrenOf, expectTag, octetsOf, smallIntegerOf, type Tlv } from './envelope-ber.js';
import { octetString, setOf, smallInteger, tlvPieces, type DerPieces } from './der-writer.js';
import { expectOctetString, readEncryptedContentInfo, readRecipientInfos, type EncryptedContentInfo, type RecipientInfo } from './envelope-asn1.js';

export interface AuthEnvelopedData {
  recipientInfos: RecipientInfo[];
  authEncryptedContentInfo: EncryptedContentInfo;
  mac: Buffer;
  /**
   * The additional authenticated data: authAttrs as the universal SET OF they stand for
   * (RFC 5083 §2.2), or undefined when there are none (then the AAD is empty).
   */
  aad: Buffer | undefined;
}

/** Reads the content of an id-ct-authEnvelopedData ContentInfo; throws BerError when malformed. */
export function readAuthEnvelopedData(tlv: Tlv): AuthEnvelopedData {
  const fields = childrenOf(expectTag(tlv, 0x30, 'AuthEnvelopedData'));
  let index = 0;
  const version = smallIntegerOf(expectTag(fields[index++], 0x02, 'AuthEnvelopedData.version'));
  if (version !== 0) throw new BerError(`AuthEnvelopedData version ${version} is not 0`);
  if (fields[index]?.tag === 0xa0) index++; // originatorInfo: certificates we do not need
  const recipientInfos = readRecipientInfos(fields[index++]);
  const authEncryptedContentInfo = readEncryptedContentInfo(fields[index++]);
  const authAttrs = fields[index]?.tag === 0xa1 ? fields[index++] : undefined;
  const mac = octetsOf(expectOctetString(fields[index++], 'AuthEnvelopedData.mac'));
  return { recipientInfos, authEncryptedContentInfo, mac, aad: authAttrs ? setOfEncoding(authAttrs) : undefined };
}

/**
 * The [1] IMPLICIT block as the SET OF the sender authenticated: the bytes as received
 * (DER by RFC 5083) with the tag byte A1 turned into 31.
 */
function setOfEncoding(authAttrs: Tlv): Buffer {
  if (authAttrs.encoding[1] === 0x80) throw new BerError('authAttrs must be DER');
  const bytes = Buffer.from(authAttrs.encoding);
  bytes[0] = 0x31;
  return bytes;
}

/** AuthEnvelopedData (version 0, no originatorInfo, no attributes) as DER. */
export function writeAuthEnvelopedData(recipientInfos: readonly Buffer[], authEncryptedContentInfo: DerPieces, mac: Buffer): Uint8Array[] {
  return tlvPieces(0x30, smallInteger(0), setOf(recipientInfos), authEncryptedContentInfo, octetString(mac));
}
