/**
 * The one error the certificate store throws. It is an HygieError (so front ends map it
 * like any other) with a `reason` that callers and tests can switch on. Messages name the
 * file, algorithm or certificate at fault, never key material or passwords.
 */
import { HygieError, type ErrorCode } from '../../core/errors.js';

export type CertificateStoreErrorReason =
  /** Not PEM, not DER, not PKCS#12: garbage or a truncated file. */
  | 'unreadable-input'
  /** Readable, but holds no certificate. */
  | 'no-certificate'
  /** An encrypted key or PKCS#12 file was given without a password. */
  | 'password-required'
  | 'wrong-password'
  /** The PKCS#12 integrity check failed although the password decrypts it: altered or corrupted file. */
  | 'mac-invalid'
  /** A private key that matches no certificate of the same file. */
  | 'key-mismatch'
  /** An encryption, MAC or key algorithm this store cannot use (named in the message). */
  | 'unsupported-algorithm'
  /** A trust anchor that is not a certification authority. */
  | 'not-a-ca'
  /** A stored private key that cannot be opened: its secret is not configured, or is wrong. */
  | 'key-unavailable'
  | 'not-found';

/** Configuration problems are the operator's, not the caller's: they map to CONFIG_INVALID. */
const CODE_OF: Partial<Record<CertificateStoreErrorReason, ErrorCode>> = {
  'key-unavailable': 'CONFIG_INVALID',
};

export class CertificateStoreError extends HygieError {
  constructor(readonly reason: CertificateStoreErrorReason, detail: string, options?: { cause?: unknown }) {
    super(CODE_OF[reason] ?? 'INVALID_INPUT', detail, options);
    this.name = 'CertificateStoreError';
  }
}

export function isCertificateStoreError(value: unknown, reason?: CertificateStoreErrorReason): value is CertificateStoreError {
  return value instanceof CertificateStoreError && (reason === undefined || value.reason === reason);
}
