/**
 * The signed attributes of an S/MIME SignerInfo (RFC 5652 §11, RFC 8551 §2.5): written
 * when signing, read back (strictly) when verifying.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { contextTag, objectIdentifier, octetString, sequence, setOf, time } from './der-writer.js';

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
export function readSignedAttributes(attrs: pkijs.SignedAndUnsignedAttributes): ReadAttributes {
  const single = (type: string): asn1js.BaseBlock | undefined | string => {
    const found = attrs.attributes.filter((a) => a.type === type);
    if (found.length === 0) return undefined;
    if (found.length > 1 || found[0]!.values.length !== 1) return `attribute ${type} must appear once with one value`;
    return found[0]!.values[0] as asn1js.BaseBlock;
  };
  const contentType = single(CMS_OIDS.contentType);
  const digest = single(CMS_OIDS.messageDigest);
  const signingTime = single(CMS_OIDS.signingTime);
  for (const value of [contentType, digest, signingTime]) if (typeof value === 'string') return { ok: false, detail: value };
  if (!(contentType instanceof asn1js.ObjectIdentifier)) return { ok: false, detail: 'the contentType signed attribute is missing or malformed' };
  if (!(digest instanceof asn1js.OctetString)) return { ok: false, detail: 'the messageDigest signed attribute is missing or malformed' };
  let when: Date | undefined;
  if (signingTime instanceof asn1js.UTCTime || signingTime instanceof asn1js.GeneralizedTime) when = signingTime.toDate();
  else if (signingTime !== undefined) return { ok: false, detail: 'the signingTime signed attribute is malformed' };
  if (when && Number.isNaN(when.getTime())) return { ok: false, detail: 'the signingTime signed attribute is malformed' };
  return {
    ok: true,
    contentType: contentType.valueBlock.toString(),
    messageDigest: new Uint8Array(digest.valueBlock.valueHexView),
    ...(when ? { signingTime: when } : {}),
  };
}
