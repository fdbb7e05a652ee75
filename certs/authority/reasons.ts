/**
 * Revocation reasons (RFC 5280 §5.3.1, CRLReason) as data: the name used in the API and
 * the register, and the code written in the CRL entry's reasonCode extension.
 *
 * Left out on purpose: certificateHold (6) and removeFromCRL (8), because revocation is
 * final here (no suspension, no delta CRLs), and aACompromise (10), which concerns
 * attribute certificates only.
 */
import { HygieError } from '../../core/errors.js';

export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  privilegeWithdrawn: 9,
} as const;

export type RevocationReason = keyof typeof REVOCATION_REASONS;

export function isRevocationReason(value: string): value is RevocationReason {
  return Object.hasOwn(REVOCATION_REASONS, value);
}

/** The reason of a CRL reasonCode; codes we never issue are refused. */
export function revocationReasonOfCode(code: number): RevocationReason {
  const found = (Object.entries(REVOCATION_REASONS) as [RevocationReason, number][]).find(([, c]) => c === code);
  if (!found) throw new HygieError('INVALID_INPUT', `unsupported CRL reason code ${code}`);
  return found[0];
}
