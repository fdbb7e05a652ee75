/**
 * A SignerInfo (RFC 5652 §5.3) read with the BER walker. Through pkijs, decoding one
 * SignerInfo (its signed attributes, the S/MIME capabilities…) cost about a third of
 * verifying a 10 KB message; here only the signature AlgorithmIdentifier goes through
 * pkijs (remembered by its bytes: the same few recur), and an issuer name only when its
 * bytes differ from the certificate's.
 *
 *   SignerInfo ::= SEQUENCE {
 *     version CMSVersion,
 *     sid SignerIdentifier,                 -- IssuerAndSerialNumber | [0] SubjectKeyIdentifier
 *     digestAlgorithm DigestAlgorithmIdentifier,
 *     signedAttrs [0] IMPLICIT SignedAttributes OPTIONAL,
 *     signatureAlgorithm SignatureAlgorithmIdentifier,
 *     signature SignatureValue,             -- OCTET STRING
 *     unsignedAttrs [1] IMPLICIT UnsignedAttributes OPTIONAL }
 */
import * as pkijs from 'pkijs';
import { sameBytes, subjectKeyIdOf } from '../trust/certificate-facts.js';
import {
  bytesOf, childrenOf, CmsFormatError, contentOf, isContext, isUniversal, readOctetString, readOid, UNIVERSAL, type Tlv,
} from './ber-reader.js';

export type SignerId =
  | { readonly kind: 'issuerAndSerialNumber'; readonly issuer: Uint8Array; readonly serial: Uint8Array }
  | { readonly kind: 'subjectKeyIdentifier'; readonly keyIdentifier: Uint8Array };

export interface SignedAttributesBlock {
  /** What the signature covers: the [0] IMPLICIT bytes as received, tagged SET OF (RFC 5652 §5.4). */
  readonly encoded: Uint8Array;
  /** Each attribute's type and its values (whole TLVs). */
  readonly attributes: ReadonlyArray<{ readonly type: string; readonly values: readonly Uint8Array[] }>;
}

export interface SignerInfo {
  readonly sid: SignerId;
  readonly digestAlgorithm: string;
  readonly signatureAlgorithm: pkijs.AlgorithmIdentifier;
  readonly signature: Uint8Array;
  readonly signedAttributes?: SignedAttributesBlock;
}

/** Reads one SignerInfo of `der` at `tlv`; a structure that is not one is a CmsFormatError. */
export function readSignerInfo(der: Uint8Array, tlv: Tlv): SignerInfo {
  if (!isUniversal(tlv, UNIVERSAL.sequence) || !tlv.constructed) throw new CmsFormatError('malformed SignerInfo');
  const fields = childrenOf(der, tlv);
  let index = 0;
  const version = fields[index++];
  if (!isUniversal(version, UNIVERSAL.integer) || version.constructed) throw new CmsFormatError('malformed SignerInfo version');
  const sid = readSignerId(der, fields[index++]);
  const digestAlgorithm = algorithmOid(der, fields[index++]);
  const signedAttributes = isContext(fields[index], 0) ? readSignedAttributesBlock(der, fields[index++]!) : undefined;
  const signatureAlgorithm = algorithmIdentifier(der, fields[index++]);
  const signature = fields[index++];
  if (!isUniversal(signature, UNIVERSAL.octetString)) throw new CmsFormatError('malformed SignerInfo signature');
  if (isContext(fields[index], 1)) index++; // unsignedAttrs: nothing we use
  if (index !== fields.length) throw new CmsFormatError('malformed SignerInfo: unexpected fields');
  return { sid, digestAlgorithm, signatureAlgorithm, signature: readOctetString(der, signature), ...(signedAttributes ? { signedAttributes } : {}) };
}

function readSignerId(der: Uint8Array, tlv: Tlv | undefined): SignerId {
  if (isContext(tlv, 0) && !tlv.constructed) return { kind: 'subjectKeyIdentifier', keyIdentifier: contentOf(der, tlv) };
  if (!isUniversal(tlv, UNIVERSAL.sequence) || !tlv.constructed) throw new CmsFormatError('malformed SignerInfo signer identifier');
  const [issuer, serial, ...rest] = childrenOf(der, tlv);
  if (!isUniversal(issuer, UNIVERSAL.sequence) || !issuer.constructed || !isUniversal(serial, UNIVERSAL.integer) || serial.constructed || rest.length > 0) {
    throw new CmsFormatError('malformed IssuerAndSerialNumber');
  }
  return { kind: 'issuerAndSerialNumber', issuer: bytesOf(der, issuer), serial: contentOf(der, serial) };
}

