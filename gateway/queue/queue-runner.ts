/**
 * The worker of the outbound queue: claims due recipients under a lease, delivers them
 * through the transport (with a limit on concurrent transactions overall and per
 * domain), records each outcome, and sends the sender the DSNs it asked for: failure
 * (permanent refusal or lifetime exceeded), delay (once, after `delayWarningSeconds`)
 * and, with NOTIFY=SUCCESS, delivery. Several runners (processes) may share a queue.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { buildDsn, statusOf, type DsnAction, type DsnRecipient } from './dsn.js';
import { DomainSlots } from './domain-slots.js';
import type { ClaimedDelivery, OutboundQueue, QueueEntry } from './outbound-queue.js';
import type { DeliveryTransport, RecipientOutcome } from './transport.js';

/** Where DSNs go: the composition root delivers to a local box or queues for a remote sender. */
export type DsnSink = (raw: Buffer, to: string) => Promise<void>;

export interface QueueRunnerOptions {
  queue: OutboundQueue;
  transport: DeliveryTransport;
  dsn: DsnSink;
  clock: Clock;
  logger: Logger;
  /** Our host name (Reporting-MTA, DSN Message-IDs). */
  hostname: string;
  /** From header of DSNs, e.g. `Mail Delivery System <mailer-daemon@…>`. */
  dsnFrom: string;
  /** Concurrent SMTP transactions in all. */
  concurrency?: number;
  perDomainConcurrency?: number;
  leaseSeconds?: number;
  /** A delay DSN after this long undelivered (default 4 h; 0: none). */
  delayWarningSeconds?: number;
  /** Idle poll interval: retries come due without anyone waking us. */
  pollMs?: number;
}

export class QueueRunner {
  private readonly options: QueueRunnerOptions;
  private readonly owner = `runner-${randomUUID()}`;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly perDomain: DomainSlots;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private unsubscribe: (() => void) | undefined;
  private lastHousekeeping = 0;
  /** The last claim took all it could: more may be due as soon as a delivery ends. */
  private claimWasFull = false;
  private wokenDuringPass = false;

  constructor(options: QueueRunnerOptions) {
    this.options = options;
    this.perDomain = new DomainSlots(options.perDomainConcurrency ?? 4);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.options.queue.onWork(() => this.wake());
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.wake();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    this.options.transport.close?.();
  }

