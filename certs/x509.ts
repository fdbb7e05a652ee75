/**
 * Building and signing X.509 v3 certificates (RFC 5280) from a profile.
 * issueCertificate is the only signing entry point: it checks the request against the
 * profile and the issuer, builds the extensions from the profile data, signs with
 * SHA-256, and verifies its own signature before returning (which also catches an
 * issuer key that does not belong to the issuer certificate).
 */
import { createHash, randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { HygieError } from '../core/errors.js';
import { cryptoEngine, type CryptoKey } from './engine.js';
import { keyAlgorithmOf } from './keys.js';
import { encodeGeneralName, encodeName, decodeGeneralNames, type DistinguishedName, type SubjectAltName } from './names.js';
import { fromPem, toArrayBuffer, toPem } from './pem.js';
import { EXTENDED_KEY_USAGE_OIDS, KEY_USAGE_BITS, type CertificateProfile, type KeyUsageName } from './profiles.js';

export const OID = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extendedKeyUsage: '2.5.29.37',
} as const;

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
  /** Extensions a profile does not cover yet (policies, CRL distribution points…). */
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
    extension(OID.keyUsage, profile.keyUsage.critical, keyUsageBits(usagesForKey(profile.keyUsage.usages, options.publicKey))),
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
  if (!selfSigned) {
    extensions.push(extension(OID.authorityKeyIdentifier, false, new pkijs.AuthorityKeyIdentifier({
      keyIdentifier: new asn1js.OctetString({ valueHex: toArrayBuffer(subjectKeyIdentifierOf(issuer.certificate)) }),
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

/** Drops the encipherment usages an EC key cannot have. */
function usagesForKey(usages: readonly KeyUsageName[], publicKey: CryptoKey): KeyUsageName[] {
  if (keyAlgorithmOf(publicKey) === 'RSA-2048') return [...usages];
  return usages.filter((u) => u !== 'keyEncipherment' && u !== 'dataEncipherment');
}

/** KeyUsage as a DER named-bit BIT STRING: trailing zero bits removed (X.690 §11.2.2). */
function keyUsageBits(usages: readonly KeyUsageName[]): asn1js.BitString {
  const bits = usages.map((u) => KEY_USAGE_BITS[u]);
  const highest = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  return new asn1js.BitString({ valueHex: toArrayBuffer(bytes), unusedBits: 7 - (highest & 7) });
}

function extension(extnID: string, critical: boolean, value: asn1js.BaseBlock): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: value.toBER(false) });
}

/** RFC 5280: UTCTime through 2049, GeneralizedTime from 2050; whole seconds only. */
function encodeTime(date: Date): pkijs.Time {
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

/** DER bytes of a parsed certificate. */
export function certificateDer(cert: pkijs.Certificate): Uint8Array {
  return new Uint8Array(cert.toSchema().toBER(false));
}
