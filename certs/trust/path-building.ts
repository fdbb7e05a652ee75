/**
 * Candidate certification paths from a certificate up to a trust anchor, built from the
 * certificates a message carries and the trust store's intermediates. Only names and key
 * identifiers are used here; whether a path is acceptable is path-validation.ts's job.
 * The search is bounded (length and number of paths) because the certificates come from
 * the sender and could be crafted to make it explode.
 */
import type * as pkijs from 'pkijs';
import { authorityKeyIdOf, sameBytes, sameCertificate, sameName, subjectKeyIdOf } from './certificate-facts.js';
import type { TrustStore } from './trust-store.js';

/** Bound on the nodes visited, whatever the certificates look like. */
const MAX_STEPS = 256;

export interface PathSearch {
  /** Paths leaf first, anchor last (the configured anchor certificate). */
  readonly paths: pkijs.Certificate[][];
  /** When no path was found: the certificate whose issuer could not be found. */
  readonly deadEnd?: pkijs.Certificate;
}

export interface PathSearchOptions {
  readonly maxLength?: number;
  readonly maxPaths?: number;
  /** Used to try currently valid issuers first. */
  readonly now: Date;
}

export function findPaths(leaf: pkijs.Certificate, untrusted: readonly pkijs.Certificate[], trust: TrustStore, options: PathSearchOptions): PathSearch {
  const maxLength = options.maxLength ?? 8;
  const maxPaths = options.maxPaths ?? 8;
  const pool = dedupe([...untrusted, ...trust.intermediates]);
  const paths: pkijs.Certificate[][] = [];
  let deadEnd: pkijs.Certificate | undefined;
  let deadEndDepth = 0;
  let steps = 0;

  const extend = (path: pkijs.Certificate[]): void => {
    if (paths.length >= maxPaths || ++steps > MAX_STEPS) return;
    const top = path[path.length - 1]!;
    const anchor = trust.anchorFor(top);
    if (anchor) {
      paths.push([...path.slice(0, -1), anchor]);
      return;
    }
    if (path.length >= maxLength) return;
    const issuers = [...trust.anchors, ...pool]
      .filter((candidate) => mayHaveIssued(candidate, top) && !path.some((c) => sameCertificate(c, candidate)));
    // The longest dead end names the most useful missing issuer.
    if (issuers.length === 0 && path.length > deadEndDepth) {
      deadEnd = top;
      deadEndDepth = path.length;
    }
    for (const issuer of rank(issuers, trust, options.now)) extend([...path, issuer]);
  };
  extend([leaf]);
  return paths.length > 0 ? { paths } : { paths, ...(deadEnd ? { deadEnd } : {}) };
}

/** Subject matches the issuer name, and the key identifiers, when both are present, agree. */
function mayHaveIssued(candidate: pkijs.Certificate, cert: pkijs.Certificate): boolean {
  if (!sameName(candidate.subject, cert.issuer)) return false;
  const aki = authorityKeyIdOf(cert);
  const ski = subjectKeyIdOf(candidate);
  return !(aki && ski && !sameBytes(aki, ski));
}

/** Anchors first, then issuers valid now, so the first path found is usually the good one. */
function rank(issuers: pkijs.Certificate[], trust: TrustStore, now: Date): pkijs.Certificate[] {
  const score = (c: pkijs.Certificate): number =>
    (trust.anchorFor(c) ? 0 : 2) + (c.notBefore.value <= now && now <= c.notAfter.value ? 0 : 1);
  return [...issuers].sort((a, b) => score(a) - score(b));
}

function dedupe(certs: readonly pkijs.Certificate[]): pkijs.Certificate[] {
  const out: pkijs.Certificate[] = [];
  for (const cert of certs) if (!out.some((c) => sameCertificate(c, cert))) out.push(cert);
  return out;
}
