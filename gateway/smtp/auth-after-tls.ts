/**
 * smtp-server lists AUTH in its EHLO reply even on a cleartext connection where it
 * will refuse AUTH with 538. Mail clients should not be told about a mechanism they
 * may not use yet (RFC 4954 §4, and what Postfix's smtpd_tls_auth_only does), so while
 * the connection is not encrypted, EHLO is answered with AUTH hidden; the AUTH command
 * itself still gets smtp-server's explicit "538 Must issue a STARTTLS command first".
 * Covered by conformance-tests/smtp.test.ts, which fails if an upgrade breaks this.
 */
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';

let installed = false;

export function hideAuthBeforeTls(): void {
  if (installed) return;
  installed = true;
  const original = SMTPConnection.prototype.handler_EHLO;
  SMTPConnection.prototype.handler_EHLO = function ehloWithoutCleartextAuth(this: SMTPConnection, command, callback) {
    if (this.secure || this._server.options.allowInsecureAuth) return original.call(this, command, callback);
    const before = this.session.disabledCommands;
    this.session.disabledCommands = [...(before ?? this._server.options.disabledCommands), 'AUTH'];
    try {
      original.call(this, command, callback);
    } finally {
      this.session.disabledCommands = before;
    }
  };
}
