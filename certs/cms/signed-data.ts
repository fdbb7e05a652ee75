/**
 * Reading CMS SignedData (RFC 5652 §5) and checking one SignerInfo cryptographically:
 * which certificate it names, that the content digest matches, that the signature over
 * the signed attributes verifies. Trust in the certificate is not decided here.
 */
import { createHash } from 'node:crypto';
import * as pkijs from 'pkijs';
import { certificateFromDer } from '../trust/certificate-cache.js';
import { sameBytes } from '../trust/certificate-facts.js';
import {
  digestNameOf, keyFitsScheme, nodeDigestName, publicKeyOf, refusedDigest, signatureSchemeOf, verifySignature, type DigestName,
} from '../trust/signatures.js';
import {
  bytesOf, childrenOf, CmsFormatError, isContext, isUniversal, readOctetString, readOid, readTlv, UNIVERSAL, type Tlv,
} from './ber-reader.js';
import { CMS_OIDS, readSignedAttributes } from './signed-attributes.js';
import { describeSid, identifies, readSignerInfo, type SignerInfo } from './signer-info.js';

export { CmsFormatError };

export interface ParsedSignedData {
  readonly signerInfos: SignerInfo[];
  readonly eContentType: string;
  /** The encapsulated content (opaque signing), undefined for a detached signature. */
  readonly encapsulated?: Uint8Array;
  readonly certificates: pkijs.Certificate[];
  readonly crls: pkijs.CertificateRevocationList[];
}

const CONTENT_TYPE_NAMES: Readonly<Record<string, string>> = {
  [CMS_OIDS.envelopedData]: 'enveloped-data',
  [CMS_OIDS.authEnvelopedData]: 'authEnveloped-data',
  [CMS_OIDS.data]: 'data',
  '1.2.840.113549.1.9.16.1.9': 'compressed-data',
};

/**
 * Parses a ContentInfo holding SignedData; anything else is a CmsFormatError. The
 * structure is walked with the BER reader (ber-reader.ts explains why): carried
 * certificates come from the certificate cache, SignerInfos are read by signer-info.ts,
 * CRLs go through pkijs.
 */
export function parseSignedData(der: Uint8Array): ParsedSignedData {
  if (der.length === 0) throw new CmsFormatError('empty CMS structure');
  const top = readTlv(der, 0);
  const [typeBlock, wrapper] = isUniversal(top, UNIVERSAL.sequence) && top.constructed ? childrenOf(der, top) : [];
  if (!isUniversal(typeBlock, UNIVERSAL.oid) || !isContext(wrapper, 0) || !wrapper.constructed) throw new CmsFormatError('not a CMS ContentInfo');
  const contentType = readOid(der, typeBlock);
  if (contentType !== CMS_OIDS.signedData) {
    throw new CmsFormatError(`the CMS structure is ${CONTENT_TYPE_NAMES[contentType] ?? contentType}, not signed-data`, true);
  }
  const [signedData] = childrenOf(der, wrapper);
  if (!isUniversal(signedData, UNIVERSAL.sequence) || !signedData.constructed) throw new CmsFormatError('malformed SignedData');
  try {
    return readSignedData(der, childrenOf(der, signedData));
  } catch (error) {
    if (error instanceof CmsFormatError) throw error;
    throw new CmsFormatError(`malformed SignedData: ${(error as Error).message}`);
  }
}

/** SignedData ::= SEQUENCE { version, digestAlgorithms, encapContentInfo, [0] certificates, [1] crls, signerInfos } */
function readSignedData(der: Uint8Array, items: Tlv[]): ParsedSignedData {
  const [version, digestAlgorithms, encapsulatedInfo] = items;
  const signerSet = items[items.length - 1];
  if (items.length < 4 || !isUniversal(version, UNIVERSAL.integer) || !isUniversal(digestAlgorithms, UNIVERSAL.set)
    || !isUniversal(encapsulatedInfo, UNIVERSAL.sequence) || !isUniversal(signerSet, UNIVERSAL.set)) {
    throw new CmsFormatError('malformed SignedData');
  }
  const optional = items.slice(3, -1);
  if (optional.some((tlv) => !(isContext(tlv, 0) || isContext(tlv, 1)) || !tlv.constructed)) throw new CmsFormatError('malformed SignedData');
  const certificateSet = optional.find((tlv) => isContext(tlv, 0));
  const crlSet = optional.find((tlv) => isContext(tlv, 1));
  // Other certificate and CRL formats are tagged, not SEQUENCEs: skipped.
  const sequencesIn = (set: Tlv | undefined): Tlv[] => (set ? childrenOf(der, set).filter((tlv) => isUniversal(tlv, UNIVERSAL.sequence)) : []);
  const signerInfos = childrenOf(der, signerSet).map((tlv) => readSignerInfo(der, tlv));
  if (signerInfos.length === 0) throw new CmsFormatError('SignedData has no SignerInfo');
  const { eContentType, eContent } = readEncapsulated(der, encapsulatedInfo);
  return {
    signerInfos,
    eContentType,
    ...(eContent ? { encapsulated: eContent } : {}),
    certificates: sequencesIn(certificateSet).map((tlv) => certificateFromDer(bytesOf(der, tlv))),
    crls: sequencesIn(crlSet).map((tlv) => pkijs.CertificateRevocationList.fromBER(new Uint8Array(bytesOf(der, tlv)))),
  };
}

