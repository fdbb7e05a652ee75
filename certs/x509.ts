/**
 * Building and signing X.509 v3 certificates (RFC 5280) from a profile.
 * issueCertificate is the only signing entry point: it checks the request against the
 * profile and the issuer, builds the extensions from the profile data, signs with
 * SHA-256 (RSASSA-PKCS1-v1_5 or ECDSA, after the issuer's key), and verifies its own
 * signature before returning (which also catches an issuer key that does not belong to
 * the issuer certificate). The encoding helpers are shared with the CRL builder.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { HygieError } from '../core/errors.js';
import { cryptoEngine, type CryptoKey } from './engine.js';
import { keyAlgorithmOf, keyFamilyOf, type KeyFamily } from './keys.js';
import {
  encodeGeneralName, encodeName, decodeGeneralNames, subjectAltNameType, type DistinguishedName, type SubjectAltName,
} from './names.js';
import { fromPem, toArrayBuffer, toPem } from './pem.js';
import { EXTENDED_KEY_USAGE_OIDS, KEY_USAGE_BITS, keyUsagesFor, type CertificateProfile, type KeyUsageName } from './profiles.js';

export const OID = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extendedKeyUsage: '2.5.29.37',
  cRLDistributionPoints: '2.5.29.31',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  accessOcsp: '1.3.6.1.5.5.7.48.1',
  accessCaIssuers: '1.3.6.1.5.5.7.48.2',
  cRLNumber: '2.5.29.20',
  cRLReason: '2.5.29.21',
} as const;

/** Key usages an EC key cannot have (RFC 5480 §3), and those an RSA key may not have (RFC 3279 §2.3.1). */
const FORBIDDEN_USAGES: Readonly<Record<KeyFamily, readonly KeyUsageName[]>> = {
  ec: ['keyEncipherment', 'dataEncipherment'],
  rsa: ['keyAgreement', 'encipherOnly', 'decipherOnly'],
};

const DAY_MS = 86_400_000;

/** Who signs: an existing CA (certificate and its key), or the subject itself (a root). */
export type IssuerSpec =
  | { readonly certificate: pkijs.Certificate; readonly privateKey: CryptoKey }
  | { readonly selfSigned: true; readonly privateKey: CryptoKey };

export interface Validity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface IssueCertificateOptions {
  readonly profile: CertificateProfile;
  readonly subject: DistinguishedName;
  readonly issuer: IssuerSpec;
  /** The subject's public key (for a self-signed certificate, the pair of `issuer.privateKey`). */
  readonly publicKey: CryptoKey;
  readonly validity: Validity;
  readonly subjectAltNames?: readonly SubjectAltName[];
  /** Positive DER INTEGER content bytes; random 16 bytes by default. */
  readonly serial?: Uint8Array;
  /** Where the issuer's CRL is published (cRLDistributionPoints, one point with these names). */
  readonly crlDistributionPoints?: readonly string[];
  /** Where the issuer's certificate (caIssuers) and an OCSP responder (ocsp) can be fetched. */
  readonly authorityInfoAccess?: { readonly caIssuers?: readonly string[]; readonly ocsp?: readonly string[] };
  /** Extensions a profile does not cover yet (certificate policies…). */
  readonly extraExtensions?: readonly pkijs.Extension[];
}

export interface IssuedCertificate {
  readonly certificate: pkijs.Certificate;
  readonly der: Uint8Array;
  readonly pem: string;
}

/** 16 random bytes as a positive serial with a fixed length (top bit clear, next bit set). */
export function randomSerial(): Uint8Array {
  const serial = new Uint8Array(randomBytes(16));
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  return serial;
}

