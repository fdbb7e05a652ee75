/**
 * What path validation and verdicts need to know about a certificate, read defensively.
 * pkijs replaces an extension it cannot parse by a default object carrying `parsingError`
 * (a malformed basicConstraints would read as "not a CA", a malformed EKU as "no EKU"),
 * so every reader here refuses such values and `extensionProblem` reports them.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { formatName } from '../names.js';
import { KEY_USAGE_BITS, type KeyUsageName } from '../profiles.js';

export const EXTENSION_OIDS = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  policyMappings: '2.5.29.33',
  authorityKeyIdentifier: '2.5.29.35',
  policyConstraints: '2.5.29.36',
  extendedKeyUsage: '2.5.29.37',
  inhibitAnyPolicy: '2.5.29.54',
} as const;

export const EKU_EMAIL_PROTECTION = '1.3.6.1.5.5.7.3.4';
export const EKU_ANY = '2.5.29.37.0';
const EMAIL_ADDRESS_ATTRIBUTE = '1.2.840.113549.1.9.1';

/**
 * Critical extensions we process, or may ignore because our policy input is anyPolicy
 * (certificate policies, mappings, constraints: no explicit policy is required here).
 * Name constraints are deliberately absent: we do not enforce them, so a path that
 * carries them critically is refused rather than accepted unchecked.
 */
const UNDERSTOOD_CRITICAL = new Set<string>([
  EXTENSION_OIDS.keyUsage, EXTENSION_OIDS.subjectAltName, EXTENSION_OIDS.basicConstraints,
  EXTENSION_OIDS.extendedKeyUsage, EXTENSION_OIDS.certificatePolicies, EXTENSION_OIDS.policyMappings,
  EXTENSION_OIDS.policyConstraints, EXTENSION_OIDS.inhibitAnyPolicy, EXTENSION_OIDS.crlDistributionPoints,
  EXTENSION_OIDS.authorityKeyIdentifier, EXTENSION_OIDS.subjectKeyIdentifier,
]);

function extension(cert: pkijs.Certificate, oid: string): pkijs.Extension | undefined {
  return cert.extensions?.find((e) => e.extnID === oid);
}

function parsed(ext: pkijs.Extension | undefined): unknown {
  if (!ext) return undefined;
  const value = ext.parsedValue as { parsingError?: string } | null | undefined;
  if (value === null || value === undefined || value.parsingError) throw new Error(`malformed extension ${ext.extnID}`);
  return value;
}

