/**
 * Certification path validation (RFC 5280 §6, the parts S/MIME needs): signatures along
 * the path, CA constraints, key usages for the intended use, validity at `now`, and
 * revocation through CRLs. Written here rather than with pkijs's
 * CertificateChainValidationEngine because that engine does not check key usage or
 * extended key usage, reads a malformed basicConstraints as a default value, and reports
 * failures as strings with no reason we could map to a verdict.
 *
 * Checks run in a fixed order (structure, usage, dates, revocation) so that a path with
 * several faults always reports the same one.
 */
import type * as pkijs from 'pkijs';
import { formatName } from '../names.js';
import {
  basicConstraintsOf, EKU_ANY, EKU_EMAIL_PROTECTION, extendedKeyUsageOf, extensionProblem, isSelfIssued, keyUsageOf, label,
} from './certificate-facts.js';
import type { CrlSource } from './crl-source.js';
import { findPaths } from './path-building.js';
import { checkRevocation } from './revocation.js';
import { publicKeyOf, sameAlgorithm, signatureBits, signatureSchemeOf, verifySignature } from './signatures.js';
import type { TrustStore } from './trust-store.js';

/** What the end-entity certificate is about to be used for. */
export type CertificateUsage = 'smime-signing' | 'smime-encryption' | 'any';

export type PathFailureReason = 'untrusted-chain' | 'expired' | 'not-yet-valid' | 'revoked' | 'wrong-key-usage';

export type RevocationOutcome =
  | { readonly status: 'good' }
  /** No CrlSource was given: revocation was not looked at. */
  | { readonly status: 'not-checked' }
  /** A CRL was needed but none usable could be had (absent, stale, badly signed). */
  | { readonly status: 'unknown'; readonly detail: string };

export type PathValidationResult =
  | { readonly ok: true; readonly chain: readonly pkijs.Certificate[]; readonly revocation: RevocationOutcome }
  | {
    readonly ok: false;
    readonly reason: PathFailureReason;
    readonly detail: string;
    /** The certificate the failure is about. */
    readonly certificate: pkijs.Certificate;
    readonly chain?: readonly pkijs.Certificate[];
  };

export interface PathValidationOptions {
  readonly trust: TrustStore;
  /** Certificates that may help build the path (those carried in a CMS message). */
  readonly untrusted?: readonly pkijs.Certificate[];
  /** Validation time; now by default. */
  readonly now?: Date;
  /** Default 'smime-signing'. */
  readonly usage?: CertificateUsage;
  readonly crls?: CrlSource;
}

type Failure = Extract<PathValidationResult, { ok: false }>;

export async function validateCertificatePath(leaf: pkijs.Certificate, options: PathValidationOptions): Promise<PathValidationResult> {
  const now = options.now ?? new Date();
  const usage = options.usage ?? 'smime-signing';
  const { paths, deadEnd } = findPaths(leaf, options.untrusted ?? [], options.trust, { now });
  if (paths.length === 0) {
    const top = deadEnd ?? leaf;
    return { ok: false, reason: 'untrusted-chain', certificate: top, detail: `no trusted issuer found for "${label(top)}" (issuer "${formatName(top.issuer)}")` };
  }
  let firstFailure: Failure | undefined;
  for (const path of paths) {
    const failure = checkStructure(path) ?? checkUsage(path, usage) ?? checkDates(path, now);
    if (failure) {
      firstFailure ??= { ...failure, chain: path };
      continue;
    }
    const revocation = await checkPathRevocation(path, options.crls, now);
    if ('ok' in revocation) {
      firstFailure ??= { ...revocation, chain: path };
      continue;
    }
    return { ok: true, chain: path, revocation };
  }
  return firstFailure!;
}

function fail(reason: PathFailureReason, certificate: pkijs.Certificate, detail: string): Failure {
  return { ok: false, reason, certificate, detail };
}

/**
 * Certificates found sound under an issuer (extensions, signature algorithms, signature):
 * parsed certificates never change, so each pair is checked once, not at every message
 * from the same signer.
 */
const soundUnder = new WeakMap<pkijs.Certificate, WeakSet<pkijs.Certificate>>();

/** Signatures, algorithms, extensions and CA constraints along the path (the anchor's signature is not checked). */
function checkStructure(path: readonly pkijs.Certificate[]): Failure | undefined {
  for (let i = 0; i < path.length - 1; i++) {
    const cert = path[i]!;
    const issuer = path[i + 1]!;
    if (!soundUnder.get(cert)?.has(issuer)) {
      const failure = checkSignedBy(cert, issuer);
      if (failure) return failure;
      const issuers = soundUnder.get(cert) ?? new WeakSet<pkijs.Certificate>();
      issuers.add(issuer);
      soundUnder.set(cert, issuers);
    }
    const caProblem = issuerProblem(issuer, path, i + 1);
    if (caProblem) return fail('untrusted-chain', issuer, `"${label(issuer)}" ${caProblem}`);
  }
  return undefined;
}