/** EncapsulatedContentInfo ::= SEQUENCE { eContentType, eContent [0] EXPLICIT OCTET STRING OPTIONAL } */
function readEncapsulated(der: Uint8Array, tlv: Tlv): { eContentType: string; eContent?: Uint8Array } {
  const [type, wrapped, ...rest] = childrenOf(der, tlv);
  if (!isUniversal(type, UNIVERSAL.oid) || rest.length > 0) throw new CmsFormatError('malformed encapsulated content info');
  const eContentType = readOid(der, type);
  if (!wrapped) return { eContentType };
  if (!isContext(wrapped, 0) || !wrapped.constructed) throw new CmsFormatError('malformed encapsulated content');
  const [octets, ...extra] = childrenOf(der, wrapped);
  if (!octets || extra.length > 0 || !isUniversal(octets, UNIVERSAL.octetString)) throw new CmsFormatError('encapsulated content is not an OCTET STRING');
  return { eContentType, eContent: readOctetString(der, octets) };
}

export type SignerFailure = 'malformed' | 'unsupported-algorithm' | 'unknown-signer' | 'content-altered' | 'bad-signature';

export type SignerCheck =
  | { readonly ok: true; readonly certificate: pkijs.Certificate; readonly signingTime?: Date; readonly digest: DigestName }
  | { readonly ok: false; readonly reason: SignerFailure; readonly detail: string; readonly certificate?: pkijs.Certificate; readonly signingTime?: Date };

/**
 * Checks one SignerInfo over `content` (the encapsulated or detached bytes). The order of
 * checks decides the reason: algorithm, then certificate, then digest, then signature.
 */
export function checkSignerInfo(
  signerInfo: SignerInfo, content: Uint8Array, eContentType: string, candidates: readonly pkijs.Certificate[],
): SignerCheck {
  const digestOid = signerInfo.digestAlgorithm;
  const digest = digestNameOf(digestOid);
  if (!digest) return { ok: false, reason: 'unsupported-algorithm', detail: refusedDigest(digestOid)! };
  const scheme = signatureSchemeOf(signerInfo.signatureAlgorithm, digest);
  if (!scheme.ok) return { ok: false, reason: 'unsupported-algorithm', detail: scheme.detail };

  const certificate = candidates.find((cert) => identifies(signerInfo.sid, cert));
  if (!certificate) return { ok: false, reason: 'unknown-signer', detail: `no certificate for the signer (${describeSid(signerInfo.sid)})` };
  const key = publicKeyOf(certificate);
  if (!keyFitsScheme(scheme.scheme, key)) {
    return { ok: false, reason: 'bad-signature', certificate, detail: `a ${key.asymmetricKeyType} key cannot make a ${scheme.scheme.name} signature` };
  }
  const contentDigest = createHash(nodeDigestName(digest)).update(content).digest();
  const signature = signerInfo.signature;

  if (!signerInfo.signedAttributes) {
    // Without signed attributes the signature covers the content itself (RFC 5652 §5.4).
    return verifySignature(scheme.scheme, key, content, signature)
      ? { ok: true, certificate, digest }
      : { ok: false, reason: 'bad-signature', certificate, detail: 'the signature does not verify over the content' };
  }
  const attributes = readSignedAttributes(signerInfo.signedAttributes);
  if (!attributes.ok) return { ok: false, reason: 'malformed', certificate, detail: attributes.detail };
  const signingTime = attributes.signingTime ? { signingTime: attributes.signingTime } : {};
  if (attributes.contentType !== eContentType) {
    return { ok: false, reason: 'malformed', certificate, ...signingTime, detail: `the signed contentType ${attributes.contentType} differs from the content's ${eContentType}` };
  }
  if (!sameBytes(attributes.messageDigest, contentDigest)) {
    return { ok: false, reason: 'content-altered', certificate, ...signingTime, detail: `the ${digest} digest of the content differs from the signed messageDigest` };
  }
  if (!verifySignature(scheme.scheme, key, signerInfo.signedAttributes.encoded, signature)) {
    return { ok: false, reason: 'bad-signature', certificate, ...signingTime, detail: `the ${scheme.scheme.name} signature over the signed attributes does not verify` };
  }
  return { ok: true, certificate, digest, ...signingTime };
}
