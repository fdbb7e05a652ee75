/**
 * The signed attributes of an S/MIME SignerInfo (RFC 5652 §11, RFC 8551 §2.5): written
 * when signing, read back (strictly) when verifying.
 */
import * as asn1js from 'asn1js';
import { isUniversal, readOctetString, readOid, readTlv, UNIVERSAL, type Tlv } from './ber-reader.js';
import { contextTag, objectIdentifier, octetString, sequence, setOf, time } from './der-writer.js';
import type { SignedAttributesBlock } from './signer-info.js';

export const CMS_OIDS = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  authEnvelopedData: '1.2.840.113549.1.9.16.1.23',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  smimeCapabilities: '1.2.840.113549.1.9.15',
  /** RFC 8551 §2.5.3: which certificate to encrypt to, when it is not the signing one. */
  encryptionKeyPreference: '1.2.840.113549.1.9.16.2.11',
} as const;

/**
 * What we tell correspondents we can decrypt, most preferred first (RFC 8551 §2.5.2):
 * AES-GCM (AuthEnvelopedData, RFC 5083/5084), then AES-CBC for older clients.
 */
export const SMIME_CAPABILITIES = [
  '2.16.840.1.101.3.4.1.46', // id-aes256-GCM
  '2.16.840.1.101.3.4.1.6', // id-aes128-GCM
  '2.16.840.1.101.3.4.1.42', // id-aes256-CBC
  '2.16.840.1.101.3.4.1.2', // id-aes128-CBC
] as const;

export interface SignedAttributeValues {
  readonly contentType: string;
  readonly messageDigest: Uint8Array;
  readonly signingTime: Date;
  readonly capabilities?: readonly string[];
  /** issuerAndSerialNumber DER of the certificate to encrypt to (a separate encryption certificate). */
  readonly encryptionKeyPreference?: Uint8Array;
}

function attribute(type: string, ...values: Uint8Array[]): Buffer {
  return sequence(objectIdentifier(type), setOf(values));
}

function capabilitiesAttribute(capabilities: readonly string[]): Buffer {
  return attribute(CMS_OIDS.smimeCapabilities, sequence(...capabilities.map((oid) => sequence(objectIdentifier(oid)))));
}

let defaultCapabilities: Buffer | undefined;

/** The signed attributes as the DER SET OF that is signed (tag 0x31), sorted. */
export function encodeSignedAttributes(values: SignedAttributeValues): Buffer {
  const capabilities = values.capabilities ?? SMIME_CAPABILITIES;
  const attributes = [
    attribute(CMS_OIDS.contentType, objectIdentifier(values.contentType)),
    attribute(CMS_OIDS.signingTime, time(values.signingTime)),
    attribute(CMS_OIDS.messageDigest, octetString(values.messageDigest)),
    values.capabilities ? capabilitiesAttribute(capabilities) : (defaultCapabilities ??= capabilitiesAttribute(SMIME_CAPABILITIES)),
  ];
  if (values.encryptionKeyPreference) {
    // SMIMEEncryptionKeyPreference ::= CHOICE { issuerAndSerialNumber [0] IMPLICIT … }
    const body = values.encryptionKeyPreference.subarray(2 + lengthOfLength(values.encryptionKeyPreference));
    attributes.push(attribute(CMS_OIDS.encryptionKeyPreference, contextTag(0, body)));
  }
  return setOf(attributes);
}

/** Length of the length field of a DER element (so that its contents can be re-tagged). */
function lengthOfLength(der: Uint8Array): number {
  const first = der[1]!;
  return first < 0x80 ? 0 : first & 0x7f;
}

export type ReadAttributes =
  | { ok: true; contentType: string; messageDigest: Uint8Array; signingTime?: Date }
  | { ok: false; detail: string };

/**
 * Reads contentType, messageDigest and signingTime. Each must appear once with one
 * value (RFC 5652 §11: a SignerInfo with several is invalid); signingTime is optional.
 */
