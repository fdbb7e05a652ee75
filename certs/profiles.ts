/**
 * Certificate profiles as data. A profile says what a certificate may be used for;
 * x509.ts turns it into extensions. Adding a kind of certificate (S/MIME signing,
 * OCSP responder, applicative client…) means adding an entry here, not a new function.
 */

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
   * keyUsage bits. keyEncipherment/dataEncipherment are dropped for EC keys, which
   * cannot encrypt (RFC 5480 §3), so one profile serves RSA and ECDSA subjects.
   */
  readonly keyUsage: { readonly critical: boolean; readonly usages: readonly KeyUsageName[] };
  readonly extendedKeyUsage?: { readonly critical: boolean; readonly usages: readonly ExtendedKeyUsageName[] };
  /** Whether SAN entries must, may or must not be given. */
  readonly subjectAltName: 'required' | 'optional' | 'forbidden';
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
    keyUsage: { critical: true, usages: ['digitalSignature', 'keyEncipherment'] },
    extendedKeyUsage: { critical: false, usages: ['serverAuth', 'clientAuth'] },
    subjectAltName: 'required',
    maxValidityDays: 398,
  },
} as const satisfies Record<string, CertificateProfile>;

export type ProfileName = keyof typeof PROFILES;