export async function issueCertificate(options: IssueCertificateOptions): Promise<IssuedCertificate> {
  const { profile, issuer, validity } = options;
  const engine = cryptoEngine();
  const selfSigned = 'selfSigned' in issuer;
  const sans = options.subjectAltNames ?? [];
  checkRequest(options, selfSigned, sans);

  const cert = new pkijs.Certificate();
  cert.version = 2; // v3
  const serial = options.serial ?? randomSerial();
  if (serial.length === 0 || serial.length > 20 || (serial[0]! & 0x80) !== 0) {
    throw new HygieError('INVALID_INPUT', 'serial must be 1 to 20 bytes and positive');
  }
  cert.serialNumber = new asn1js.Integer({ valueHex: toArrayBuffer(serial) });
  cert.subject = encodeName(options.subject);
  cert.issuer = selfSigned ? cert.subject : issuer.certificate.subject;
  cert.notBefore = encodeTime(validity.notBefore);
  cert.notAfter = encodeTime(validity.notAfter);
  await cert.subjectPublicKeyInfo.importKey(options.publicKey, engine);

  const ski = keyIdentifier(cert.subjectPublicKeyInfo);
  const extensions = [
    extension(OID.basicConstraints, profile.basicConstraints.critical, new pkijs.BasicConstraints({
      cA: profile.basicConstraints.ca,
      ...(profile.basicConstraints.pathLength !== undefined ? { pathLenConstraint: profile.basicConstraints.pathLength } : {}),
    }).toSchema()),
    extension(OID.keyUsage, profile.keyUsage.critical, keyUsageBits(usagesForKey(profile, options.publicKey))),
  ];
  if (profile.extendedKeyUsage) {
    extensions.push(extension(OID.extendedKeyUsage, profile.extendedKeyUsage.critical, new pkijs.ExtKeyUsage({
      keyPurposes: profile.extendedKeyUsage.usages.map((u) => EXTENDED_KEY_USAGE_OIDS[u]),
    }).toSchema()));
  }
  if (sans.length > 0) {
    // Critical only when the subject is empty (RFC 5280 §4.2.1.6); ours never is.
    extensions.push(extension(OID.subjectAltName, false, new pkijs.GeneralNames({
      names: sans.map(encodeGeneralName),
    }).toSchema()));
  }
  extensions.push(extension(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: toArrayBuffer(ski) })));
  if (!selfSigned) extensions.push(authorityKeyIdentifierExtension(issuer.certificate));
  if (options.crlDistributionPoints?.length) {
    extensions.push(extension(OID.cRLDistributionPoints, false, new pkijs.CRLDistributionPoints({
      distributionPoints: [new pkijs.DistributionPoint({ distributionPoint: options.crlDistributionPoints.map(uriName) })],
    }).toSchema()));
  }
  const access = [
    ...(options.authorityInfoAccess?.ocsp ?? []).map((url) => [OID.accessOcsp, url] as const),
    ...(options.authorityInfoAccess?.caIssuers ?? []).map((url) => [OID.accessCaIssuers, url] as const),
  ];
  if (access.length > 0) {
    extensions.push(extension(OID.authorityInfoAccess, false, new pkijs.InfoAccess({
      accessDescriptions: access.map(([accessMethod, url]) => new pkijs.AccessDescription({ accessMethod, accessLocation: uriName(url) })),
    }).toSchema()));
  }
  cert.extensions = [...extensions, ...(options.extraExtensions ?? [])];

  await cert.sign(issuer.privateKey, 'SHA-256', engine);
  const der = new Uint8Array(cert.toSchema().toBER(false));
  // Re-parse so that callers get exactly what was signed (and tbsView is set for verify).
  const issued = parseCertificate(der);
  if (!(await issued.verify(selfSigned ? undefined : issuer.certificate, engine))) {
    throw new HygieError('INVALID_INPUT', `the issuer key does not match the issuer certificate (${profile.name})`);
  }
  return { certificate: issued, der, pem: toPem(der, 'CERTIFICATE') };
}

function checkRequest(options: IssueCertificateOptions, selfSigned: boolean, sans: readonly SubjectAltName[]): void {
  const { profile, validity, issuer } = options;
  const lifetime = validity.notAfter.getTime() - validity.notBefore.getTime();
  if (!(lifetime > 0)) throw new HygieError('INVALID_INPUT', 'notAfter must be later than notBefore');
  if (lifetime > profile.maxValidityDays * DAY_MS) {
    throw new HygieError('INVALID_INPUT', `a ${profile.name} certificate may not be valid longer than ${profile.maxValidityDays} days`);
  }
  if (profile.subjectAltName === 'required' && sans.length === 0) {
    throw new HygieError('INVALID_INPUT', `a ${profile.name} certificate needs at least one subject alternative name`);
  }
  if (profile.subjectAltName === 'forbidden' && sans.length > 0) {
    throw new HygieError('INVALID_INPUT', `a ${profile.name} certificate takes no subject alternative name`);
  }
  const wrongType = sans.find((san) => profile.subjectAltNameTypes && !profile.subjectAltNameTypes.includes(subjectAltNameType(san)));
  if (wrongType) {
    throw new HygieError('INVALID_INPUT', `a ${profile.name} certificate takes only ${profile.subjectAltNameTypes!.join('/')} names, not ${JSON.stringify(wrongType)}`);
  }
  if (selfSigned && !profile.basicConstraints.ca) {
    throw new HygieError('INVALID_INPUT', `a ${profile.name} certificate cannot be self-signed here`);
  }
  if ('certificate' in issuer) {
    const issuerCert = issuer.certificate;
    if (!isCa(issuerCert)) throw new HygieError('INVALID_INPUT', 'the issuer certificate is not a CA');
    if (validity.notAfter > issuerCert.notAfter.value || validity.notBefore < issuerCert.notBefore.value) {
      throw new HygieError('INVALID_INPUT', `the ${profile.name} certificate would outlive its issuer`);
    }
  }
}

/** The profile's key usages for this key's family; a profile that gives a key a usage it cannot have is refused. */
function usagesForKey(profile: CertificateProfile, publicKey: CryptoKey): KeyUsageName[] {
  const family = keyFamilyOf(keyAlgorithmOf(publicKey));
  const usages = keyUsagesFor(profile, family);
  const impossible = usages.filter((u) => FORBIDDEN_USAGES[family].includes(u));
  if (usages.length === 0 || impossible.length > 0) {
    throw new HygieError('INVALID_INPUT', `the ${profile.name} profile gives an ${family.toUpperCase()} key the usages [${usages.join(', ')}]`);
  }
  return usages;
}