export function readSignedAttributes(block: SignedAttributesBlock): ReadAttributes {
  const single = (type: string): Uint8Array | undefined | string => {
    const found = block.attributes.filter((a) => a.type === type);
    if (found.length === 0) return undefined;
    if (found.length > 1 || found[0]!.values.length !== 1) return `attribute ${type} must appear once with one value`;
    return found[0]!.values[0]!;
  };
  const contentType = single(CMS_OIDS.contentType);
  const digest = single(CMS_OIDS.messageDigest);
  const signingTime = single(CMS_OIDS.signingTime);
  for (const value of [contentType, digest, signingTime]) if (typeof value === 'string') return { ok: false, detail: value };
  const contentTypeOid = contentType instanceof Uint8Array ? valueOf(contentType, (der, tlv) => readOid(der, tlv)) : undefined;
  if (contentTypeOid === undefined) return { ok: false, detail: 'the contentType signed attribute is missing or malformed' };
  const messageDigest = digest instanceof Uint8Array
    ? valueOf(digest, (der, tlv) => (isUniversal(tlv, UNIVERSAL.octetString) ? new Uint8Array(readOctetString(der, tlv)) : undefined))
    : undefined;
  if (messageDigest === undefined) return { ok: false, detail: 'the messageDigest signed attribute is missing or malformed' };
  let when: Date | undefined;
  if (signingTime instanceof Uint8Array) {
    when = timeOf(signingTime);
    if (!when || Number.isNaN(when.getTime())) return { ok: false, detail: 'the signingTime signed attribute is malformed' };
  }
  return { ok: true, contentType: contentTypeOid, messageDigest, ...(when ? { signingTime: when } : {}) };
}

/** `read` applied to one whole TLV; undefined when the bytes are not one element or `read` refuses them. */
function valueOf<T>(bytes: Uint8Array, read: (der: Uint8Array, tlv: Tlv) => T | undefined): T | undefined {
  try {
    const tlv = readTlv(bytes, 0);
    return tlv.end === bytes.length ? read(bytes, tlv) : undefined;
  } catch {
    return undefined;
  }
}

/** DER time forms (X.690 §11.7-11.8, RFC 5280 §4.1.2.5): seconds, no fraction, Z. */
const DER_UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
const DER_GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

/**
 * A UTCTime or GeneralizedTime. The DER forms every signer writes are read here; anything
 * else (fractions, offsets, missing seconds) is left to asn1js, whose decoding of even one
 * element costs more than the rest of the attributes.
 */
function timeOf(bytes: Uint8Array): Date | undefined {
  const tag = bytes[0];
  if ((tag === 0x17 || tag === 0x18) && bytes[1]! < 0x80 && bytes.length === 2 + bytes[1]!) {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset + 2, bytes.length - 2).toString('latin1');
    const match = (tag === 0x17 ? DER_UTC_TIME : DER_GENERALIZED_TIME).exec(text);
    if (match) {
      const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
      // RFC 5280 §4.1.2.5.1: a two-digit year below 50 is 20YY.
      const fullYear = tag === 0x17 ? (year < 50 ? 2000 + year : 1900 + year) : year;
      const date = new Date(Date.UTC(fullYear, month - 1, day, hour, minute, second));
      // Out-of-range fields (month 13…) roll over: those are left to asn1js, as before this fast path.
      const exact = date.getUTCFullYear() === fullYear && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
        && date.getUTCHours() === hour && date.getUTCMinutes() === minute && date.getUTCSeconds() === second;
      if (exact) return date;
    }
  }
  const decoded = asn1js.fromBER(new Uint8Array(bytes));
  if (decoded.offset !== bytes.length) return undefined;
  const time = decoded.result;
  return time instanceof asn1js.UTCTime || time instanceof asn1js.GeneralizedTime ? time.toDate() : undefined;
}
