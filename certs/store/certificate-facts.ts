/**
 * What the store keeps about a certificate, read once from its DER: identity, validity,
 * the e-mail addresses it speaks for and what its key may do. Lookups then run on these
 * columns instead of re-parsing certificates for every message.
 */
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import * as pkijs from 'pkijs';
import { formatName } from '../names.js';
import { toArrayBuffer } from '../pem.js';
import type { KeyUsageName } from '../profiles.js';
import {
  basicConstraintsOf, EKU_ANY, EKU_EMAIL_PROTECTION, emailAddressesOf, extendedKeyUsageOf, keyUsageOf, serialHexOf,
} from '../trust/certificate-facts.js';
import { CertificateStoreError } from './errors.js';

export interface CertificateFacts {
  readonly der: Uint8Array;
  /** SHA-256 of the DER, lower-case hex without separators. */
  readonly sha256: string;
  /** RFC 4514 form, most specific first. */
  readonly subject: string;
  readonly issuer: string;
  /** Upper-case hex without leading zero bytes, as `openssl x509 -serial` prints it. */
  readonly serialHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** rfc822Name SAN entries and legacy subject emailAddress values, lower-cased, unique. */
  readonly addresses: readonly string[];
  readonly canSign: boolean;
  readonly canEncrypt: boolean;
  /** No extendedKeyUsage, or one that allows emailProtection (S/MIME). */
  readonly emailProtection: boolean;
  readonly isCa: boolean;
  /** keyUsage absent or with keyCertSign: may issue certificates (for trust anchors). */
  readonly canSignCertificates: boolean;
  /** "RSA-2048", "EC-P-256", "Ed25519"… for listings. */
  readonly keyAlgorithm: string;
  readonly publicKey: KeyObject;
}

const CURVE_NAMES: Readonly<Record<string, string>> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

export function sha256Hex(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

/** Reads a DER certificate; anything that is not one exactly is refused as unreadable. */
export function certificateFacts(der: Uint8Array): CertificateFacts {
  let x509: X509Certificate;
  let cert: pkijs.Certificate;
  try {
    // Node (OpenSSL) is strict on DER; pkijs gives access to every extension.
    x509 = new X509Certificate(der);
    cert = pkijs.Certificate.fromBER(toArrayBuffer(der));
  } catch (cause) {
    throw new CertificateStoreError('unreadable-input', 'not a valid X.509 certificate', { cause });
  }
  let publicKey: KeyObject;
  try {
    publicKey = x509.publicKey;
  } catch (cause) {
    throw new CertificateStoreError('unsupported-algorithm', `the certificate ${formatName(cert.subject)} has a public key this system cannot read`, { cause });
  }
  const keyType = publicKey.asymmetricKeyType ?? 'unknown';
  let usage: Set<KeyUsageName> | undefined;
  let extendedUsages: string[] | undefined;
  let ca: boolean;
  let addresses: string[];
  try {
    usage = keyUsageOf(cert);
    extendedUsages = extendedKeyUsageOf(cert);
    ca = basicConstraintsOf(cert)?.ca ?? false;
    addresses = [...new Set(emailAddressesOf(cert).map((a) => a.trim().toLowerCase()))].filter((a) => a.includes('@'));
  } catch (cause) {
    throw new CertificateStoreError('unreadable-input', `the certificate ${formatName(cert.subject)} has a malformed extension`, { cause });
  }
  const has = (name: KeyUsageName): boolean => usage === undefined || usage.has(name);
  return {
    der,
    sha256: sha256Hex(der),
    subject: formatName(cert.subject),
    issuer: formatName(cert.issuer),
    serialHex: serialHexOf(cert),
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    addresses,
    canSign: keyType !== 'x25519' && keyType !== 'x448' && (has('digitalSignature') || has('nonRepudiation')),
    canEncrypt: canEncrypt(keyType, has),
    emailProtection: extendedUsages === undefined || extendedUsages.includes(EKU_EMAIL_PROTECTION) || extendedUsages.includes(EKU_ANY),
    isCa: ca,
    canSignCertificates: has('keyCertSign'),
    keyAlgorithm: keyAlgorithmName(publicKey),
    publicKey,
  };
}

/** RSA encrypts by key transport (keyEncipherment); EC and X25519 by key agreement. */
function canEncrypt(keyType: string, has: (usage: KeyUsageName) => boolean): boolean {
  if (keyType === 'rsa') return has('keyEncipherment');
  if (keyType === 'ec' || keyType === 'x25519' || keyType === 'x448') return has('keyAgreement');
  return false; // RSA-PSS, Ed25519, DSA: signature only
}

export function keyAlgorithmName(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa': return `RSA-${details.modulusLength}`;
    case 'rsa-pss': return `RSA-PSS-${details.modulusLength}`;
    case 'ec': return `EC-${CURVE_NAMES[details.namedCurve ?? ''] ?? details.namedCurve}`;
    case 'ed25519': return 'Ed25519';
    case 'ed448': return 'Ed448';
    default: return key.asymmetricKeyType ?? 'unknown';
  }
}
