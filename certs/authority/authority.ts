/**
 * A certificate authority: its certificate, its private key and its register. It issues
 * certificates from a profile (validity chosen within the profile's and its own limits,
 * a fresh random serial, its CRL and certificate URLs written in), records each one in
 * the register before handing it out, revokes what it issued and signs CRLs.
 * It knows no hierarchy: dev-health-pki.ts arranges authorities into one.
 */
import type * as pkijs from 'pkijs';
import { HygieError } from '../../core/errors.js';
import type { CryptoKey } from '../engine.js';
import type { KeyPairInfo } from '../keys.js';
import { formatName, type DistinguishedName, type SubjectAltName } from '../names.js';
import { toPem } from '../pem.js';
import { PROFILES, type CertificateProfile } from '../profiles.js';
import {
  certificateDer, issueCertificate, randomSerial, serialNumberHex, type IssueCertificateOptions, type IssuedCertificate, type Validity,
} from '../x509.js';
import { signCrl, type IssuedCrl } from './crl.js';
import type { RevocationReason } from './reasons.js';
import type { CertificateRecord, RevocationRegister } from './register.js';

const DAY_MS = 86_400_000;
/** notBefore is set slightly in the past so that a peer with a late clock accepts a new certificate. */
const BACKDATE_MS = 3_600_000;
/** Revocation dates may be this far ahead of the CA's clock (clocks of operators differ a little). */
const CLOCK_SKEW_MS = 300_000;
const DEFAULT_CRL_LIFETIME_DAYS = 7;

export interface PublicationUrls {
  /** Where this CA's CRL is published: the cRLDistributionPoints of what it issues. */
  readonly crlUrl?: string;
  /** Where this CA's certificate is published: the authorityInfoAccess caIssuers of what it issues. */
  readonly caIssuersUrl?: string;
  /** An OCSP responder answering for this CA: authorityInfoAccess ocsp of what it issues. */
  readonly ocspUrl?: string;
}

export interface CertificateAuthorityOptions extends PublicationUrls {
  readonly certificate: pkijs.Certificate;
  readonly privateKey: CryptoKey;
  readonly register: RevocationRegister;
  /** Injectable clock (tests); the system clock by default. */
  readonly clock?: () => Date;
}

export interface IssueOptions {
  readonly subjectAltNames?: readonly SubjectAltName[];
  /**
   * Validity in days from now (backdated one hour, never before the CA's own notBefore),
   * cut at the CA's notAfter. The profile's maximum by default.
   */
  readonly validityDays?: number;
  /** An exact validity instead (still checked against the profile and the CA). */
  readonly validity?: Validity;
}

export interface AuthorityIssuedCertificate extends IssuedCertificate {
  readonly serialHex: string;
}

export interface CrlOptions {
  /** Now by default. */
  readonly thisUpdate?: Date;
  /** thisUpdate + 7 days by default. */
  readonly nextUpdate?: Date;
}

export class CertificateAuthority implements IssuedCertificate {
  readonly certificate: pkijs.Certificate;
  readonly der: Uint8Array;
  readonly pem: string;
  /** RFC 4514 form of the CA's subject. */
  readonly name: string;
  readonly register: RevocationRegister;
  readonly #privateKey: CryptoKey;
  readonly #urls: PublicationUrls;
  readonly #clock: () => Date;

  constructor(options: CertificateAuthorityOptions) {
    this.certificate = options.certificate;
    this.der = certificateDer(options.certificate);
    this.pem = toPem(this.der, 'CERTIFICATE');
    this.name = formatName(options.certificate.subject);
    this.register = options.register;
    this.#privateKey = options.privateKey;
    this.#urls = { crlUrl: options.crlUrl, caIssuersUrl: options.caIssuersUrl, ocspUrl: options.ocspUrl };
    this.#clock = options.clock ?? (() => new Date());
  }

  /**
   * A new self-signed root CA. Its certificate carries no CRL or AIA URL (nothing above
   * it); the URLs given are for what it will issue (the sub-CAs).
   */
  static async createRoot(options: RootOptions & Omit<CertificateAuthorityOptions, 'certificate' | 'privateKey'>): Promise<CertificateAuthority> {
    const issued = await selfSignedRootCertificate({ ...options, now: (options.clock ?? (() => new Date()))() });
    return new CertificateAuthority({ ...options, certificate: issued.certificate, privateKey: options.keys.privateKey });
  }

