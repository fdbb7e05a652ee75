/**
 * The one way the envelope helpers report a failure to decrypt: a reason from a closed
 * list plus a detail for the operator. decrypt.ts turns it into a result; it never
 * escapes the module as an exception.
 */

export type DecryptFailureReason =
  | 'not-encrypted'
  | 'no-matching-key'
  | 'malformed'
  | 'unsupported-algorithm'
  /** AES-GCM tag mismatch: the content (or the wrapped key) was altered. */
  | 'integrity-failure'
  /** Any other unwrap or decrypt failure, deliberately not told apart (padding oracles). */
  | 'decryption-failed';

export class EnvelopeFailure extends Error {
  constructor(readonly reason: DecryptFailureReason, detail: string) {
    super(detail);
    this.name = 'EnvelopeFailure';
  }
}