/** The certificate's own extensions and signature fields, and its signature under the issuer's key. */
function checkSignedBy(cert: pkijs.Certificate, issuer: pkijs.Certificate): Failure | undefined {
  const problem = extensionProblem(cert);
  if (problem) return fail('untrusted-chain', cert, `"${label(cert)}": ${problem}`);
  const bits = signatureBits(cert.signatureValue);
  if (!sameAlgorithm(cert.signature, cert.signatureAlgorithm) || !bits) {
    return fail('untrusted-chain', cert, `"${label(cert)}": malformed signature fields`);
  }
  const scheme = signatureSchemeOf(cert.signatureAlgorithm);
  if (!scheme.ok) return fail('untrusted-chain', cert, `"${label(cert)}": ${scheme.detail}`);
  if (!verifySignature(scheme.scheme, publicKeyOf(issuer), cert.tbsView, bits)) {
    return fail('untrusted-chain', cert, `the signature of "${label(cert)}" does not verify with the key of "${label(issuer)}"`);
  }
  return undefined;
}

/** Whether path[index] may issue the certificate below it: a CA, allowed to sign certificates, within its path length. */
function issuerProblem(issuer: pkijs.Certificate, path: readonly pkijs.Certificate[], index: number): string | undefined {
  let constraints;
  let usages;
  try {
    constraints = basicConstraintsOf(issuer);
    usages = keyUsageOf(issuer);
  } catch (error) {
    return `has a ${(error as Error).message}`;
  }
  // An anchor without basicConstraints (an X.509 v1 root) is trusted as configured.
  const anchorWithoutConstraints = index === path.length - 1 && constraints === undefined;
  if (!constraints?.ca && !anchorWithoutConstraints) return 'is not a CA (basicConstraints)';
  if (usages && !usages.has('keyCertSign')) return 'may not sign certificates (keyUsage)';
  if (constraints?.pathLength !== undefined) {
    // Intermediates between this issuer and the leaf; self-issued ones do not count (RFC 5280 §4.2.1.9).
    const below = path.slice(1, index).filter((c) => !isSelfIssued(c)).length;
    if (below > constraints.pathLength) return `allows ${constraints.pathLength} intermediate CA(s) below it, the path has ${below}`;
  }
  return undefined;
}

const SIGNING_USAGES = ['digitalSignature', 'nonRepudiation'] as const;
const ENCRYPTION_USAGES = ['keyEncipherment', 'keyAgreement'] as const;

/** keyUsage and extendedKeyUsage of the leaf for the intended use; EKU of intermediates must not exclude it. */
function checkUsage(path: readonly pkijs.Certificate[], usage: CertificateUsage): Failure | undefined {
  if (usage === 'any') return undefined;
  const leaf = path[0]!;
  const usages = keyUsageOf(leaf);
  const wanted = usage === 'smime-signing' ? SIGNING_USAGES : ENCRYPTION_USAGES;
  if (usages && !wanted.some((u) => usages.has(u))) {
    const has = [...usages].join(', ') || 'none';
    return fail('wrong-key-usage', leaf, `"${label(leaf)}" keyUsage (${has}) has none of ${wanted.join(', ')}`);
  }
  // Intermediates too: a CA restricted to other purposes cannot vouch for e-mail (EKU chaining, as OpenSSL does).
  for (const cert of path.slice(0, -1)) {
    const purposes = extendedKeyUsageOf(cert);
    if (purposes && !purposes.includes(EKU_EMAIL_PROTECTION) && !purposes.includes(EKU_ANY)) {
      return fail('wrong-key-usage', cert, `"${label(cert)}" extendedKeyUsage does not include emailProtection`);
    }
  }
  return undefined;
}

function checkDates(path: readonly pkijs.Certificate[], now: Date): Failure | undefined {
  for (const cert of path) {
    if (cert.notAfter.value < now) return fail('expired', cert, `"${label(cert)}" expired on ${cert.notAfter.value.toISOString()}`);
    if (cert.notBefore.value > now) return fail('not-yet-valid', cert, `"${label(cert)}" is not valid before ${cert.notBefore.value.toISOString()}`);
  }
  return undefined;
}

/** Every certificate but the anchor, each against its issuer's CRLs, in parallel. */
async function checkPathRevocation(path: readonly pkijs.Certificate[], crls: CrlSource | undefined, now: Date): Promise<RevocationOutcome | Failure> {
  if (!crls) return { status: 'not-checked' };
  const checks = await Promise.all(path.slice(0, -1).map((cert, i) => checkRevocation(cert, path[i + 1]!, crls, now)));
  const unknown: string[] = [];
  for (const [i, check] of checks.entries()) {
    const cert = path[i]!;
    if (check.status === 'revoked') {
      return fail('revoked', cert, `"${label(cert)}" was revoked on ${check.revokedAt.toISOString()}${check.reason ? ` (${check.reason})` : ''}`);
    }
    if (check.status === 'unknown') unknown.push(check.detail);
  }
  return unknown.length > 0 ? { status: 'unknown', detail: unknown.join('; ') } : { status: 'good' };
}
