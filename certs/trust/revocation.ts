/**
 * Revocation of one certificate against its issuer's CRLs (RFC 5280 §6.3, simplified to
 * complete CRLs issued directly by the certificate's issuer). A CRL is used only when it
 * is signed by the issuer's key and current at `now`; when no such CRL can be had the
 * answer is "unknown", never "good", and the caller's policy decides what that means.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import {
  authorityKeyIdOf, basicConstraintsOf, EXTENSION_OIDS, integerHex, keyUsageOf, label, sameBytes, sameName, subjectKeyIdOf,
} from './certificate-facts.js';
import type { CrlSource } from './crl-source.js';
import { publicKeyOf, sameAlgorithm, signatureBits, signatureSchemeOf, verifySignature } from './signatures.js';

export type RevocationCheck =
  | { readonly status: 'good' }
  | { readonly status: 'revoked'; readonly revokedAt: Date; readonly reason?: string }
  | { readonly status: 'unknown'; readonly detail: string };

const CRL_EXTENSIONS = {
  crlNumber: '2.5.29.20',
  deltaCrlIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  issuerAltName: '2.5.29.18',
  freshestCrl: '2.5.29.46',
  reasonCode: '2.5.29.21',
  invalidityDate: '2.5.29.24',
} as const;

const UNDERSTOOD_CRITICAL_CRL = new Set<string>([
  CRL_EXTENSIONS.crlNumber, CRL_EXTENSIONS.issuingDistributionPoint, CRL_EXTENSIONS.issuerAltName,
  CRL_EXTENSIONS.freshestCrl, EXTENSION_OIDS.authorityKeyIdentifier,
]);
const UNDERSTOOD_CRITICAL_ENTRY = new Set<string>([CRL_EXTENSIONS.reasonCode, CRL_EXTENSIONS.invalidityDate]);

const REASONS = [
  'unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded',
  'cessationOfOperation', 'certificateHold', undefined, 'removeFromCRL', 'privilegeWithdrawn', 'aACompromise',
];

/** Checks `cert` (issued by `issuer`) against the CRLs the source has for that issuer. */
export async function checkRevocation(
  cert: pkijs.Certificate, issuer: pkijs.Certificate, source: CrlSource, now: Date,
): Promise<RevocationCheck> {
  let crls: readonly pkijs.CertificateRevocationList[];
  try {
    crls = await source.crlsFor(issuer, { distributionPoints: distributionPointsOf(cert) });
  } catch (error) {
    return { status: 'unknown', detail: `CRL of ${label(issuer)} could not be obtained: ${(error as Error).message}` };
  }
  if (crls.length === 0) return { status: 'unknown', detail: `no CRL available for ${label(issuer)}` };

  const problems: string[] = [];
  let covered = false;
  for (const crl of crls) {
    const problem = crlProblem(crl, cert, issuer, now);
    if (problem) {
      problems.push(problem);
      continue;
    }
    covered = true;
    const entry = findEntry(crl, cert);
    if (entry) return entry;
  }
  return covered ? { status: 'good' } : { status: 'unknown', detail: `no usable CRL for ${label(issuer)}: ${problems.join('; ')}` };
}

