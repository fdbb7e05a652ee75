/**
 * Delivery over SMTP with nodemailer: per route, a static relay or the domain's MX hosts
 * (in preference order, then the domain itself), with that route's TLS demands (required
 * or opportunistic, trusted authorities, the client certificate mutual TLS needs). One
 * SMTP transaction per attempt; per-recipient refusals are told apart from failures of
 * the whole transaction, and 5xx from everything else (which is retried).
 */
import { promises as dns } from 'node:dns';
import nodemailer, { type Transporter } from 'nodemailer';
import type { DeliveryAttempt, DeliveryTransport, RecipientOutcome } from './transport.js';

export interface SmtpRoute {
  /** A relay host; absent: look up the domain's MX. */
  host?: string;
  port: number;
  /** Implicit TLS (465). */
  secure?: boolean;
  /** Refuse to deliver without TLS (health data never leaves in clear). */
  requireTls: boolean;
  tls?: { ca?: string | string[]; cert?: string; key?: string; servername?: string; rejectUnauthorized?: boolean };
}

export interface SmtpTransportOptions {
  /** Our name in EHLO. */
  hostname: string;
  route(name: string, domain: string): SmtpRoute;
  timeoutMs?: number;
  /** Connections kept open per destination host (reused across messages: one TLS handshake, many transactions). */
  connectionsPerHost?: number;
}

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  rejected?: string[];
  rejectedErrors?: SmtpError[];
  recipient?: string;
}

export class SmtpTransport implements DeliveryTransport {
  private readonly pools = new Map<string, Transporter>();

  constructor(private readonly options: SmtpTransportOptions) {}

  close(): void {
    for (const pool of this.pools.values()) pool.close();
    this.pools.clear();
  }

  async deliver(attempt: DeliveryAttempt): Promise<RecipientOutcome[]> {
    const route = this.options.route(attempt.route, attempt.domain);
    const hosts = route.host ? [route.host] : await mxHosts(attempt.domain);
    let last: RecipientOutcome[] = [];
    for (const host of hosts) {
      last = await this.tryHost(host, route, attempt);
      // Move on to the next MX only when this one could not be reached or failed temporarily as a whole.
      if (!last.every((o) => !o.accepted && !o.permanent)) return last;
    }
    return last;
  }

  private async tryHost(host: string, route: SmtpRoute, attempt: DeliveryAttempt): Promise<RecipientOutcome[]> {
    const transport = this.poolFor(host, route, attempt);
    const all = (accepted: boolean, permanent: boolean, text: string): RecipientOutcome[] =>
      attempt.recipients.map((address) => ({ address, accepted, permanent, text, remoteMta: host }));
    try {
      const info = await transport.sendMail({ envelope: { from: attempt.envelopeFrom, to: [...attempt.recipients] }, raw: attempt.raw });
      const rejected = new Map<string, SmtpError>();
      for (const error of (info as { rejectedErrors?: SmtpError[] }).rejectedErrors ?? []) if (error.recipient) rejected.set(error.recipient, error);
      return attempt.recipients.map((address) => {
        const refusal = rejected.get(address);
        if (refusal || (info.rejected as string[]).includes(address)) {
          return { address, accepted: false, permanent: (refusal?.responseCode ?? 550) >= 500, text: refusal?.response ?? 'refused', remoteMta: host };
        }
        return { address, accepted: true, permanent: false, text: info.response ?? '250', remoteMta: host };
      });
    } catch (caught) {
      const error = caught as SmtpError;
      if (error.rejectedErrors?.length) {
        const byRecipient = new Map(error.rejectedErrors.map((e) => [e.recipient, e]));
        return attempt.recipients.map((address) => {
          const refusal = byRecipient.get(address);
          return { address, accepted: false, permanent: (refusal?.responseCode ?? error.responseCode ?? 450) >= 500, text: refusal?.response ?? error.response ?? error.message, remoteMta: host };
        });
      }
      if (error.responseCode) return all(false, error.responseCode >= 500, error.response ?? error.message);
      return all(false, false, `${host}: ${error.code ?? 'error'} ${error.message}`);
    }
  }

  /** One pool per host and TLS identity, so a busy route reuses its connections. */
  private poolFor(host: string, route: SmtpRoute, attempt: DeliveryAttempt): Transporter {
    const servername = route.tls?.servername ?? (route.host ? undefined : attempt.domain);
    const key = JSON.stringify([host, route.port, route.secure, route.requireTls, servername, route.tls?.cert ?? '', route.tls?.ca ?? '']);
    let pool = this.pools.get(key);
    if (!pool) {
      const timeout = this.options.timeoutMs ?? 60_000;
      pool = nodemailer.createTransport({
        pool: true, maxConnections: this.options.connectionsPerHost ?? 4, maxMessages: 1000,
        host, port: route.port, secure: route.secure ?? false, requireTLS: route.requireTls, name: this.options.hostname,
        tls: { ...route.tls, ...(servername ? { servername } : {}) },
        connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout,
      });
      this.pools.set(key, pool);
    }
    return pool;
  }
}

async function mxHosts(domain: string): Promise<string[]> {
  try {
    const records = await dns.resolveMx(domain);
    // RFC 7505 null MX: the domain accepts no mail.
    if (records.length === 1 && records[0]!.exchange === '') return [];
    if (records.length > 0) return records.sort((a, b) => a.priority - b.priority).map((r) => r.exchange);
  } catch {
    // No MX record: RFC 5321 §5.1 falls back to the domain's own address.
  }
  return [domain];
}
