/**
 * The MSSanté trust list as this operator last loaded it: replaced as a whole on each
 * load (from a file or an https URL the operator sets), with the list's own date and a
 * record of every load, and answered from memory (a Set refreshed after each load) since
 * every MSSanté recipient and every inbound trust-space connection asks.
 */
import { readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { domainToASCII } from 'node:url';
import type { Knex } from 'knex';
import type { AuditTrail } from '../../core/audit.js';
import type { Clock } from '../../core/clock.js';
import { toIso } from '../../core/database.js';
import { HygieError } from '../../core/errors.js';
import { parseTrustList } from './trust-list-xml.js';

export interface TrustListInfo {
  source: string;
  generatedAt: string | null;
  loadedAt: string;
  domains: number;
}

export interface TrustListLoadResult extends TrustListInfo {
  added: number;
  removed: number;
  rejected: Array<{ value: string; reason: string }>;
}

export class TrustList {
  private readonly db: Knex;
  private readonly clock: Clock;
  private readonly audit: AuditTrail;
  private domains: Set<string> | undefined;

  constructor(options: { db: Knex; clock: Clock; audit: AuditTrail }) {
    this.db = options.db;
    this.clock = options.clock;
    this.audit = options.audit;
  }

  /** Loads the list from a file path or an https:// URL (its certificate chain must be trusted: pass `ca`). */
  async load(source: string, actor: string, options: { ca?: string } = {}): Promise<TrustListLoadResult> {
    const xml = /^https?:\/\//.test(source) ? await download(source, options.ca) : await readFile(source, 'utf8');
    const parsed = parseTrustList(xml);
    const now = toIso(this.clock.now());
    const result = await this.db.transaction(async (trx) => {
      const before = new Set<string>((await trx('trust_list_domains').select('domain')).map((r: { domain: string }) => r.domain));
      const next = new Set(parsed.domains);
      const added = parsed.domains.filter((d) => !before.has(d));
      const removed = [...before].filter((d) => !next.has(d));
      for (let i = 0; i < removed.length; i += 500) await trx('trust_list_domains').whereIn('domain', removed.slice(i, i + 500)).delete();
      for (let i = 0; i < added.length; i += 500) await trx('trust_list_domains').insert(added.slice(i, i + 500).map((domain) => ({ domain })));
      await trx('trust_list_loads').insert({
        source, generated_at: parsed.generatedAt, loaded_at: now, domains: next.size, added: added.length, removed: removed.length, actor,
      });
      await this.audit.record({
        action: 'trust-list.load', outcome: 'success', actor, subject: source,
        details: { generatedAt: parsed.generatedAt, domains: next.size, added: added.length, removed: removed.length, rejected: parsed.rejected.length },
      }, trx);
      return { added: added.length, removed: removed.length };
    });
    this.domains = new Set(parsed.domains);
    return { source, generatedAt: parsed.generatedAt, loadedAt: now, domains: parsed.domains.length, ...result, rejected: parsed.rejected };
  }

  /** Whether a domain (Unicode or ASCII, any case) is on the list. */
  async contains(domain: string): Promise<boolean> {
    const ascii = domainToASCII(domain.toLowerCase());
    return (await this.set()).has(ascii);
  }

  async info(): Promise<TrustListInfo | undefined> {
    const row = await this.db('trust_list_loads').orderBy('id', 'desc').first();
    return row ? { source: row.source, generatedAt: row.generated_at, loadedAt: row.loaded_at, domains: Number(row.domains) } : undefined;
  }

  async list(): Promise<string[]> {
    return [...(await this.set())].sort();
  }

  private async set(): Promise<Set<string>> {
    if (!this.domains) this.domains = new Set((await this.db('trust_list_domains').select('domain')).map((r: { domain: string }) => r.domain));
    return this.domains;
  }
}

async function download(url: string, ca: string | undefined): Promise<string> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { ...(ca ? { ca } : {}), timeout: 30_000 }, (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new HygieError('INVALID_INPUT', `could not fetch the trust list: ${url} answered ${res.statusCode}`));
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error: Error) => reject(new HygieError('INVALID_INPUT', `could not fetch the trust list from ${url}: ${error.message}`)));
    req.end();
  });
}
