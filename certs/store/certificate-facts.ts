/**
 * What the store keeps about a certificate, read once from its DER: identity, validity,
 * the e-mail addresses it speaks for and what its key may do. Lookups then run on these
 * columns instead of re-parsing certificates for every message.
 */
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { formatName } from '../names.js';
import { toArrayBuffer } from '../pem.js';
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

const OID = {
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  extendedKeyUsage: '2.5.29.37',
  anyExtendedKeyUsage: '2.5.29.37.0',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  emailAddressAttribute: '1.2.840.113549.1.9.1',
} as const;

const KEY_USAGE = { digitalSignature: 0, nonRepudiation: 1, keyEncipherment: 2, keyAgreement: 4, keyCertSign: 5 } as const;

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
  const usage = keyUsageBits(cert);
  const has = (bit: number): boolean => usage === undefined || usage.has(bit);
  const extendedUsages = extendedKeyUsages(cert);
  return {
    der,
    sha256: sha256Hex(der),
    subject: formatName(cert.subject),
    issuer: formatName(cert.issuer),
    serialHex: serialHex(cert),
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    addresses: emailAddresses(cert),
    canSign: keyType !== 'x25519' && keyType !== 'x448' && (has(KEY_USAGE.digitalSignature) || has(KEY_USAGE.nonRepudiation)),
    canEncrypt: canEncrypt(keyType, has),
    emailProtection: extendedUsages === undefined
      || extendedUsages.includes(OID.emailProtection) || extendedUsages.includes(OID.anyExtendedKeyUsage),
    isCa: isCa(cert),
    canSignCertificates: has(KEY_USAGE.keyCertSign),
    keyAlgorithm: keyAlgorithmName(publicKey),
    publicKey,
  };
}

/** RSA encrypts by key transport (keyEncipherment); EC and X25519 by key agreement. */
function canEncrypt(keyType: string, has: (bit: number) => boolean): boolean {
  if (keyType === 'rsa') return has(KEY_USAGE.keyEncipherment);
  if (keyType === 'ec' || keyType === 'x25519' || keyType === 'x448') return has(KEY_USAGE.keyAgreement);
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

function extension(cert: pkijs.Certificate, oid: string): pkijs.Extension | undefined {
  return cert.extensions?.find((e) => e.extnID === oid);
}

/** The keyUsage bits that are set, or undefined when the extension is absent (no restriction). */
function keyUsageBits(cert: pkijs.Certificate): Set<number> | undefined {
  const parsed = extension(cert, OID.keyUsage)?.parsedValue;
  if (!(parsed instanceof asn1js.BitString)) return undefined;
  const bytes = parsed.valueBlock.valueHexView;
  const bits = new Set<number>();
  for (let bit = 0; bit < bytes.length * 8; bit++) {
    if (bytes[bit >> 3]! & (0x80 >> (bit & 7))) bits.add(bit);
  }
  return bits;
}

function extendedKeyUsages(cert: pkijs.Certificate): string[] | undefined {
  const parsed = extension(cert, OID.extendedKeyUsage)?.parsedValue;
  return parsed instanceof pkijs.ExtKeyUsage ? parsed.keyPurposes : undefined;
}

function isCa(cert: pkijs.Certificate): boolean {
  const parsed = extension(cert, OID.basicConstraints)?.parsedValue;
  return parsed instanceof pkijs.BasicConstraints && Boolean(parsed.cA);
}

function serialHex(cert: pkijs.Certificate): string {
  let serial = Buffer.from(cert.serialNumber.valueBlock.valueHexView);
  while (serial.length > 1 && serial[0] === 0) serial = serial.subarray(1);
  return serial.toString('hex').toUpperCase();
}

function emailAddresses(cert: pkijs.Certificate): string[] {
  const found = new Set<string>();
  const sans = extension(cert, OID.subjectAltName)?.parsedValue;
  if (sans instanceof pkijs.AltName) {
    for (const name of sans.altNames) if (name.type === 1) found.add(String(name.value).trim().toLowerCase());
  }
  // Older S/MIME certificates carry the address only in the subject (PKCS#9 emailAddress).
  for (const attribute of cert.subject.typesAndValues) {
    const value = (attribute.value as { valueBlock?: { value?: unknown } }).valueBlock?.value;
    if (attribute.type === OID.emailAddressAttribute && typeof value === 'string') found.add(value.trim().toLowerCase());
  }
  return [...found].filter((a) => a.includes('@'));
}