/** Why this CRL cannot decide on `cert`, or undefined when it can. */
function crlProblem(crl: pkijs.CertificateRevocationList, cert: pkijs.Certificate, issuer: pkijs.Certificate, now: Date): string | undefined {
  if (!sameName(crl.issuer, issuer.subject)) return 'CRL issued by another authority';
  const aki = authorityKeyIdOf(crl);
  const ski = subjectKeyIdOf(issuer);
  if (aki && ski && !sameBytes(aki, ski)) return 'CRL signed by another key of the authority';
  const usages = keyUsageOf(issuer);
  if (usages && !usages.has('cRLSign')) return 'the issuer is not allowed to sign CRLs (keyUsage)';
  const bits = signatureBits(crl.signatureValue);
  if (!sameAlgorithm(crl.signature, crl.signatureAlgorithm) || !bits) return 'CRL signature fields are malformed';
  const scheme = signatureSchemeOf(crl.signatureAlgorithm);
  if (!scheme.ok) return `CRL ${scheme.detail}`;
  if (!verifySignature(scheme.scheme, publicKeyOf(issuer), crl.tbsView, bits)) {
    return 'CRL signature does not verify';
  }
  if (crl.thisUpdate.value > now) return `CRL not valid before ${crl.thisUpdate.value.toISOString()}`;
  if (crl.nextUpdate && crl.nextUpdate.value <= now) return `CRL stale since ${crl.nextUpdate.value.toISOString()}`;
  for (const ext of crl.crlExtensions?.extensions ?? []) {
    if (ext.extnID === CRL_EXTENSIONS.deltaCrlIndicator) return 'delta CRLs are not supported';
    if (ext.critical && !UNDERSTOOD_CRITICAL_CRL.has(ext.extnID)) return `CRL has unsupported critical extension ${ext.extnID}`;
  }
  return scopeProblem(crl, cert);
}

/** The issuingDistributionPoint scope: a CRL of CA certificates says nothing about an end entity. */
function scopeProblem(crl: pkijs.CertificateRevocationList, cert: pkijs.Certificate): string | undefined {
  const ext = crl.crlExtensions?.extensions.find((e) => e.extnID === CRL_EXTENSIONS.issuingDistributionPoint);
  if (!ext) return undefined;
  const idp = ext.parsedValue as (pkijs.IssuingDistributionPoint & { parsingError?: string }) | undefined;
  if (!(idp instanceof pkijs.IssuingDistributionPoint) || idp.parsingError) return 'CRL issuingDistributionPoint is malformed';
  let isCa = false;
  try {
    isCa = basicConstraintsOf(cert)?.ca ?? false;
  } catch {
    return 'certificate basicConstraints is malformed';
  }
  if (idp.indirectCRL) return 'indirect CRLs are not supported';
  if (idp.onlySomeReasons !== undefined) return 'CRL partitioned by reason is not supported';
  if (idp.onlyContainsAttributeCerts) return 'CRL covers attribute certificates only';
  if (idp.onlyContainsUserCerts && isCa) return 'CRL covers end-entity certificates only';
  if (idp.onlyContainsCACerts && !isCa) return 'CRL covers CA certificates only';
  return undefined;
}

function findEntry(crl: pkijs.CertificateRevocationList, cert: pkijs.Certificate): RevocationCheck | undefined {
  const serial = integerHex(cert.serialNumber);
  for (const entry of crl.revokedCertificates ?? []) {
    if (integerHex(entry.userCertificate) !== serial) continue;
    const extensions = entry.crlEntryExtensions?.extensions ?? [];
    const unsupported = extensions.find((e) => e.critical && !UNDERSTOOD_CRITICAL_ENTRY.has(e.extnID));
    if (unsupported) return { status: 'unknown', detail: `CRL entry has unsupported critical extension ${unsupported.extnID}` };
    const reason = reasonOf(extensions);
    if (reason === 'removeFromCRL') continue;
    return { status: 'revoked', revokedAt: entry.revocationDate.value, ...(reason ? { reason } : {}) };
  }
  return undefined;
}

function reasonOf(extensions: readonly pkijs.Extension[]): string | undefined {
  const value = extensions.find((e) => e.extnID === CRL_EXTENSIONS.reasonCode)?.parsedValue;
  if (!(value instanceof asn1js.Enumerated)) return undefined;
  return REASONS[value.valueBlock.valueDec] ?? `reason ${value.valueBlock.valueDec}`;
}

/** URIs of the certificate's CRL distribution points: where a fetching source should look. */
export function distributionPointsOf(cert: pkijs.Certificate): string[] {
  const value = cert.extensions?.find((e) => e.extnID === EXTENSION_OIDS.crlDistributionPoints)?.parsedValue;
  if (!(value instanceof pkijs.CRLDistributionPoints)) return [];
  return value.distributionPoints.flatMap((point) => {
    const name = point.distributionPoint;
    return Array.isArray(name) ? name.filter((n) => n.type === 6).map((n) => String(n.value)) : [];
  });
}