  /** Signs a certificate for `publicKey` and records it in the register before returning it. */
  async issue(
    profile: CertificateProfile, subject: DistinguishedName, publicKey: CryptoKey, options: IssueOptions = {},
  ): Promise<AuthorityIssuedCertificate> {
    const { crlUrl, caIssuersUrl, ocspUrl } = this.#urls;
    const request: IssueCertificateOptions = {
      profile, subject, publicKey,
      issuer: { certificate: this.certificate, privateKey: this.#privateKey },
      validity: options.validity ?? this.#validity(options.validityDays ?? profile.maxValidityDays),
      serial: randomSerial(),
      ...(options.subjectAltNames ? { subjectAltNames: options.subjectAltNames } : {}),
      ...(crlUrl ? { crlDistributionPoints: [crlUrl] } : {}),
      ...(caIssuersUrl || ocspUrl ? {
        authorityInfoAccess: { caIssuers: caIssuersUrl ? [caIssuersUrl] : [], ocsp: ocspUrl ? [ocspUrl] : [] },
      } : {}),
    };
    const issued = await issueCertificate(request);
    const serialHex = serialNumberHex(issued.certificate.serialNumber);
    await this.register.recordIssued({
      serialHex,
      subject: formatName(issued.certificate.subject),
      profile: profile.name,
      notBefore: issued.certificate.notBefore.value,
      notAfter: issued.certificate.notAfter.value,
      certificatePem: issued.pem,
    });
    return { ...issued, serialHex };
  }

  /**
   * Revokes a certificate this CA issued, given by serial (hex, any case, colons allowed)
   * or as the certificate itself. Revocation is final; the date defaults to now and may
   * not lie in the future.
   */
  async revoke(serial: string | pkijs.Certificate, reason: RevocationReason = 'unspecified', date: Date = this.#clock()): Promise<CertificateRecord> {
    if (typeof serial !== 'string' && !serial.issuer.isEqual(this.certificate.subject)) {
      throw new HygieError('INVALID_INPUT', `this certificate was not issued by ${this.name}`);
    }
    const serialHex = typeof serial === 'string' ? normaliseSerial(serial) : serialNumberHex(serial.serialNumber);
    if (Number.isNaN(date.getTime()) || date.getTime() > this.#clock().getTime() + CLOCK_SKEW_MS) {
      throw new HygieError('INVALID_INPUT', 'a revocation date cannot lie in the future');
    }
    return this.register.recordRevocation(serialHex, { reason, date });
  }

  /**
   * Signs a CRL of this CA's revoked certificates with the next CRL number. Certificates
   * that expired before thisUpdate are left out (RFC 5280 §3.3 allows it; no one checks them).
   */
  async crl(options: CrlOptions = {}): Promise<IssuedCrl> {
    const thisUpdate = options.thisUpdate ?? this.#clock();
    const nextUpdate = options.nextUpdate ?? new Date(thisUpdate.getTime() + DEFAULT_CRL_LIFETIME_DAYS * DAY_MS);
    const revoked = await this.register.revoked();
    const number = await this.register.nextCrlNumber();
    return signCrl({
      issuer: this.certificate,
      privateKey: this.#privateKey,
      number, thisUpdate, nextUpdate,
      entries: revoked.filter((r) => r.notAfter >= thisUpdate).map((r) => ({ serialHex: r.serialHex, ...r.revocation! })),
    });
  }

  /** From now (backdated, never before the CA) for `days`, never beyond the CA. */
  #validity(days: number): Validity {
    const now = this.#clock().getTime();
    const ca = { notBefore: this.certificate.notBefore.value.getTime(), notAfter: this.certificate.notAfter.value.getTime() };
    if (now >= ca.notAfter) throw new HygieError('INVALID_INPUT', `the CA ${this.name} has expired`);
    const notBefore = Math.max(now - BACKDATE_MS, ca.notBefore);
    return { notBefore: new Date(notBefore), notAfter: new Date(Math.min(notBefore + days * DAY_MS, ca.notAfter)) };
  }
}

export interface RootOptions {
  readonly subject: DistinguishedName;
  readonly keys: KeyPairInfo;
  readonly validityDays: number;
}

/** The certificate of a new root CA: from an hour ago (as for leaves), for `validityDays`. */
export function selfSignedRootCertificate(options: RootOptions & { readonly now: Date }): Promise<IssuedCertificate> {
  const notBefore = new Date(options.now.getTime() - BACKDATE_MS);
  return issueCertificate({
    profile: PROFILES.rootCa,
    subject: options.subject,
    issuer: { selfSigned: true, privateKey: options.keys.privateKey },
    publicKey: options.keys.publicKey,
    validity: { notBefore, notAfter: new Date(notBefore.getTime() + options.validityDays * DAY_MS) },
  });
}

/** A serial as the register keys it: uppercase hex, no separators, no leading zero bytes. */
export function normaliseSerial(serial: string): string {
  let hex = serial.replace(/[:\s]/g, '').toUpperCase();
  if (!/^[0-9A-F]+$/.test(hex)) throw new HygieError('INVALID_INPUT', `not a hexadecimal serial number: "${serial}"`);
  if (hex.length % 2) hex = '0' + hex;
  while (hex.length > 2 && hex.startsWith('00')) hex = hex.slice(2);
  return hex;
}
