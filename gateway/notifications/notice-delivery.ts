/**
 * Delivers system notices (lifecycle steps now; alerts later) to a box's owner by two
 * paths: into the box itself (INBOX, through the message store, so the owner sees it in
 * any client) and, when the box has one, to its usual non-secure notification address by
 * SMTP through the configured relay. A notice carries no health data by construction: its
 * text comes from the directory's notice templates, never from a message.
 *
 * The copy in the box is durable once `deliver` resolves; the external copy is best
 * effort (a relay that is down is logged and audited, and the box copy remains).
 */
import { randomUUID } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import nodemailer, { type Transporter } from 'nodemailer';
import type { AuditTrail } from '../../core/audit.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { MessageStore } from '../store/types.js';

export interface Notice {
  mailboxId: number;
  /** The box's own address the notice is written to. */
  boxAddress: string;
  /** Usual (non-secure) address of the owner, if any. */
  notificationAddress: string | null;
  subject: string;
  text: string;
  /** For the audit trail: what this notice is about (`lifecycle.unpublish.notice`…). */
  topic: string;
}

export interface NoticeRelay {
  host: string;
  port: number;
  /** Implicit TLS (465); otherwise STARTTLS when offered. */
  secure: boolean;
  /** PEM of the authority the relay's certificate chains to, when not publicly trusted. */
  ca?: string;
}

export interface NoticeDeliveryOptions {
  store: Pick<MessageStore, 'deliver'>;
  /** `Name <address>` the notices come from. */
  from: string;
  hostname: string;
  relay?: NoticeRelay;
  audit: AuditTrail;
  clock: Clock;
  logger: Logger;
}

export class NoticeDelivery {
  private readonly options: NoticeDeliveryOptions;
  private readonly transport: Transporter | undefined;

  constructor(options: NoticeDeliveryOptions) {
    this.options = options;
    const relay = options.relay;
    this.transport = relay
      ? nodemailer.createTransport({
        host: relay.host, port: relay.port, secure: relay.secure, name: options.hostname,
        tls: relay.ca ? { ca: relay.ca } : {}, connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 30_000,
      })
      : undefined;
  }

  async deliver(notices: readonly Notice[]): Promise<void> {
    for (const notice of notices) {
      const raw = await this.compose(notice, notice.boxAddress);
      await this.options.store.deliver([notice.mailboxId], raw);
      await this.options.audit.record({
        action: 'notice.deliver', outcome: 'success', actor: 'system', subject: String(notice.mailboxId),
        details: { topic: notice.topic, to: notice.boxAddress },
      });
      if (notice.notificationAddress) await this.sendOutside(notice, notice.notificationAddress);
    }
  }

  close(): void {
    this.transport?.close();
  }

  private async sendOutside(notice: Notice, address: string): Promise<void> {
    if (!this.transport) {
      this.options.logger.warn('no notification relay configured: notice kept in the box only', { mailbox: notice.mailboxId, topic: notice.topic });
      return;
    }
    try {
      const raw = await this.compose(notice, address);
      await this.transport.sendMail({ envelope: { from: envelopeAddress(this.options.from), to: [address] }, raw });
      await this.options.audit.record({
        action: 'notice.send', outcome: 'success', actor: 'system', subject: String(notice.mailboxId), details: { topic: notice.topic, to: address },
      });
    } catch (error) {
      this.options.logger.warn('notice to the notification address failed', { mailbox: notice.mailboxId, error });
      await this.options.audit.record({
        action: 'notice.send', outcome: 'failure', actor: 'system', subject: String(notice.mailboxId),
        details: { topic: notice.topic, to: address, error: (error as Error).message },
      });
    }
  }

  private compose(notice: Notice, to: string): Promise<Buffer> {
    const composer = new MailComposer({
      from: this.options.from, to, subject: notice.subject, text: notice.text, date: this.options.clock.now(),
      messageId: `<${randomUUID()}@${this.options.hostname}>`,
      headers: { 'Auto-Submitted': 'auto-generated', 'X-Hygie-Notice': notice.topic },
    });
    return composer.compile().build();
  }
}

function envelopeAddress(from: string): string {
  return from.match(/<([^>]+)>/)?.[1] ?? from;
}
