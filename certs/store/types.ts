/** The certificate store's public types. */
import type { CertificateFacts } from './certificate-facts.js';
import type * as pkijs from 'pkijs';
import type { CryptoKey } from '../engine.js';

/** How a certificate first reached the store. */
export type CertificateSource = 'imported' | 'issued' | 'seen-in-signed-mail' | 'directory';
export const CERTIFICATE_SOURCES: readonly CertificateSource[] = ['imported', 'issued', 'seen-in-signed-mail', 'directory'];

/** What the operator trusts an authority for: peer operators' TLS, or S/MIME signers. */
export type TrustPurpose = 'tls-peer' | 'smime';
export const TRUST_PURPOSES: readonly TrustPurpose[] = ['tls-peer', 'smime'];

/** A certificate as parsed by pkijs, or its DER bytes. */
export type CertificateInput = pkijs.Certificate | Uint8Array;

/** A stored certificate: its id, or its SHA-256 fingerprint (hex, with or without colons). */
export type CertificateRef = number | string;

/** What the store keeps of a certificate: its facts (certificate-facts.ts) plus how and when it came. */
export interface StoredCertificate extends Omit<CertificateFacts, 'canSignCertificates' | 'publicKey'> {
  readonly id: number;
  readonly source: CertificateSource;
  readonly hasPrivateKey: boolean;
  readonly firstSeenAt: Date;
  readonly lastSeenAt: Date;
}

export interface ImportedCertificate extends StoredCertificate {
  /** False when the store already had it (then only lastSeenAt moved). */
  readonly created: boolean;
  /** A private key for it came with this import and was stored. */
  readonly privateKeyAdded: boolean;
  /** Imported anyway, but flagged: no lookup returns it. */
  readonly expired: boolean;
  readonly notYetValid: boolean;
}

export interface ImportResult {
  readonly certificates: ImportedCertificate[];
  /** Human-readable notes for the operator: expired certificates, ignored PEM blocks. */
  readonly warnings: string[];
}

export interface AuditContext {
  /** Who acts, for the audit trail: `operator:<name>`, a login, `system` (default). */
  readonly actor?: string;
  /** cli, webmail, api… */
  readonly channel?: string;
}

export interface ImportOptions extends AuditContext {
  /** 'imported' by default; the directory feed uses 'directory'. */
  readonly source?: CertificateSource;
  /** Opens encrypted PEM private keys. */
  readonly password?: string;
}

export interface SigningIdentity {
  readonly certificate: StoredCertificate;
  readonly x509: pkijs.Certificate;
  /** Non-extractable; RSASSA-PKCS1-v1_5/SHA-256, ECDSA or Ed25519 according to the key. */
  readonly privateKey: CryptoKey;
}

export interface TrustAnchor {
  readonly certificate: StoredCertificate;
  readonly purpose: TrustPurpose;
  readonly addedBy: string;
  readonly addedAt: Date;
}

export interface CertificateFilter {
  readonly address?: string;
  readonly source?: CertificateSource;
  readonly withPrivateKey?: boolean;
  readonly isCa?: boolean;
  /** Only certificates valid at this instant. */
  readonly validAt?: Date;
  readonly limit?: number;
}
