/**
 * Step (submission, recipients outside this operator): one copy per network, each with
 * the sender's identity in that network and the protection the network requires, queued
 * durably for delivery. Recipients that cannot be written to safely (no encryption
 * certificate…) are reported to the sender at once in a DSN in its INBOX; nothing is
 * sent in clear. The caller acknowledges the message only after `dispatch` resolves.
 */
import type { AuditTrail } from '../../core/audit.js';
import type { Clock } from '../../core/clock.js';
import type { SendingBox } from '../../directory/sending-rights.js';
import { buildDsn } from '../queue/dsn.js';
import type { OutboundQueue } from '../queue/outbound-queue.js';
import { rewriteIdentity } from '../routing/identity-rewrite.js';
import { identityIn, type NetworkRouter } from '../routing/network-router.js';
import type { NetworkName } from '../routing/networks.js';
import { protectCopy, type SmimeOperations } from '../routing/protection.js';
import type { MessageStore } from '../store/types.js';
import type { Envelope, RemoteRecipient } from './types.js';

export interface OutboundOptions {
  router: NetworkRouter;
  smime: SmimeOperations;
  queue: OutboundQueue;
  store: Pick<MessageStore, 'deliver'>;
  audit: AuditTrail;
  clock: Clock;
  hostname: string;
  /** From header of DSNs. */
  dsnFrom: string;
}

export interface DispatchResult {
  copies: Array<{ network: NetworkName; identity: string; recipients: string[]; protection: string }>;
  refused: Array<{ address: string; reason: string }>;
}

export class OutboundDispatch {
  constructor(private readonly options: OutboundOptions) {}

  async dispatch(raw: Buffer, envelope: Envelope, sender: SendingBox, recipients: readonly RemoteRecipient[], messageId: string | null): Promise<DispatchResult> {
    const byNetwork = new Map<NetworkName, string[]>();
    for (const r of recipients) byNetwork.set(r.network, [...(byNetwork.get(r.network) ?? []), r.address]);
    const dsnOf = new Map(recipients.map((r) => [r.address, { ...(r.notify ? { notify: r.notify } : {}), ...(r.orcpt ? { orcpt: r.orcpt } : {}) }]));
    const result: DispatchResult = { copies: [], refused: [] };
    const own = sender.addresses.map((a) => a.address);
    for (const [network, addresses] of byNetwork) {
      const profile = this.options.router.profile(network);
      const identity = identityIn(sender, profile);
      if (!identity) {
        result.refused.push(...addresses.map((address) => ({ address, reason: `${sender.displayName} has no address in the ${network} network` })));
        continue;
      }
      const copy = rewriteIdentity(raw, identity, own);
      const protectedCopy = await protectCopy(this.options.smime, profile, copy, identity, addresses);
      result.refused.push(...protectedCopy.refused);
      if (!protectedCopy.message) continue;
      await this.options.queue.enqueue({
        raw: protectedCopy.message, envelopeFrom: identity, recipients: protectedCopy.recipients.map((address) => ({ address, ...dsnOf.get(address) })),
        route: network, ...(messageId ? { messageId } : {}), submittedBy: sender.mailboxId, ...(envelope.dsn ? { dsn: envelope.dsn } : {}),
      });
      result.copies.push({ network, identity, recipients: protectedCopy.recipients, protection: protectedCopy.applied });
    }
    await this.options.audit.record({
      action: 'smtp.relay', outcome: result.refused.length ? 'failure' : 'success', actor: envelope.mailFrom, subject: messageId ?? undefined,
      channel: 'submission', details: { copies: result.copies, refused: result.refused },
    });
    if (result.refused.length) await this.reportRefused(raw, envelope, sender, result.refused);
    return result;
  }

  /** The sender learns at once which recipients were not written to, and why. */
  private async reportRefused(raw: Buffer, envelope: Envelope, sender: SendingBox, refused: DispatchResult['refused']): Promise<void> {
    const now = this.options.clock.now();
    const dsn = buildDsn({
      reportingMta: this.options.hostname, to: envelope.mailFrom, from: this.options.dsnFrom, originalMessage: raw, arrivalDate: now,
      returnFull: false, now,
      recipients: refused.map((r) => ({ address: r.address, action: 'failed', status: '5.7.1', diagnostic: r.reason })),
    });
    await this.options.store.deliver([sender.mailboxId], dsn);
  }
}
