/**
 * Certificate profiles as data. A profile says what a certificate may be used for;
 * x509.ts turns it into extensions. Adding a kind of certificate (OCSP responder, code
 * signing…) means adding an entry here, not a new function.
 */
import type { KeyFamily } from './keys.js';
import type { SubjectAltNameType } from './names.js';

export type KeyUsageName =
  | 'digitalSignature' | 'nonRepudiation' | 'keyEncipherment' | 'dataEncipherment'
  | 'keyAgreement' | 'keyCertSign' | 'cRLSign' | 'encipherOnly' | 'decipherOnly';

export type ExtendedKeyUsageName =
  | 'serverAuth' | 'clientAuth' | 'codeSigning' | 'emailProtection' | 'timeStamping' | 'OCSPSigning';

export interface CertificateProfile {
  /** For error messages and logs. */
  readonly name: string;
  /** basicConstraints; `pathLength` limits the sub-CAs below a CA. */
  readonly basicConstraints: { readonly critical: boolean; readonly ca: boolean; readonly pathLength?: number };
  /**
   * keyUsage bits: `usages` for every key, plus `rsa` or `ec` for a key of that family.
   * One profile thus serves RSA and EC subjects: an RSA key encrypts a content key
   * (keyEncipherment), an EC key agrees on one (keyAgreement); an EC key can never have
   * keyEncipherment (RFC 5480 §3, RFC 8550 §4.4.2), which x509.ts enforces.
   */
  readonly keyUsage: {
    readonly critical: boolean;
    readonly usages: readonly KeyUsageName[];
    readonly rsa?: readonly KeyUsageName[];
    readonly ec?: readonly KeyUsageName[];
  };
  readonly extendedKeyUsage?: { readonly critical: boolean; readonly usages: readonly ExtendedKeyUsageName[] };
  /** Whether SAN entries must, may or must not be given… */
  readonly subjectAltName: 'required' | 'optional' | 'forbidden';
  /** …and of which kinds (all kinds when absent). */
  readonly subjectAltNameTypes?: readonly SubjectAltNameType[];
  /** Upper bound on notAfter - notBefore; issuing a longer certificate is refused. */
  readonly maxValidityDays: number;
}

/** Bit positions of KeyUsage (RFC 5280 §4.2.1.3). */
export const KEY_USAGE_BITS: Readonly<Record<KeyUsageName, number>> = {
  digitalSignature: 0, nonRepudiation: 1, keyEncipherment: 2, dataEncipherment: 3,
  keyAgreement: 4, keyCertSign: 5, cRLSign: 6, encipherOnly: 7, decipherOnly: 8,
};

/** KeyPurposeId OIDs (RFC 5280 §4.2.1.12). */
export const EXTENDED_KEY_USAGE_OIDS: Readonly<Record<ExtendedKeyUsageName, string>> = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  OCSPSigning: '1.3.6.1.5.5.7.3.9',
};

export const PROFILES = {
  /** Self-signed trust anchor; no path length so that sub-CAs can be added below it. */
  rootCa: {
    name: 'root CA',
    basicConstraints: { critical: true, ca: true },
    keyUsage: { critical: true, usages: ['keyCertSign', 'cRLSign'] },
    subjectAltName: 'forbidden',
    maxValidityDays: 25 * 366,
  },
  /** Issuing CA under a root: signs end-entity certificates only. */
  subordinateCa: {
    name: 'subordinate CA',
    basicConstraints: { critical: true, ca: true, pathLength: 0 },
    keyUsage: { critical: true, usages: ['keyCertSign', 'cRLSign'] },
    subjectAltName: 'forbidden',
    maxValidityDays: 15 * 366,
  },
  /**
   * TLS server of an operator (SMTP, IMAP, HTTPS). clientAuth too: MSSanté operators
   * present the same certificate as TLS clients when relaying to each other (mutual TLS).
   * 398 days is the longest validity that browsers and Apple clients still accept.
   */
  tlsServer: {
    name: 'TLS server',
    basicConstraints: { critical: true, ca: false },
    // RSA key exchange (TLS 1.2 without ECDHE) needs keyEncipherment; ECDHE needs neither.
    keyUsage: { critical: true, usages: ['digitalSignature'], rsa: ['keyEncipherment'] },
    extendedKeyUsage: { critical: false, usages: ['serverAuth', 'clientAuth'] },
    subjectAltName: 'required',
    subjectAltNameTypes: ['dns', 'ip'],
    maxValidityDays: 398,
  },
  /**
   * TLS client only: a peer operator's relay or an application submitting mail. No
   * serverAuth, so it cannot be used to impersonate a server. 825 days, the S/MIME bound
   * below (no industry bound exists for client certificates).
   */
  tlsClient: {
    name: 'TLS client',
    basicConstraints: { critical: true, ca: false },
    keyUsage: { critical: true, usages: ['digitalSignature'] },
    extendedKeyUsage: { critical: false, usages: ['clientAuth'] },
    subjectAltName: 'optional',
    maxValidityDays: 825,
  },
  /**
   * S/MIME signature only (RFC 8550 §4.4.2): digitalSignature, and nonRepudiation so that
   * the signature can be relied on in a dispute (health-data exchanges are traced).
   * The mailbox address is in subjectAltName only (see names.ts, mailboxSubjectAltName).
   * 825 days: the CA/Browser Forum S/MIME Baseline Requirements' maximum.
   */
  smimeSigning: {
    name: 'S/MIME signing',
    basicConstraints: { critical: true, ca: false },
    keyUsage: { critical: true, usages: ['digitalSignature', 'nonRepudiation'] },
    extendedKeyUsage: { critical: false, usages: ['emailProtection'] },
    subjectAltName: 'required',
    subjectAltNameTypes: ['email'],
    maxValidityDays: 825,
  },
  /** S/MIME encryption only: RSA key transport or ECDH key agreement, never a signature. */
  smimeEncryption: {
    name: 'S/MIME encryption',
    basicConstraints: { critical: true, ca: false },
    keyUsage: { critical: true, usages: [], rsa: ['keyEncipherment'], ec: ['keyAgreement'] },
    extendedKeyUsage: { critical: false, usages: ['emailProtection'] },
    subjectAltName: 'required',
    subjectAltNameTypes: ['email'],
    maxValidityDays: 825,
  },
  /** One S/MIME key for both, what most mail clients generate and expect. */
  smimeDual: {
    name: 'S/MIME dual-use',
    basicConstraints: { critical: true, ca: false },
    keyUsage: { critical: true, usages: ['digitalSignature', 'nonRepudiation'], rsa: ['keyEncipherment'], ec: ['keyAgreement'] },
    extendedKeyUsage: { critical: false, usages: ['emailProtection'] },
    subjectAltName: 'required',
    subjectAltNameTypes: ['email'],
    maxValidityDays: 825,
  },
} as const satisfies Record<string, CertificateProfile>;

export type ProfileName = keyof typeof PROFILES;

export type SmimeUsage = 'signing' | 'encryption' | 'dual';

/** The S/MIME profile for each usage a mailbox certificate can have. */
export const SMIME_PROFILES: Readonly<Record<SmimeUsage, CertificateProfile>> = {
  signing: PROFILES.smimeSigning,
  encryption: PROFILES.smimeEncryption,
  dual: PROFILES.smimeDual,
};

/** The keyUsage bits a profile gives to a key of this family, in profile order. */
export function keyUsagesFor(profile: CertificateProfile, family: KeyFamily): KeyUsageName[] {
  return [...profile.keyUsage.usages, ...(profile.keyUsage[family] ?? [])];
}
