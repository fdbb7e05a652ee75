/** The typed values that flow through the message path, whatever protocol brought them. */
import type { AuthenticatedUser } from '../../directory/types.js';

/** How the message came in: from another MTA (MX port) or from an authenticated user (submission). */
export type IntakeChannel = 'mx' | 'submission';

export interface PeerInfo {
  channel: IntakeChannel;
  remoteAddress: string;
  /** Name the client gave in EHLO/HELO. */
  clientName: string;
  /** TLS protocol and cipher, when the session is encrypted. */
  tls: { protocol: string; cipher: string } | null;
  /** The authenticated user, on submission. */
  user: AuthenticatedUser | null;
  /** The SMTP session id, for logs and the audit trail. */
  sessionId: string;
}

export interface Envelope {
  /** MAIL FROM address; empty string for the null reverse-path (bounces). */
  mailFrom: string;
  rcptTo: string[];
}

/** A recipient the directory knows: the local mailbox it lands in. */
export interface LocalRecipient {
  address: string;
  mailboxId: number;
}

export interface AcceptedMessage {
  /** Our id for the transaction, shown in the 250 reply and the Received header. */
  queueId: string;
  messageId: string | null;
  deliveredTo: LocalRecipient[];
  size: number;
}