  wake(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.wakeUp) this.wakeUp();
    else this.wokenDuringPass = true; // during a pass: the claim may have run before the new work was there
  }

  /** One pass: housekeeping, then claim and start what the limits allow. Returns how many groups started. */
  async tick(): Promise<number> {
    await this.housekeeping();
    const free = (this.options.concurrency ?? 16) - this.inFlight.size;
    if (free <= 0) {
      this.claimWasFull = true; // nothing claimed: whatever is due waits for a delivery to end
      return 0;
    }
    const limit = free * 10;
    const groups = await this.options.queue.claim(this.owner, limit, this.options.leaseSeconds ?? 600);
    this.claimWasFull = groups.reduce((sum, group) => sum + group.recipients.length, 0) >= limit;
    for (const group of groups) {
      const task = this.deliverGroup(group).catch((error: unknown) => this.options.logger.error('delivery task failed', { error }));
      this.inFlight.add(task);
      void task.finally(() => {
        this.inFlight.delete(task);
        // A claim that was not full took everything due: new work wakes us itself (enqueue, retry), so no empty claim here.
        if (this.claimWasFull) this.wake();
      });
    }
    return groups.length;
  }

  /** Waits until nothing is in flight (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async run(): Promise<void> {
    try {
      const recovered = await this.options.queue.recoverInterruptedDeliveries();
      if (recovered > 0) this.options.logger.info('deliveries interrupted by the previous process are due again', { recipients: recovered });
    } catch (error) {
      this.options.logger.error('recovering interrupted deliveries failed', { error });
    }
    while (this.running) {
      let started = 0;
      this.wokenDuringPass = false;
      try {
        started = await this.tick();
      } catch (error) {
        this.options.logger.error('queue pass failed', { error });
      }
      if (!this.running) break;
      if (this.wokenDuringPass || (started > 0 && this.claimWasFull && this.inFlight.size < (this.options.concurrency ?? 16))) continue;
      await new Promise<void>((resolve) => {
        this.wakeUp = resolve;
        this.timer = setTimeout(resolve, this.options.pollMs ?? 5000);
        this.timer.unref();
      });
      this.wakeUp = undefined;
    }
  }

  private async deliverGroup(group: ClaimedDelivery): Promise<void> {
    await this.perDomain.acquire(group.domain);
    let outcomes: RecipientOutcome[];
    try {
      const raw = await this.options.queue.readMessage(group.blobId);
      outcomes = await this.options.transport.deliver({
        route: group.route, domain: group.domain, envelopeFrom: group.envelopeFrom, recipients: group.recipients.map((r) => r.address), raw,
      });
    } catch (error) {
      outcomes = group.recipients.map((r) => ({ address: r.address, accepted: false, permanent: false, text: (error as Error).message }));
    } finally {
      this.perDomain.release(group.domain);
    }
    const outcomeOf = (address: string): RecipientOutcome => outcomes.find((o) => o.address === address)
      ?? { address, accepted: false, permanent: true, text: `no mail exchanger accepts mail for ${group.domain}` };

    const delivered = group.recipients.filter((r) => outcomeOf(r.address).accepted);
    if (delivered.length) {
      const first = outcomeOf(delivered[0]!.address);
      await this.options.queue.markDelivered(delivered.map((r) => r.id), {
        messageId: group.messageId, route: group.route, recipients: delivered.map((r) => r.address), response: first.text,
        ...(first.remoteMta ? { remoteMta: first.remoteMta } : {}),
      });
      this.options.logger.info('delivered', { messageId: group.messageId, route: group.route, to: delivered.map((r) => r.address).join(','), relay: first.remoteMta, response: first.text });
    }
    const refused = group.recipients.filter((r) => !outcomeOf(r.address).accepted);
    // Recipients refused alike are recorded together; distinct reasons separately.
    const byReason = new Map<string, { permanent: boolean; ids: number[]; addresses: string[]; remoteMta?: string }>();
    for (const r of refused) {
      const o = outcomeOf(r.address);
      const key = `${o.permanent}|${o.text}`;
      const entry = byReason.get(key) ?? { permanent: o.permanent, ids: [], addresses: [], ...(o.remoteMta ? { remoteMta: o.remoteMta } : {}) };
      entry.ids.push(r.id);
      entry.addresses.push(r.address);
      byReason.set(key, entry);
    }
    const ended: QueueEntry[] = [];
    for (const [key, { permanent, ids, addresses, remoteMta }] of byReason) {
      const text = key.slice(key.indexOf('|') + 1);
      const endedHere = await this.options.queue.markFailed(ids, { permanent, text }, {
        messageId: group.messageId, route: group.route, recipients: addresses, ...(remoteMta ? { remoteMta } : {}),
      });
      ended.push(...endedHere);
      // As an MTA's log says it: each attempt that did not deliver, and whether it will be tried again.
      const fields = { messageId: group.messageId, route: group.route, to: addresses.join(','), relay: remoteMta, reason: text };
      if (endedHere.length === ids.length) this.options.logger.warn(permanent ? 'delivery refused, returned to the sender' : 'delivery abandoned (queue lifetime), returned to the sender', fields);
      else this.options.logger.info('delivery deferred, will be tried again', fields);
    }
    if (ended.length) await this.report(ended, 'failed');
    // Only NOTIFY=SUCCESS asks for a delivery report: the entries are read again only then.
    const reported = delivered.filter((d) => wants(d, 'SUCCESS'));
    const successes = reported.length ? (await this.options.queue.get(reported.map((d) => d.id))).filter((e) => wants(e, 'SUCCESS')) : [];
    if (successes.length) await this.report(successes, 'delivered');
  }

  private async housekeeping(): Promise<void> {
    const now = this.options.clock.now().getTime();
    if (now - this.lastHousekeeping < 30_000) return;
    this.lastHousekeeping = now;
    const expired = await this.options.queue.expireOverdue();
    for (const entry of expired) {
      this.options.logger.warn('delivery abandoned (queue lifetime), returned to the sender', { messageId: entry.messageId, route: entry.route, to: entry.recipient, reason: entry.lastError ?? 'never attempted' });
    }
    if (expired.length) await this.report(expired, 'failed');
    const warnAfter = this.options.delayWarningSeconds ?? 4 * 3600;
    if (warnAfter <= 0) return;
    const late = await this.options.queue.takeDelayWarnings(warnAfter);
    if (late.length) await this.report(late, 'delayed');
  }

  /** One DSN per original message, to its envelope sender, for the recipients that asked for this kind. */
  private async report(entries: QueueEntry[], action: DsnAction): Promise<void> {
    const notifyKind = action === 'failed' ? 'FAILURE' : action === 'delayed' ? 'DELAY' : 'SUCCESS';
    const byMessage = new Map<number, QueueEntry[]>();
    for (const entry of entries) {
      if (entry.envelopeFrom === '' || !wants(entry, notifyKind)) continue;
      byMessage.set(entry.messageRowId, [...(byMessage.get(entry.messageRowId) ?? []), entry]);
    }
    for (const [messageRowId, list] of byMessage) {
      try {
        const original = await this.options.queue.messageOf(messageRowId);
        const recipients: DsnRecipient[] = list.map((e) => ({
          address: e.recipient, action,
          status: action === 'delivered' ? '2.0.0' : e.status === 'expired' ? '4.4.7' : statusOf(e.lastError ?? '', action === 'failed'),
          diagnostic: e.status === 'expired' ? `not delivered within the queue lifetime; last error: ${e.lastError ?? 'none'}` : (e.lastError ?? 'delivered'),
          lastAttemptAt: this.options.clock.now(),
          ...(action === 'delayed' ? { willRetryUntil: new Date(e.expiresAt) } : {}),
        }));
        const raw = buildDsn({
          reportingMta: this.options.hostname, to: original.envelopeFrom, from: this.options.dsnFrom, originalMessage: original.raw,
          originalEnvelopeId: original.dsnEnvid, arrivalDate: new Date(original.createdAt), returnFull: original.dsnRet === 'FULL',
          recipients, now: this.options.clock.now(),
        });
        await this.options.dsn(raw, original.envelopeFrom);
      } catch (error) {
        this.options.logger.error('could not send a DSN', { error, messageRowId, action });
      }
    }
  }
}

/** RFC 3461: without NOTIFY, failures (and, at our discretion, delays) are reported; NEVER means none. */
function wants(entry: Pick<QueueEntry, 'dsnNotify'>, kind: 'SUCCESS' | 'FAILURE' | 'DELAY'): boolean {
  if (!entry.dsnNotify) return kind !== 'SUCCESS';
  const values = entry.dsnNotify.split(',');
  return !values.includes('NEVER') && values.includes(kind);
}
