/**
 * The durable outbound queue's state, in the database: enqueue (only after the bytes are
 * fsynced, in the caller's transaction if it has one, so acknowledging a submission and
 * queueing its copies commit together), claim due recipients under a lease, record each
 * attempt's outcome, and the operator's list / retry / purge. The worker that delivers
 * is queue-runner.ts; this module never does network I/O.
 *
 * Claims: PostgreSQL takes rows with FOR UPDATE SKIP LOCKED so that several gateway
 * processes share one queue; SQLite has a single writer and needs no more than the
 * transaction. A row whose lease ran out (its process died) is claimable again.
 */
import type { Knex } from 'knex';
import type { AuditTrail } from '../../core/audit.js';
import type { Clock } from '../../core/clock.js';
import { databaseKind, toIso } from '../../core/database.js';
import { HygieError } from '../../core/errors.js';
import { insertInCommit, WriteBatcher } from '../../core/write-batcher.js';
import { MessageBlobs } from '../store/message-blobs.js';
import { DEFAULT_BACKOFF, retryDelaySeconds, type BackoffPolicy } from './backoff.js';

export type RecipientStatus = 'queued' | 'delivering' | 'delivered' | 'failed' | 'expired';

export interface QueuedRecipientInput {
  address: string;
  /** RFC 3461 NOTIFY values; default FAILURE,DELAY. */
  notify?: readonly ('SUCCESS' | 'FAILURE' | 'DELAY' | 'NEVER')[];
  orcpt?: string;
}

export interface EnqueueInput {
  raw: Buffer;
  envelopeFrom: string;
  recipients: readonly QueuedRecipientInput[];
  route: string;
  messageId?: string;
  submittedBy?: number;
  dsn?: { ret?: 'FULL' | 'HDRS'; envid?: string };
}

/** A group of recipients of one message in one domain, claimed together for one SMTP transaction. */
export interface ClaimedDelivery {
  messageRowId: number;
  route: string;
  domain: string;
  envelopeFrom: string;
  blobId: string;
  messageId: string | null;
  /** `dsnNotify`: the RFC 3461 NOTIFY list, if the sender gave one. */
  recipients: Array<{ id: number; address: string; attempts: number; dsnNotify: string | null }>;
}

/** What the audit trail keeps of a delivery attempt, to reconstruct an exchange in a dispute. */
export interface AttemptRecord {
  messageId: string | null;
  route: string;
  recipients: readonly string[];
  remoteMta?: string;
  response: string;
}

export interface AttemptFailure {
  /** true: the peer said no for good (5xx); false: try again later. */
  permanent: boolean;
  text: string;
}

export interface QueueEntry {
  id: number;
  messageRowId: number;
  recipient: string;
  domain: string;
  route: string;
  envelopeFrom: string;
  messageId: string | null;
  status: RecipientStatus;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  createdAt: string;
  expiresAt: string;
  delayWarnedAt: string | null;
  finalAt: string | null;
  dsnNotify: string | null;
}

export interface OutboundQueueOptions {
  db: Knex;
  /** Where earlier versions kept queued messages as files: still read for messages queued then. */
  blobDir: string;
  clock: Clock;
  audit: AuditTrail;
  /** After this long without delivery a recipient fails for good (default 5 days). */
  lifetimeSeconds?: number;
  backoff?: BackoffPolicy;
}

const DEFAULT_LIFETIME = 5 * 24 * 3600;

export class OutboundQueue {
  private readonly db: Knex;
  private readonly clock: Clock;
  private readonly audit: AuditTrail;
  private readonly lifetimeSeconds: number;
  private readonly backoff: BackoffPolicy;
  private readonly blobs: MessageBlobs;
  private readonly listeners = new Set<() => void>();
  /** Enqueues and delivery records from concurrent sessions and workers share commits. */
  private readonly batcher: WriteBatcher;

  constructor(options: OutboundQueueOptions) {
    this.db = options.db;
    this.clock = options.clock;
    this.audit = options.audit;
    this.lifetimeSeconds = options.lifetimeSeconds ?? DEFAULT_LIFETIME;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.blobs = new MessageBlobs(options.db, options.blobDir);
    this.batcher = WriteBatcher.of(options.db);
  }

