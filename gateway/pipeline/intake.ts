/**
 * The message path for mail arriving over SMTP, as ordered steps:
 * check sender (MAIL) → resolve each recipient (RCPT) → check message → add trace
 * headers → store durably in each local mailbox → audit. The SMTP front end calls these
 * and only translates results into replies; acknowledgement happens after `accept`
 * resolves, i.e. after the database commit.
 */
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { AuditEvent, AuditTrail } from '../../core/audit.js';
import type { Clock } from '../../core/clock.js';
import { HygieError, isHygieError } from '../../core/errors.js';
import { SlidingWindowCounter } from '../../core/sliding-window.js';
import type { SendingBox, SendingRights } from '../../directory/sending-rights.js';
import type { MessageStore } from '../store/types.js';
import { openSmime, type InboundSmimeOperations, type OpenedMessage } from './inbound-smime.js';
import { checkMessage } from './message-checks.js';
import type { OutboundDispatch, PreparedDispatch } from './outbound.js';
import type { PeerPolicy } from './peer-policy.js';
import type { RecipientResolver } from './recipients.js';
import { checkSender } from './sender.js';
import { addTraceHeaders } from './trace.js';
import type { AcceptedMessage, Envelope, LocalRecipient, PeerInfo, Recipient, RemoteRecipient } from './types.js';

export interface IntakeOptions {
  store: MessageStore;
  recipients: RecipientResolver;
  audit: AuditTrail;
  clock: Clock;
  hostname: string;
  /** Who may send as which box (own addresses, delegations); without it, own addresses only. */
  senders?: SendingRights;
  /** Relaying to other networks; without it, submission reaches local boxes only. */
  outbound?: OutboundDispatch;
  /** MX: senders of mutual-TLS networks must prove it with their client certificate. */
  peerPolicy?: PeerPolicy;
  /** Decrypt and verify S/MIME for local readers; without it, messages are stored as received. */
  smime?: InboundSmimeOperations;
  /** Messages one box may submit per hour (0 or absent: no limit). */
  maxMessagesPerHour?: number;
}

export class MessageIntake {
  private readonly sent: SlidingWindowCounter;

  constructor(private readonly options: IntakeOptions) {
    this.sent = new SlidingWindowCounter({ windowSeconds: 3600, clock: options.clock });
  }

  /** The checked sender address and, on submission, the box the user sends as. */
  async checkSender(mailFrom: string, peer: PeerInfo): Promise<{ address: string; sender?: SendingBox }> {
    try {
      if (peer.channel === 'submission' && this.options.senders && peer.user && mailFrom.trim() !== '') {
        checkSender(mailFrom, 'mx', null); // syntax only: ownership is the sending rights' decision
        const sender = await this.options.senders.sendingBox(peer.user, mailFrom);
        this.checkSendRate(sender.mailboxId);
        return { address: mailFrom.trim().toLowerCase(), sender };
      }
      const address = checkSender(mailFrom, peer.channel, peer.user);
      if (peer.channel === 'mx') await this.options.peerPolicy?.check(address, peer.clientCertificate);
      if (peer.channel === 'submission' && peer.user) {
        return { address, sender: { mailboxId: peer.user.mailboxId, displayName: peer.user.displayName, addresses: peer.user.addresses, isHealthProfessional: peer.user.addresses.some((a) => a.network === 'mssante') } };
      }
      return { address };
    } catch (error) {
      await this.auditRefusal(peer, { mailFrom, stage: 'mail' }, error);
      throw error;
    }
  }

  async resolveRecipient(address: string, mailFrom: string, peer: PeerInfo): Promise<Recipient> {
    try {
      return await this.options.recipients.resolve(address, peer.channel, peer.sender);
    } catch (error) {
      await this.auditRefusal(peer, { mailFrom, rcptTo: address, stage: 'rcpt' }, error);
      throw error;
    }
  }

