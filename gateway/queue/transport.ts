/** What the queue runner asks of a transport: deliver one message to some recipients of one domain. */
export interface DeliveryAttempt {
  route: string;
  domain: string;
  envelopeFrom: string;
  recipients: readonly string[];
  raw: Buffer;
}

export interface RecipientOutcome {
  address: string;
  accepted: boolean;
  /** For refusals: true when the peer refused for good (5xx). */
  permanent: boolean;
  /** The peer's reply, or our own reason (connection refused, TLS failure…). */
  text: string;
  remoteMta?: string;
}

export interface DeliveryTransport {
  deliver(attempt: DeliveryAttempt): Promise<RecipientOutcome[]>;
  /** Closes kept-open connections. */
  close?(): void;
}
