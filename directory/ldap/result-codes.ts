/**
 * The LDAP result codes this service answers with (RFC 4511 §4.1.9 and Appendix A).
 * Ours, not ldapjs's, so that a replacement library keeps the same answers.
 */
export const LdapResultCode = {
  success: 0,
  operationsError: 1,
  protocolError: 2,
  timeLimitExceeded: 3,
  sizeLimitExceeded: 4,
  compareFalse: 5,
  compareTrue: 6,
  authMethodNotSupported: 7,
  unavailableCriticalExtension: 12,
  noSuchAttribute: 16,
  noSuchObject: 32,
  invalidDNSyntax: 34,
  invalidCredentials: 49,
  insufficientAccessRights: 50,
  unwillingToPerform: 53,
  other: 80,
} as const;

export type LdapResultCode = (typeof LdapResultCode)[keyof typeof LdapResultCode];
