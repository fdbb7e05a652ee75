/**
 * SMTP replies for the errors of core/errors.ts: the basic code goes to smtp-server as
 * `responseCode`, the enhanced status code (RFC 3463) leads the text. Anything that is
 * not an HygieError is an internal failure: a temporary 451, so the client retries and
 * nothing is lost.
 */
import { ERRORS, isHygieError } from '../../core/errors.js';

export interface SmtpReplyError extends Error {
  responseCode: number;
}

export function smtpReply(error: unknown): SmtpReplyError {
  if (isHygieError(error)) {
    return Object.assign(new Error(`${error.spec.enhanced} ${error.publicText}`), { responseCode: error.spec.smtp });
  }
  const spec = ERRORS.STORAGE_FAILED;
  return Object.assign(new Error(`${spec.enhanced} ${spec.text}`), { responseCode: spec.smtp });
}

export function smtpReplyFor(code: keyof typeof ERRORS): SmtpReplyError {
  const spec = ERRORS[code];
  return Object.assign(new Error(`${spec.enhanced} ${spec.text}`), { responseCode: spec.smtp });
}