  async accept(data: Buffer, envelope: Envelope, recipients: readonly Recipient[], peer: PeerInfo): Promise<AcceptedMessage> {
    const now = this.options.clock.now();
    const queueId = newQueueId();
    let checked;
    try {
      checked = checkMessage(data, peer.channel, this.options.hostname, now);
    } catch (error) {
      await this.auditRefusal(peer, { mailFrom: envelope.mailFrom, rcptTo: envelope.rcptTo, stage: 'data', size: data.length }, error);
      throw error;
    }
    const traced = (message: Buffer): Buffer => addTraceHeaders(message, { envelope, peer, hostname: this.options.hostname, queueId, now });
    const raw = traced(checked.raw);
    const local = recipients.filter((r): r is LocalRecipient => r.kind === 'local');
    const remote = recipients.filter((r): r is RemoteRecipient => r.kind === 'remote');
    let relayed: AcceptedMessage['relayed'] = [];
    let refused: AcceptedMessage['refused'] = [];
    let opened: OpenedMessage | undefined;
    try {
      // The remote copies are protected (in the S/MIME workers) while the local ones are
      // opened; then everything is written in one group commit: the Sent copy with the
      // queued copies, the local copies with the record of the acceptance. If a write
      // fails the client gets an error and sends again: nothing is dropped after the 250
      // (and the Sent copy is kept once per Message-ID).
      const [relay, openedCopy] = await Promise.all([
        remote.length > 0 ? this.prepareRelay(raw, envelope, remote, peer, checked.messageId) : undefined,
        // Decrypted and verified before the trace fields go on top, as a delivering MTA writes them.
        local.length > 0 && this.options.smime ? openSmime(checked.raw, local.map((r) => r.address), this.options.smime, this.options.hostname) : undefined,
      ]);
      opened = openedCopy;
      if (relay) ({ copies: relayed, refused } = relay.result);
      const accepted: AuditEvent = {
        action: 'smtp.accept', outcome: 'success', actor: peer.user?.login ?? envelope.mailFrom, subject: checked.messageId ?? queueId,
        channel: peer.channel === 'mx' ? 'smtp' : 'submission', remoteAddress: peer.remoteAddress,
        details: {
          queueId, mailFrom: envelope.mailFrom, rcptTo: envelope.rcptTo, size: raw.length, tls: peer.tls,
          deliveredTo: local.map((r) => ({ address: r.address, mailboxId: r.mailboxId })), relayed, refused, session: peer.sessionId,
          ...(peer.clientCertificate ? { peerCertificate: { subject: peer.clientCertificate.subject, issuer: peer.clientCertificate.issuer, sha256: peer.clientCertificate.fingerprint256, authorized: peer.clientCertificate.authorized } } : {}),
          ...(opened ? { smime: { decryption: opened.decryption, signature: opened.signature } } : {}),
        },
      };
      const queueCopies = relay ? (trx: Knex.Transaction) => relay.write(trx) : undefined;
      // Relaying needs a sending box and the outbound dispatch (prepareRelay), so queued copies always have a Sent copy to go with.
      const sentBox = peer.channel === 'submission' && this.options.outbound ? peer.sender?.mailboxId : undefined;
      const writes: Promise<unknown>[] = [];
      if (sentBox !== undefined) {
        writes.push(this.options.store.append(sentBox, 'Sent', checked.raw, {
          flags: ['\\Seen'], ...(queueCopies ? { alongside: queueCopies } : {}), ...(local.length === 0 ? { audit: accepted } : {}),
        }));
      }
      if (local.length > 0) {
        writes.push(this.options.store.deliver(local.map((r) => r.mailboxId), opened ? traced(opened.raw) : raw, { audit: accepted }));
      } else if (sentBox === undefined) {
        writes.push(this.options.audit.record(accepted));
      }
      // Issued together, so that they share a commit; all must have succeeded.
      for (const outcome of await Promise.allSettled(writes)) if (outcome.status === 'rejected') throw outcome.reason;
      await relay?.reportRefused();
    } catch (error) {
      await this.auditRefusal(peer, { mailFrom: envelope.mailFrom, rcptTo: envelope.rcptTo, stage: 'store', queueId }, error);
      if (isHygieError(error)) throw error;
      throw new HygieError('STORAGE_FAILED', undefined, { cause: error });
    }
    return { queueId, messageId: checked.messageId, deliveredTo: local, relayed, refused, size: raw.length };
  }

  private async prepareRelay(raw: Buffer, envelope: Envelope, remote: readonly RemoteRecipient[], peer: PeerInfo, messageId: string | null): Promise<PreparedDispatch> {
    if (!this.options.outbound || !peer.sender) throw new HygieError('NO_ROUTE', 'relaying is not configured on this operator');
    return this.options.outbound.prepare(raw, envelope, peer.sender, remote, messageId);
  }

  /** Counted at MAIL FROM, so a burst is stopped before its data is sent. */
  private checkSendRate(mailboxId: number): void {
    const limit = this.options.maxMessagesPerHour ?? 0;
    if (limit <= 0) return;
    const key = String(mailboxId);
    if (this.sent.count(key) >= limit) {
      throw new HygieError('SEND_RATE_LIMITED', `box ${mailboxId} has sent ${limit} messages in the last hour; next in ${this.sent.secondsUntilFree(key)} s`);
    }
    this.sent.add(key);
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
