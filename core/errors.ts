/**
 * One catalogue of the errors every module and protocol front end shares.
 * Each entry carries the SMTP reply, the enhanced status code (RFC 3463), whether
 * the failure is temporary, and a public text that leaks no configuration detail.
 * Front ends translate an HygieError into their own protocol (SMTP code, IMAP NO/BAD,
 * HTTP status, CLI exit code) from these fields only.
 */

export interface ErrorSpec {
  /** SMTP basic reply code. */
  readonly smtp: number;
  /** Enhanced status code, RFC 3463. */
  readonly enhanced: string;
  /** HTTP status for the webmail and operator API. */
  readonly http: number;
  /** Text safe to show to a remote peer or user. */
  readonly text: string;
}

export const ERRORS = {
  AUTH_FAILED: { smtp: 535, enhanced: '5.7.8', http: 401, text: 'Authentication failed: wrong login or password' },
  AUTH_REQUIRES_TLS: { smtp: 538, enhanced: '5.7.11', http: 403, text: 'Authentication requires TLS: issue STARTTLS first' },
  AUTH_REQUIRED: { smtp: 530, enhanced: '5.7.0', http: 401, text: 'Authentication required' },
  AUTH_RATE_LIMITED: { smtp: 454, enhanced: '4.7.0', http: 429, text: 'Too many failed authentications, try again later' },
  RECIPIENT_UNKNOWN: { smtp: 550, enhanced: '5.1.1', http: 404, text: 'No such mailbox here' },
  RELAY_DENIED: { smtp: 554, enhanced: '5.7.1', http: 403, text: 'Relay access denied: this domain is not served here' },
  NO_ROUTE: { smtp: 550, enhanced: '5.7.1', http: 403, text: 'No route from this operator to the recipient\'s network' },
  SENDER_NOT_OWNED: { smtp: 553, enhanced: '5.7.1', http: 403, text: 'Sender address is not one of your addresses' },
  SENDER_INVALID: { smtp: 553, enhanced: '5.1.7', http: 400, text: 'Invalid sender address' },
  MESSAGE_TOO_LARGE: { smtp: 552, enhanced: '5.3.4', http: 413, text: 'Message exceeds the maximum size' },
  MAILBOX_FULL: { smtp: 552, enhanced: '5.2.2', http: 507, text: 'Mailbox full: storage quota exceeded' },
  MESSAGE_MALFORMED: { smtp: 554, enhanced: '5.6.0', http: 400, text: 'Malformed message' },
  STORAGE_FAILED: { smtp: 451, enhanced: '4.3.0', http: 503, text: 'Temporary storage failure, message not accepted; try again later' },
  SHUTTING_DOWN: { smtp: 421, enhanced: '4.3.2', http: 503, text: 'Service shutting down, try again later' },
  MAILBOX_DUPLICATE: { smtp: 550, enhanced: '5.1.0', http: 409, text: 'A mailbox already exists for this identity' },
  ADDRESS_TAKEN: { smtp: 550, enhanced: '5.1.0', http: 409, text: 'Address already in use' },
  MAILBOX_NOT_FOUND: { smtp: 550, enhanced: '5.1.1', http: 404, text: 'No such mailbox' },
  INVALID_RPPS: { smtp: 501, enhanced: '5.5.4', http: 400, text: 'Invalid RPPS number' },
  INVALID_ADELI: { smtp: 501, enhanced: '5.5.4', http: 400, text: 'Invalid ADELI number' },
  INVALID_INPUT: { smtp: 501, enhanced: '5.5.4', http: 400, text: 'Invalid input' },
  CONFIG_INVALID: { smtp: 451, enhanced: '4.3.5', http: 500, text: 'Invalid configuration' },
  MAILBOX_STATE: { smtp: 550, enhanced: '5.2.1', http: 409, text: 'The mailbox is not in a state that allows this' },
  MAILBOX_DELETED: { smtp: 550, enhanced: '5.1.6', http: 410, text: 'This mailbox has been deleted' },
  PROFESSIONAL_NOT_FOUND: { smtp: 550, enhanced: '5.1.0', http: 404, text: 'No such professional in the directory' },
  STRUCTURE_NOT_FOUND: { smtp: 550, enhanced: '5.1.0', http: 404, text: 'No such structure in the directory' },
  DELEGATION_NOT_FOUND: { smtp: 550, enhanced: '5.1.0', http: 404, text: 'No such delegation' },
  OPERATOR_AUTH_REQUIRED: { smtp: 530, enhanced: '5.7.0', http: 401, text: 'Operator authentication required: a valid token or client certificate' },
  NOT_FOUND: { smtp: 550, enhanced: '5.1.0', http: 404, text: 'Not found' },
  SEND_RATE_LIMITED: { smtp: 450, enhanced: '4.7.1', http: 429, text: 'Too many messages sent from this box; try again later' },
  MESSAGE_LOOP: { smtp: 554, enhanced: '5.4.6', http: 508, text: 'Routing loop detected' },
  PEER_NOT_TRUSTED: { smtp: 550, enhanced: '5.7.1', http: 403, text: 'This sender requires a trusted client certificate and a listed domain (MSSanté trust space)' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export class HygieError extends Error {
  readonly code: ErrorCode;
  readonly spec: ErrorSpec;

  /** `detail` is for logs and the operator; `ERRORS[code].text` is what remote peers see. */
  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(detail ?? ERRORS[code].text, options);
    this.name = 'HygieError';
    this.code = code;
    this.spec = ERRORS[code];
  }

  get temporary(): boolean {
    return this.spec.smtp >= 400 && this.spec.smtp < 500;
  }

  /** The text to send to a peer: the public text, plus the detail when it is safe to show. */
  get publicText(): string {
    return this.message === this.spec.text ? this.spec.text : `${this.spec.text} (${this.message})`;
  }
}

export function isHygieError(value: unknown, code?: ErrorCode): value is HygieError {
  return value instanceof HygieError && (code === undefined || value.code === code);
}
