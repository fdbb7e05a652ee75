/**
 * Where CRLs come from. Path validation asks a CrlSource for the CRLs of one issuer and
 * checks them itself (signature, freshness): a source only finds them, so a source that
 * hands over a forged or stale CRL cannot make a certificate pass.
 */
import * as pkijs from 'pkijs';
import { HygieError } from '../../core/errors.js';
import { pemBlocks, toArrayBuffer } from '../pem.js';
import { certificateDerOf, sameName, subjectKeyIdOf } from './certificate-facts.js';

/** Hints for sources that fetch: the CRL distribution point URLs of the certificate being checked. */
export interface CrlRequest {
  readonly distributionPoints: readonly string[];
}

export interface CrlSource {
  /** The CRLs issued by `issuer` that the source knows; an empty list when it has none. */
  crlsFor(issuer: pkijs.Certificate, request: CrlRequest): Promise<readonly pkijs.CertificateRevocationList[]>;
}

/** Parses a CRL from PEM ("X509 CRL") or DER. */
export function parseCrl(input: string | Uint8Array): pkijs.CertificateRevocationList {
  const der = typeof input === 'string' ? pemBlocks(input).find((b) => b.label === 'X509 CRL')?.der : input;
  if (!der) throw new HygieError('INVALID_INPUT', 'no "X509 CRL" PEM block found');
  try {
    return pkijs.CertificateRevocationList.fromBER(toArrayBuffer(der));
  } catch (cause) {
    throw new HygieError('INVALID_INPUT', 'not a valid CRL', { cause });
  }
}

/** A fixed set of CRLs (loaded from files, or given by a test), matched on the issuer's name. */
export class StaticCrlSource implements CrlSource {
  private readonly crls: pkijs.CertificateRevocationList[];

  constructor(crls: readonly pkijs.CertificateRevocationList[] = []) {
    this.crls = [...crls];
  }

  add(crl: pkijs.CertificateRevocationList): void {
    this.crls.push(crl);
  }

  async crlsFor(issuer: pkijs.Certificate): Promise<readonly pkijs.CertificateRevocationList[]> {
    return this.crls.filter((crl) => sameName(crl.issuer, issuer.subject));
  }
}

export type CrlLoader = (issuer: pkijs.Certificate, request: CrlRequest) => Promise<readonly pkijs.CertificateRevocationList[]>;

export interface CachingCrlSourceOptions {
  /** Injectable clock. */
  readonly now?: () => Date;
  /** How long CRLs without nextUpdate are kept. Default one hour. */
  readonly defaultTtlMs?: number;
  /** How long a failed or empty load is remembered, so that a down server is not hammered. Default five minutes. */
  readonly failureTtlMs?: number;
  /** Upper bound on a cache entry's life whatever nextUpdate says. Default one day. */
  readonly maxTtlMs?: number;
}

interface CacheEntry {
  readonly expires: number;
  readonly crls: Promise<readonly pkijs.CertificateRevocationList[]>;
}

/**
 * Caches a loader's answers per issuer (subject name and key) until the earliest
 * nextUpdate of the CRLs it returned, so a CRL is fetched again exactly when it goes stale.
 * Concurrent requests for the same issuer share one load. A loader failure is remembered
 * briefly as "no CRL", which path validation turns into "revocation unknown".
 */
export class CachingCrlSource implements CrlSource {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly now: () => Date;
  private readonly defaultTtlMs: number;
  private readonly failureTtlMs: number;
  private readonly maxTtlMs: number;

  constructor(private readonly loader: CrlLoader, options: CachingCrlSourceOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.defaultTtlMs = options.defaultTtlMs ?? 3_600_000;
    this.failureTtlMs = options.failureTtlMs ?? 300_000;
    this.maxTtlMs = options.maxTtlMs ?? 86_400_000;
  }

  async crlsFor(issuer: pkijs.Certificate, request: CrlRequest): Promise<readonly pkijs.CertificateRevocationList[]> {
    const key = issuerKey(issuer);
    const now = this.now().getTime();
    const cached = this.entries.get(key);
    if (cached && cached.expires > now) return cached.crls;
    const loading = this.load(issuer, request, key, now);
    // Provisional entry while loading: concurrent callers wait for the same answer.
    this.entries.set(key, { expires: Number.POSITIVE_INFINITY, crls: loading });
    return loading;
  }

  /** Forgets everything (after the operator replaced a CRL by hand, for instance). */
  clear(): void {
    this.entries.clear();
  }

  private async load(issuer: pkijs.Certificate, request: CrlRequest, key: string, now: number): Promise<readonly pkijs.CertificateRevocationList[]> {
    let crls: readonly pkijs.CertificateRevocationList[];
    try {
      crls = await this.loader(issuer, request);
    } catch {
      crls = [];
    }
    this.entries.set(key, { expires: this.expiry(crls, now), crls: Promise.resolve(crls) });
    return crls;
  }

  private expiry(crls: readonly pkijs.CertificateRevocationList[], now: number): number {
    if (crls.length === 0) return now + this.failureTtlMs;
    const nextUpdates = crls.map((crl) => crl.nextUpdate?.value.getTime() ?? now + this.defaultTtlMs);
    const expires = Math.min(...nextUpdates, now + this.maxTtlMs);
    // A CRL already past its nextUpdate is retried after a pause, not on every message.
    return expires > now ? expires : now + this.failureTtlMs;
  }
}

function issuerKey(issuer: pkijs.Certificate): string {
  const ski = subjectKeyIdOf(issuer);
  const name = Buffer.from(issuer.subject.valueBeforeDecode).toString('hex');
  return `${name}/${ski ? Buffer.from(ski).toString('hex') : Buffer.from(certificateDerOf(issuer)).toString('base64')}`;
}