function algorithmOid(der: Uint8Array, tlv: Tlv | undefined): string {
  if (!isUniversal(tlv, UNIVERSAL.sequence) || !tlv.constructed) throw new CmsFormatError('malformed AlgorithmIdentifier');
  const [oid] = childrenOf(der, tlv);
  if (!oid) throw new CmsFormatError('malformed AlgorithmIdentifier');
  return readOid(der, oid);
}

const ALGORITHMS_KEPT = 64;
const algorithms = new Map<string, pkijs.AlgorithmIdentifier>();

/** The signature algorithm as pkijs reads it (its parameters matter for RSASSA-PSS), remembered by its bytes. */
function algorithmIdentifier(der: Uint8Array, tlv: Tlv | undefined): pkijs.AlgorithmIdentifier {
  algorithmOid(der, tlv);
  const bytes = bytesOf(der, tlv!);
  const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let algorithm = algorithms.get(key);
  if (!algorithm) {
    try {
      algorithm = pkijs.AlgorithmIdentifier.fromBER(new Uint8Array(bytes));
    } catch (error) {
      throw new CmsFormatError(`malformed signature AlgorithmIdentifier: ${(error as Error).message}`);
    }
    if (algorithms.size >= ALGORITHMS_KEPT) algorithms.delete(algorithms.keys().next().value!);
    algorithms.set(key, algorithm);
  }
  return algorithm;
}

/** SignedAttributes ::= SET SIZE (1..MAX) OF Attribute; Attribute ::= SEQUENCE { attrType OID, attrValues SET OF ANY } */
function readSignedAttributesBlock(der: Uint8Array, tlv: Tlv): SignedAttributesBlock {
  if (!tlv.constructed) throw new CmsFormatError('malformed signed attributes');
  const attributes = childrenOf(der, tlv).map((attribute) => {
    const [type, values, ...rest] = isUniversal(attribute, UNIVERSAL.sequence) && attribute.constructed ? childrenOf(der, attribute) : [];
    if (!type || !isUniversal(values, UNIVERSAL.set) || !values.constructed || rest.length > 0) throw new CmsFormatError('malformed signed attribute');
    return { type: readOid(der, type), values: childrenOf(der, values).map((value) => bytesOf(der, value)) };
  });
  if (attributes.length === 0) throw new CmsFormatError('empty signed attributes');
  const encoded = new Uint8Array(bytesOf(der, tlv));
  encoded[0] = 0x31;
  return { encoded, attributes };
}

/** Whether the SignerIdentifier names this certificate: issuer and serial number, or subject key identifier. */
export function identifies(sid: SignerId, certificate: pkijs.Certificate): boolean {
  if (sid.kind === 'subjectKeyIdentifier') {
    const ski = subjectKeyIdOf(certificate);
    return ski !== undefined && sameBytes(sid.keyIdentifier, ski);
  }
  if (!sameBytes(withoutLeadingZeros(sid.serial), withoutLeadingZeros(certificate.serialNumber.valueBlock.valueHexView))) return false;
  const issuer = certificate.issuer.valueBeforeDecode;
  if (issuer.byteLength > 0 && sameBytes(sid.issuer, new Uint8Array(issuer))) return true;
  // The same name encoded differently (rare): compared as RFC 5280 §7.1 says, by pkijs.
  try {
    return pkijs.RelativeDistinguishedNames.fromBER(new Uint8Array(sid.issuer)).isEqual(certificate.issuer);
  } catch {
    return false;
  }
}

export function describeSid(sid: SignerId): string {
  if (sid.kind === 'subjectKeyIdentifier') return `key identifier ${Buffer.from(sid.keyIdentifier).toString('hex')}`;
  return `serial ${Buffer.from(withoutLeadingZeros(sid.serial)).toString('hex').toUpperCase()}`;
}

function withoutLeadingZeros(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return bytes.subarray(start);
}