/** A uniformResourceIdentifier GeneralName (IA5String: ASCII only, absolute URL). */
function uriName(url: string): pkijs.GeneralName {
  if (!/^[\x21-\x7e]+$/.test(url) || !URL.canParse(url)) {
    throw new HygieError('INVALID_INPUT', `not an absolute ASCII URL: "${url}"`);
  }
  return new pkijs.GeneralName({ type: 6, value: url });
}

/** authorityKeyIdentifier naming the issuer's key (by its SKI), for certificates and CRLs. */
export function authorityKeyIdentifierExtension(issuer: pkijs.Certificate): pkijs.Extension {
  return extension(OID.authorityKeyIdentifier, false, new pkijs.AuthorityKeyIdentifier({
    keyIdentifier: new asn1js.OctetString({ valueHex: toArrayBuffer(subjectKeyIdentifierOf(issuer)) }),
  }).toSchema());
}

/** KeyUsage as a DER named-bit BIT STRING: trailing zero bits removed (X.690 §11.2.2). */
function keyUsageBits(usages: readonly KeyUsageName[]): asn1js.BitString {
  const bits = usages.map((u) => KEY_USAGE_BITS[u]);
  const highest = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  return new asn1js.BitString({ valueHex: toArrayBuffer(bytes), unusedBits: 7 - (highest & 7) });
}

export function extension(extnID: string, critical: boolean, value: asn1js.BaseBlock): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: value.toBER(false) });
}

/** RFC 5280: UTCTime through 2049, GeneralizedTime from 2050; whole seconds only. */
export function encodeTime(date: Date): pkijs.Time {
  if (Number.isNaN(date.getTime())) throw new HygieError('INVALID_INPUT', 'invalid date in validity');
  const value = new Date(Math.floor(date.getTime() / 1000) * 1000);
  return new pkijs.Time({ type: value.getUTCFullYear() < 2050 ? pkijs.TimeType.UTCTime : pkijs.TimeType.GeneralizedTime, value });
}

/** Key identifier, method 1 of RFC 5280 §4.2.1.2: SHA-1 of the subjectPublicKey bits. */
export function keyIdentifier(spki: pkijs.PublicKeyInfo): Uint8Array {
  return new Uint8Array(createHash('sha1').update(spki.subjectPublicKey.valueBlock.valueHexView).digest());
}

/** The certificate's SKI extension value, or the method-1 identifier of its key if absent. */
export function subjectKeyIdentifierOf(cert: pkijs.Certificate): Uint8Array {
  const ext = findExtension(cert, OID.subjectKeyIdentifier);
  const parsed = ext?.parsedValue;
  if (parsed instanceof asn1js.OctetString) return new Uint8Array(parsed.valueBlock.valueHexView);
  return keyIdentifier(cert.subjectPublicKeyInfo);
}

export function findExtension(cert: pkijs.Certificate, oid: string): pkijs.Extension | undefined {
  return cert.extensions?.find((e) => e.extnID === oid);
}

/** Whether basicConstraints says CA:TRUE. */
export function isCa(cert: pkijs.Certificate): boolean {
  const parsed = findExtension(cert, OID.basicConstraints)?.parsedValue;
  return parsed instanceof pkijs.BasicConstraints && parsed.cA;
}

/** The SAN entries of a certificate (DNS, IP, e-mail), in certificate order. */
export function subjectAltNamesOf(cert: pkijs.Certificate): SubjectAltName[] {
  const parsed = findExtension(cert, OID.subjectAltName)?.parsedValue;
  return parsed instanceof pkijs.AltName ? decodeGeneralNames(parsed.altNames) : [];
}

/** Parses a certificate from PEM text or DER bytes. */
export function parseCertificate(input: string | Uint8Array): pkijs.Certificate {
  const der = typeof input === 'string' ? fromPem(input, 'CERTIFICATE') : input;
  try {
    return pkijs.Certificate.fromBER(toArrayBuffer(der));
  } catch (cause) {
    throw new HygieError('INVALID_INPUT', 'not a valid X.509 certificate', { cause });
  }
}

/**
 * A serial number as `openssl x509 -serial` prints it: uppercase hex without leading zero
 * bytes. Works for a certificate's serial and for a CRL entry's.
 */
export function serialNumberHex(serial: asn1js.Integer): string {
  let bytes = Buffer.from(serial.valueBlock.valueHexView);
  while (bytes.length > 1 && bytes[0] === 0) bytes = bytes.subarray(1);
  return bytes.toString('hex').toUpperCase();
}

/** DER bytes of a parsed certificate. */
export function certificateDer(cert: pkijs.Certificate): Uint8Array {
  return new Uint8Array(cert.toSchema().toBER(false));
}
