/** The typed values that flow through the message path, whatever protocol brought them. */
import type { SendingBox } from '../../directory/sending-rights.js';
import type { AuthenticatedUser } from '../../directory/types.js';
import type { NetworkName } from '../routing/networks.js';

/** How the message came in: from another MTA (MX port) or from an authenticated user (submission). */
export type IntakeChannel = 'mx' | 'submission';

export interface PeerInfo {
  channel: IntakeChannel;
  remoteAddress: string;
  /** Name the client gave in EHLO/HELO. */
  clientName: string;
  /** TLS protocol and cipher, when the session is encrypted. */
  tls: { protocol: string; cipher: string } | null;
  /** The certificate the client presented in the TLS handshake (MX: peers of the trust space). */
  clientCertificate?: ClientCertificate | null;
  /** The authenticated user, on submission. */
  user: AuthenticatedUser | null;
  /** On submission, once MAIL FROM is accepted: the box the user sends as (its own or a delegated one). */
  sender?: SendingBox;
  /** The SMTP session id, for logs and the audit trail. */
  sessionId: string;
}

export interface Envelope {
  /** MAIL FROM address; empty string for the null reverse-path (bounces). */
  mailFrom: string;
  rcptTo: string[];
  /** RFC 3461 MAIL parameters: return the full message or its headers, the sender's envelope id. */
  dsn?: { ret?: 'FULL' | 'HDRS'; envid?: string };
}

/** A recipient the directory knows: the local mailbox it lands in. */
export interface LocalRecipient {
  kind: 'local';
  address: string;
  mailboxId: number;
}

/** A recipient in another network, reached through the outbound queue. */
export interface RemoteRecipient {
  kind: 'remote';
  address: string;
  network: NetworkName;
  /** RFC 3461 RCPT parameters. */
  notify?: Array<'SUCCESS' | 'FAILURE' | 'DELAY' | 'NEVER'>;
  orcpt?: string;
}

export type Recipient = LocalRecipient | RemoteRecipient;

export interface AcceptedMessage {
  /** Our id for the transaction, shown in the 250 reply and the Received header. */
  queueId: string;
  messageId: string | null;
  deliveredTo: LocalRecipient[];
  /** Copies queued for other networks (submission). */
  relayed: Array<{ network: NetworkName; identity: string; recipients: string[] }>;
  /** Recipients not written to, reported to the sender in a DSN. */
  refused: Array<{ address: string; reason: string }>;
  size: number;
}

export interface ClientCertificate {
  subject: string;
  issuer: string;
  /** SHA-256, "AA:BB:…". */
  fingerprint256: string;
  /** The chain, leaf first, DER (as far as the client sent it). */
  chain: Buffer[];
  /** Whether TLS verified it against the authorities the MX accepts. */
  authorized: boolean;
  authorizationError: string | null;
}