  /** The bytes and the rows commit together; with `trx`, with the caller's. */
  async enqueue(input: EnqueueInput, trx?: Knex.Transaction): Promise<number> {
    if (input.recipients.length === 0) throw new HygieError('INVALID_INPUT', 'a queued message needs at least one recipient');
    const now = this.clock.now();
    const write = async (t: Knex.Transaction): Promise<number> => {
      const blobId = await this.blobs.put(t, input.raw);
      const [row] = await t('outbound_messages').insert({
        blob_id: blobId, envelope_from: input.envelopeFrom, message_id: input.messageId ?? null, size: input.raw.length,
        route: input.route, submitted_by: input.submittedBy ?? null, created_at: toIso(now),
        expires_at: toIso(new Date(now.getTime() + this.lifetimeSeconds * 1000)),
        dsn_ret: input.dsn?.ret ?? null, dsn_envid: input.dsn?.envid ?? null,
      }).returning('id');
      const messageRowId = Number(typeof row === 'object' ? row.id : row);
      await insertInCommit(t, 'outbound_recipients', input.recipients.map((r) => ({
        message_row_id: messageRowId, recipient: r.address, domain: domainOf(r.address), status: 'queued', attempts: 0,
        next_attempt_at: toIso(now), dsn_notify: r.notify?.join(',') ?? null, dsn_orcpt: r.orcpt ?? null,
      })));
      return messageRowId;
    };
    const id = trx ? await write(trx) : await this.batcher.run(write);
    if (trx) void trx.executionPromise.then(() => this.notify(), () => undefined);
    else this.notify();
    return id;
  }