/** Duplicate, unparsable or unknown critical extensions: a reason to refuse the certificate. */
export function extensionProblem(cert: pkijs.Certificate): string | undefined {
  const seen = new Set<string>();
  for (const ext of cert.extensions ?? []) {
    if (seen.has(ext.extnID)) return `extension ${ext.extnID} appears twice`;
    seen.add(ext.extnID);
    if (ext.critical && !UNDERSTOOD_CRITICAL.has(ext.extnID)) {
      return ext.extnID === EXTENSION_OIDS.nameConstraints
        ? 'critical name constraints are not supported'
        : `unsupported critical extension ${ext.extnID}`;
    }
  }
  try {
    basicConstraintsOf(cert);
    keyUsageOf(cert);
    extendedKeyUsageOf(cert);
    subjectAltNamesOf(cert);
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

/** basicConstraints, or undefined when the extension is absent. */
export function basicConstraintsOf(cert: pkijs.Certificate): { ca: boolean; pathLength?: number } | undefined {
  const value = parsed(extension(cert, EXTENSION_OIDS.basicConstraints));
  if (value === undefined) return undefined;
  if (!(value instanceof pkijs.BasicConstraints)) throw new Error('malformed basicConstraints');
  const length = value.pathLenConstraint;
  const pathLength = length === undefined ? undefined : typeof length === 'number' ? length : length.valueBlock.valueDec;
  return { ca: value.cA, ...(pathLength !== undefined ? { pathLength } : {}) };
}

/** The keyUsage bits set, or undefined when the extension is absent (any usage allowed). */
export function keyUsageOf(cert: pkijs.Certificate): Set<KeyUsageName> | undefined {
  const value = parsed(extension(cert, EXTENSION_OIDS.keyUsage));
  if (value === undefined) return undefined;
  if (!(value instanceof asn1js.BitString)) throw new Error('malformed keyUsage');
  const bytes = value.valueBlock.valueHexView;
  const usages = new Set<KeyUsageName>();
  for (const [name, bit] of Object.entries(KEY_USAGE_BITS) as [KeyUsageName, number][]) {
    if (((bytes[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1) usages.add(name);
  }
  return usages;
}

/** The extendedKeyUsage purposes, or undefined when the extension is absent. */
export function extendedKeyUsageOf(cert: pkijs.Certificate): string[] | undefined {
  const value = parsed(extension(cert, EXTENSION_OIDS.extendedKeyUsage));
  if (value === undefined) return undefined;
  if (!(value instanceof pkijs.ExtKeyUsage)) throw new Error('malformed extendedKeyUsage');
  return value.keyPurposes;
}

function subjectAltNamesOf(cert: pkijs.Certificate): pkijs.GeneralName[] {
  const value = parsed(extension(cert, EXTENSION_OIDS.subjectAltName));
  if (value === undefined) return [];
  if (!(value instanceof pkijs.AltName)) throw new Error('malformed subjectAltName');
  return value.altNames;
}

/**
 * The certificate's e-mail addresses: rfc822Name SAN entries, or, only when there are
 * none, the legacy emailAddress attributes of the subject (RFC 8550 §3).
 */
export function emailAddressesOf(cert: pkijs.Certificate): string[] {
  let sans: pkijs.GeneralName[] = [];
  try {
    sans = subjectAltNamesOf(cert);
  } catch {
    // A malformed SAN gives no addresses; the path check reports the extension itself.
  }
  const fromSan = sans.filter((n) => n.type === 1).map((n) => String(n.value));
  if (fromSan.length > 0) return fromSan;
  return cert.subject.typesAndValues
    .filter((tv) => tv.type === EMAIL_ADDRESS_ATTRIBUTE)
    .map((tv) => String((tv.value as { valueBlock?: { value?: unknown } }).valueBlock?.value ?? ''))
    .filter((email) => email !== '');
}

/** The keyIdentifier of the authorityKeyIdentifier extension, if any. */
export function authorityKeyIdOf(cert: pkijs.Certificate | pkijs.CertificateRevocationList): Uint8Array | undefined {
  const list = cert instanceof pkijs.Certificate ? cert.extensions : cert.crlExtensions?.extensions;
  const ext = list?.find((e) => e.extnID === EXTENSION_OIDS.authorityKeyIdentifier);
  const value = ext?.parsedValue;
  return value instanceof pkijs.AuthorityKeyIdentifier && value.keyIdentifier
    ? value.keyIdentifier.valueBlock.valueHexView
    : undefined;
}

/** The subjectKeyIdentifier extension value, if present. */
export function subjectKeyIdOf(cert: pkijs.Certificate): Uint8Array | undefined {
  const value = extension(cert, EXTENSION_OIDS.subjectKeyIdentifier)?.parsedValue;
  return value instanceof asn1js.OctetString ? value.valueBlock.valueHexView : undefined;
}

/** Serial number as uppercase hex without leading zero bytes (as `openssl x509 -serial`). */
export function serialHexOf(cert: pkijs.Certificate): string {
  return integerHex(cert.serialNumber);
}

export function integerHex(value: asn1js.Integer): string {
  let bytes = Buffer.from(value.valueBlock.valueHexView);
  while (bytes.length > 1 && bytes[0] === 0) bytes = bytes.subarray(1);
  return bytes.toString('hex').toUpperCase();
}

/** Name equality: identical encodings, or equal after pkijs's case and space folding. */
export function sameName(a: pkijs.RelativeDistinguishedNames, b: pkijs.RelativeDistinguishedNames): boolean {
  const left = a.valueBeforeDecode;
  if (left.byteLength > 0 && Buffer.from(left).equals(Buffer.from(b.valueBeforeDecode))) return true;
  return a.isEqual(b);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

const encodings = new WeakMap<pkijs.Certificate, Uint8Array>();

/** Records the bytes a certificate was parsed from, so they need not be re-encoded. */
export function rememberDer(cert: pkijs.Certificate, der: Uint8Array): void {
  encodings.set(cert, der);
}

/** DER of a parsed certificate (pkijs re-encodes from the bytes it kept; cached). */
export function certificateDerOf(cert: pkijs.Certificate): Uint8Array {
  let der = encodings.get(cert);
  if (!der) {
    der = new Uint8Array(cert.toSchema().toBER(false));
    encodings.set(cert, der);
  }
  return der;
}

export function sameCertificate(a: pkijs.Certificate, b: pkijs.Certificate): boolean {
  return a === b || sameBytes(certificateDerOf(a), certificateDerOf(b));
}

export function isSelfIssued(cert: pkijs.Certificate): boolean {
  return sameName(cert.subject, cert.issuer);
}

/** A short human label for messages: the subject DN. */
export function label(cert: pkijs.Certificate): string {
  return formatName(cert.subject) || `serial ${serialHexOf(cert)}`;
}
