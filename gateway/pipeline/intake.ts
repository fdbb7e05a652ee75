/**
 * The message path for mail arriving over SMTP, as ordered steps:
 * check sender (MAIL) → resolve each recipient (RCPT) → check message → add trace
 * headers → store durably in each local mailbox → audit. The SMTP front end calls these
 * and only translates results into replies; acknowledgement happens after `accept`
 * resolves, i.e. after the database commit and the fsync of the message file.
 */
import { randomBytes } from 'node:crypto';
import type { AuditTrail } from '../../core/audit.js';
import type { Clock } from '../../core/clock.js';
import { HygieError, isHygieError } from '../../core/errors.js';
import type { MessageStore } from '../store/types.js';
import { checkMessage } from './message-checks.js';
import type { RecipientResolver } from './recipients.js';
import { checkSender } from './sender.js';
import { addTraceHeaders } from './trace.js';
import type { AcceptedMessage, Envelope, LocalRecipient, PeerInfo } from './types.js';

export interface IntakeOptions {
  store: MessageStore;
  recipients: RecipientResolver;
  audit: AuditTrail;
  clock: Clock;
  hostname: string;
}

export class MessageIntake {
  constructor(private readonly options: IntakeOptions) {}

  async checkSender(mailFrom: string, peer: PeerInfo): Promise<string> {
    try {
      return checkSender(mailFrom, peer.channel, peer.user);
    } catch (error) {
      await this.auditRefusal(peer, { mailFrom, stage: 'mail' }, error);
      throw error;
    }
  }

  async resolveRecipient(address: string, mailFrom: string, peer: PeerInfo): Promise<LocalRecipient> {
    try {
      return await this.options.recipients.resolve(address, peer.channel);
    } catch (error) {
      await this.auditRefusal(peer, { mailFrom, rcptTo: address, stage: 'rcpt' }, error);
      throw error;
    }
  }

  async accept(data: Buffer, envelope: Envelope, recipients: readonly LocalRecipient[], peer: PeerInfo): Promise<AcceptedMessage> {
    const now = this.options.clock.now();
    const queueId = newQueueId();
    let checked;
    try {
      checked = checkMessage(data, peer.channel, this.options.hostname, now);
    } catch (error) {
      await this.auditRefusal(peer, { mailFrom: envelope.mailFrom, rcptTo: envelope.rcptTo, stage: 'data', size: data.length }, error);
      throw error;
    }
    const raw = addTraceHeaders(checked.raw, { envelope, peer, hostname: this.options.hostname, queueId, now });
    try {
      await this.options.store.deliver(recipients.map((r) => r.mailboxId), raw);
    } catch (error) {
      await this.auditRefusal(peer, { mailFrom: envelope.mailFrom, rcptTo: envelope.rcptTo, stage: 'store', queueId }, error);
      throw new HygieError('STORAGE_FAILED', undefined, { cause: error });
    }
    await this.options.audit.record({
      action: 'smtp.accept', outcome: 'success', actor: peer.user?.login ?? envelope.mailFrom, subject: checked.messageId ?? queueId,
      channel: peer.channel === 'mx' ? 'smtp' : 'submission', remoteAddress: peer.remoteAddress,
      details: {
        queueId, mailFrom: envelope.mailFrom, rcptTo: envelope.rcptTo, size: raw.length, tls: peer.tls,
        deliveredTo: recipients.map((r) => ({ address: r.address, mailboxId: r.mailboxId })), session: peer.sessionId,
      },
    });
    return { queueId, messageId: checked.messageId, deliveredTo: [...recipients], size: raw.length };
  }

  private async auditRefusal(peer: PeerInfo, details: Record<string, unknown>, error: unknown): Promise<void> {
    await this.options.audit.record({
      action: 'smtp.refuse', outcome: 'failure', actor: peer.user?.login ?? (details.mailFrom as string | undefined),
      channel: peer.channel === 'mx' ? 'smtp' : 'submission', remoteAddress: peer.remoteAddress,
      details: { ...details, session: peer.sessionId, reason: isHygieError(error) ? error.code : 'INTERNAL', message: (error as Error).message },
    });
  }
}

function newQueueId(): string {
  return randomBytes(9).toString('base64url').toUpperCase().replace(/[^A-Z0-9]/g, 'X');
}
