/**
 * Step (submission, recipients outside this operator): one copy per network, each with
 * the sender's identity in that network and the protection the network requires, queued
 * durably for delivery. Recipients that cannot be written to safely (no encryption
 * certificate…) are reported to the sender at once in a DSN in its INBOX; nothing is
 * sent in clear. The caller writes the prepared copies in the transaction that accepts the
 * message, and acknowledges it only after that commit.
 */
import type { Knex } from 'knex';
import type { AuditTrail } from '../../core/audit.js';
import type { Clock } from '../../core/clock.js';
import type { SendingBox } from '../../directory/sending-rights.js';
import { buildDsn } from '../queue/dsn.js';
import type { EnqueueInput, OutboundQueue } from '../queue/outbound-queue.js';
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

/**
 * A message's remote copies, protected and ready: queued (with the record of the relay)
 * in the caller's transaction, so that the copies, the relay's audit record and the
 * acceptance's commit together, in one group commit.
 */
export interface PreparedDispatch {
  readonly result: DispatchResult;
  /** Queues the copies and records the relay in `trx`. */
  write(trx: Knex.Transaction): Promise<void>;
  /** After the commit: the sender's report of the recipients not written to, if any. */
  reportRefused(): Promise<void>;
}

export class OutboundDispatch {
  constructor(private readonly options: OutboundOptions) {}

  /** One copy per network, each rewritten to the sender's identity there and protected as the network requires (in parallel). */
  async prepare(raw: Buffer, envelope: Envelope, sender: SendingBox, recipients: readonly RemoteRecipient[], messageId: string | null): Promise<PreparedDispatch> {
    const byNetwork = new Map<NetworkName, string[]>();
    for (const r of recipients) byNetwork.set(r.network, [...(byNetwork.get(r.network) ?? []), r.address]);
    const dsnOf = new Map(recipients.map((r) => [r.address, { ...(r.notify ? { notify: r.notify } : {}), ...(r.orcpt ? { orcpt: r.orcpt } : {}) }]));
    const own = sender.addresses.map((a) => a.address);
    const copies = await Promise.all([...byNetwork].map(async ([network, addresses]) => {
      const profile = this.options.router.profile(network);
      const identity = identityIn(sender, profile);
      if (!identity) return { network, addresses, identity };
      return { network, addresses, identity, protectedCopy: await protectCopy(this.options.smime, profile, rewriteIdentity(raw, identity, own), identity, addresses) };
    }));
    const result: DispatchResult = { copies: [], refused: [] };
    const queued: EnqueueInput[] = [];
    for (const { network, addresses, identity, protectedCopy } of copies) {
      if (!identity || !protectedCopy) {
        result.refused.push(...addresses.map((address) => ({ address, reason: `${sender.displayName} has no address in the ${network} network` })));
        continue;
      }
      result.refused.push(...protectedCopy.refused);
      if (!protectedCopy.message) continue;
      queued.push({
        raw: protectedCopy.message, envelopeFrom: identity, recipients: protectedCopy.recipients.map((address) => ({ address, ...dsnOf.get(address) })),
        route: network, ...(messageId ? { messageId } : {}), submittedBy: sender.mailboxId, ...(envelope.dsn ? { dsn: envelope.dsn } : {}),
      });
      result.copies.push({ network, identity, recipients: protectedCopy.recipients, protection: protectedCopy.applied });
    }
    return {
      result,
      write: async (trx) => {
        for (const copy of queued) await this.options.queue.enqueue(copy, trx);
        await this.options.audit.record({
          action: 'smtp.relay', outcome: result.refused.length ? 'failure' : 'success', actor: envelope.mailFrom, subject: messageId ?? undefined,
          channel: 'submission', details: { copies: result.copies, refused: result.refused },
        }, trx);
      },
      reportRefused: async () => {
        if (result.refused.length) await this.reportRefusedTo(raw, envelope, sender, result.refused);
      },
    };
  }

  /** The sender learns at once which recipients were not written to, and why. */
  private async reportRefusedTo(raw: Buffer, envelope: Envelope, sender: SendingBox, refused: DispatchResult['refused']): Promise<void> {
    const now = this.options.clock.now();
    const dsn = buildDsn({
      reportingMta: this.options.hostname, to: envelope.mailFrom, from: this.options.dsnFrom, originalMessage: raw, arrivalDate: now,
      returnFull: false, now,
      recipients: refused.map((r) => ({ address: r.address, action: 'failed', status: '5.7.1', diagnostic: r.reason })),
    });
    await this.options.store.deliver([sender.mailboxId], dsn);
  }
}