  /** Called when something became due (an enqueue, a manual retry): the runner wakes. */
  onWork(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Takes up to `limit` due recipients for `owner` for `leaseSeconds`, grouped by
   * message and domain (one SMTP transaction each).
   */
  async claim(owner: string, limit: number, leaseSeconds: number): Promise<ClaimedDelivery[]> {
    const now = toIso(this.clock.now());
    const leaseUntil = toIso(new Date(this.clock.now().getTime() + leaseSeconds * 1000));
    const due = (q: Knex.QueryBuilder) => q
      .where((w) => w.where('status', 'queued').where('next_attempt_at', '<=', now))
      .orWhere((w) => w.where('status', 'delivering').where('lease_until', '<', now));
    // A claim is a write (the lease): it shares the group commit of the writes around it.
    const rows: Array<Record<string, unknown>> = await this.batcher.run(async (trx) => {
      let ids: number[];
      if (databaseKind(this.db) === 'postgres') {
        const picked = await trx('outbound_recipients').select('id').where(due).orderBy('next_attempt_at').limit(limit).forUpdate().skipLocked();
        ids = picked.map((r: { id: number }) => Number(r.id));
      } else {
        const picked = await trx('outbound_recipients').select('id').where(due).orderBy('next_attempt_at').limit(limit);
        ids = picked.map((r: { id: number }) => Number(r.id));
      }
      if (ids.length === 0) return [];
      await trx('outbound_recipients').whereIn('id', ids).update({ status: 'delivering', lease_owner: owner, lease_until: leaseUntil });
      return trx('outbound_recipients as r').join('outbound_messages as m', 'm.id', 'r.message_row_id')
        .whereIn('r.id', ids).select('r.id', 'r.recipient', 'r.domain', 'r.attempts', 'r.dsn_notify', 'r.message_row_id', 'm.route', 'm.envelope_from', 'm.blob_id', 'm.message_id')
        .orderBy('r.id');
    });
    const groups = new Map<string, ClaimedDelivery>();
    for (const row of rows) {
      const key = `${row.message_row_id}/${row.domain}`;
      let group = groups.get(key);
      if (!group) {
        group = {
          messageRowId: Number(row.message_row_id), route: String(row.route), domain: String(row.domain),
          envelopeFrom: String(row.envelope_from), blobId: String(row.blob_id), messageId: (row.message_id as string | null) ?? null, recipients: [],
        };
        groups.set(key, group);
      }
      group.recipients.push({ id: Number(row.id), address: String(row.recipient), attempts: Number(row.attempts), dsnNotify: (row.dsn_notify as string | null) ?? null });
    }
    return [...groups.values()];
  }

  async markDelivered(recipientIds: readonly number[], record: AttemptRecord): Promise<void> {
    if (recipientIds.length === 0) return;
    const now = toIso(this.clock.now());
    // The delivery and its record commit together: one group commit, and never one without the other.
    await this.batcher.run(async (trx) => {
      await trx('outbound_recipients').whereIn('id', recipientIds).update({
        status: 'delivered', final_at: now, last_attempt_at: now, last_error: null, lease_owner: null, lease_until: null,
        attempts: trx.raw('attempts + 1'),
      });
      await this.audit.record({
        action: 'queue.delivered', outcome: 'success', actor: 'system', subject: record.messageId ?? undefined,
        details: { route: record.route, recipients: record.recipients, remoteMta: record.remoteMta ?? null, response: record.response },
      }, trx);
    });
  }

  /**
   * Records a failed attempt. Temporary failures are retried with back-off until the
   * message's lifetime; permanent ones and expired ones end there. Returns the
   * recipients that ended (they need a failure DSN).
   */
  async markFailed(recipientIds: readonly number[], failure: AttemptFailure, record?: Omit<AttemptRecord, 'response'>): Promise<QueueEntry[]> {
    if (recipientIds.length === 0) return [];
    const now = this.clock.now();
    const rows = await this.entries(this.db, (q) => q.whereIn('r.id', recipientIds));
    const ended: number[] = [];
    await this.db.transaction(async (trx) => {
      for (const row of rows) {
        const attempts = row.attempts + 1;
        const next = new Date(now.getTime() + retryDelaySeconds(attempts, this.backoff) * 1000);
        const expired = !failure.permanent && toIso(next) >= row.expiresAt;
        const status: RecipientStatus = failure.permanent ? 'failed' : expired ? 'expired' : 'queued';
        if (status !== 'queued') ended.push(row.id);
        await trx('outbound_recipients').where({ id: row.id }).update({
          status, attempts, last_error: failure.text, last_attempt_at: toIso(now), lease_owner: null, lease_until: null,
          next_attempt_at: toIso(next), final_at: status === 'queued' ? null : toIso(now),
        });
      }
      await this.audit.record({
        action: failure.permanent ? 'queue.failed' : 'queue.deferred', outcome: 'failure', actor: 'system', subject: record?.messageId ?? undefined,
        details: {
          route: record?.route ?? null, recipients: record?.recipients ?? rows.map((r) => r.recipient), remoteMta: record?.remoteMta ?? null,
          error: failure.text, ended: ended.length,
        },
      }, trx);
    });
    return ended.length ? this.entries(this.db, (q) => q.whereIn('r.id', ended)) : [];
  }

  /** Recipients still queued past their message's lifetime (no attempt will come): ended as expired. */
  async expireOverdue(): Promise<QueueEntry[]> {
    const now = toIso(this.clock.now());
    const overdue = await this.entries(this.db, (q) => q.where('r.status', 'queued').where('m.expires_at', '<=', now));
    if (overdue.length === 0) return [];
    await this.db('outbound_recipients').whereIn('id', overdue.map((e) => e.id))
      .update({ status: 'expired', final_at: now, last_error: this.db.raw("COALESCE(last_error, 'not delivered in time')") });
    return this.entries(this.db, (q) => q.whereIn('r.id', overdue.map((e) => e.id)));
  }

  /** Recipients queued for longer than `afterSeconds` and not yet warned: marked warned, returned for a delay DSN. */
  async takeDelayWarnings(afterSeconds: number): Promise<QueueEntry[]> {
    const threshold = toIso(new Date(this.clock.now().getTime() - afterSeconds * 1000));
    const late = await this.entries(this.db, (q) => q.where('r.status', 'queued').where('r.attempts', '>', 0)
      .whereNull('r.delay_warned_at').where('m.created_at', '<=', threshold));
    if (late.length > 0) {
      await this.db('outbound_recipients').whereIn('id', late.map((e) => e.id)).update({ delay_warned_at: toIso(this.clock.now()) });
    }
    return late;
  }

  async get(ids: readonly number[]): Promise<QueueEntry[]> {
    return ids.length ? this.entries(this.db, (q) => q.whereIn('r.id', ids)) : [];
  }

  async list(filter: { status?: RecipientStatus; domain?: string } = {}): Promise<QueueEntry[]> {
    return this.entries(this.db, (q) => {
      if (filter.status) q.where('r.status', filter.status);
      if (filter.domain) q.where('r.domain', filter.domain.toLowerCase());
      return q;
    });
  }

  /**
   * At start: recipients this operator was delivering when its process died (SIGKILL, a
   * power cut) are due again at once instead of when their lease runs out. Only on
   * SQLite, whose database one operator process owns; on PostgreSQL other gateways may
   * hold live leases, and a dead one's run out (`leaseSeconds`). Returns how many.
   */
  async recoverInterruptedDeliveries(): Promise<number> {
    if (databaseKind(this.db) !== 'sqlite') return 0;
    const count = await this.db('outbound_recipients').where('status', 'delivering')
      .update({ status: 'queued', lease_owner: null, lease_until: null });
    if (count > 0) {
      await this.audit.record({ action: 'queue.recover', outcome: 'success', actor: 'system', details: { count, reason: 'deliveries interrupted by the previous process' } });
      this.notify();
    }
    return count;
  }

  /** Makes queued recipients due now (one, or all of a domain, or all). Returns how many. */
  async retryNow(selector: { id?: number; domain?: string }, actor: string): Promise<number> {
    const q = this.db('outbound_recipients').where('status', 'queued');
    if (selector.id !== undefined) q.where('id', selector.id);
    if (selector.domain) q.where('domain', selector.domain.toLowerCase());
    const count = await q.update({ next_attempt_at: toIso(this.clock.now()) });
    await this.audit.record({ action: 'queue.retry', outcome: 'success', actor, details: { ...selector, count } });
    if (count > 0) this.notify();
    return count;
  }

  /** Removes a queued recipient without delivering it (no DSN: the operator decided). */
  async purge(id: number, actor: string): Promise<void> {
    const [entry] = await this.entries(this.db, (q) => q.where('r.id', id));
    if (!entry) throw new HygieError('NOT_FOUND', `no queue entry #${id}`);
    if (entry.status !== 'queued') throw new HygieError('INVALID_INPUT', `queue entry #${id} is ${entry.status}, not queued`);
    await this.db.transaction(async (trx) => {
      await trx('outbound_recipients').where({ id }).update({ status: 'failed', final_at: toIso(this.clock.now()), last_error: `purged by ${actor}` });
      await this.audit.record({ action: 'queue.purge', outcome: 'success', actor, subject: entry.messageId ?? String(entry.messageRowId), details: { recipient: entry.recipient } }, trx);
    });
  }

  async readMessage(blobId: string): Promise<Buffer> {
    return this.blobs.get(blobId);
  }

  async messageOf(messageRowId: number): Promise<{ raw: Buffer; envelopeFrom: string; messageId: string | null; dsnRet: string | null; dsnEnvid: string | null; createdAt: string }> {
    const row = await this.db('outbound_messages').where({ id: messageRowId }).first();
    if (!row) throw new HygieError('NOT_FOUND', `no queued message #${messageRowId}`);
    return {
      raw: await this.blobs.get(row.blob_id), envelopeFrom: row.envelope_from, messageId: row.message_id,
      dsnRet: row.dsn_ret, dsnEnvid: row.dsn_envid, createdAt: row.created_at,
    };
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }

  private async entries(db: Knex, where: (q: Knex.QueryBuilder) => Knex.QueryBuilder): Promise<QueueEntry[]> {
    const rows = await where(db('outbound_recipients as r').join('outbound_messages as m', 'm.id', 'r.message_row_id')
      .select('r.*', 'm.route', 'm.envelope_from', 'm.message_id', 'm.created_at', 'm.expires_at')).orderBy('r.id');
    return rows.map((row: Record<string, unknown>) => ({
      id: Number(row.id), messageRowId: Number(row.message_row_id), recipient: String(row.recipient), domain: String(row.domain),
      route: String(row.route), envelopeFrom: String(row.envelope_from), messageId: (row.message_id as string | null) ?? null,
      status: row.status as RecipientStatus, attempts: Number(row.attempts), nextAttemptAt: String(row.next_attempt_at),
      lastError: (row.last_error as string | null) ?? null, createdAt: String(row.created_at), expiresAt: String(row.expires_at),
      delayWarnedAt: (row.delay_warned_at as string | null) ?? null, finalAt: (row.final_at as string | null) ?? null,
      dsnNotify: (row.dsn_notify as string | null) ?? null,
    }));
  }
}

function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) throw new HygieError('INVALID_INPUT', `"${address}" is not an address`);
  return address.slice(at + 1).toLowerCase();
}
