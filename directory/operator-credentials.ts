/**
 * The operator API's credentials: bearer tokens (random, shown once, only their SHA-256
 * kept: a 256-bit random token needs no slow hash) and pinned client certificates
 * (the TLS handshake proves the key; the pin says whose it is). Creation and revocation
 * are audited; each use updates `last_used_at`.
 */
import { createHash, randomBytes, timingSafeEqual, X509Certificate } from 'node:crypto';
import type { Knex } from 'knex';
import type { AuditTrail } from '../core/audit.js';
import type { Clock } from '../core/clock.js';
import { toIso } from '../core/database.js';
import { HygieError } from '../core/errors.js';

export interface OperatorCredential {
  id: number;
  name: string;
  kind: 'token' | 'certificate';
  sha256: string;
  createdAt: string;
  createdBy: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const TOKEN_PREFIX = 'hyg_';
const NAME = /^[A-Za-z0-9._@-]{1,64}$/;

export class OperatorCredentials {
  private readonly db: Knex;
  private readonly clock: Clock;
  private readonly audit: AuditTrail;

  constructor(options: { db: Knex; clock: Clock; audit: AuditTrail }) {
    this.db = options.db;
    this.clock = options.clock;
    this.audit = options.audit;
  }

  /** A new token for `name`; the returned secret is never stored nor shown again. */
  async createToken(name: string, actor: string): Promise<{ credential: OperatorCredential; token: string }> {
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const credential = await this.add(name, 'token', sha256(Buffer.from(token)), actor);
    return { credential, token };
  }

  /** Pins a client certificate (PEM or DER) for `name`. */
  async addCertificate(name: string, certificate: string | Buffer, actor: string): Promise<OperatorCredential> {
    let der: Buffer;
    try {
      der = new X509Certificate(certificate).raw;
    } catch (error) {
      throw new HygieError('INVALID_INPUT', `not a certificate: ${(error as Error).message}`);
    }
    return this.add(name, 'certificate', sha256(der), actor);
  }

  async list(): Promise<OperatorCredential[]> {
    return (await this.db('operator_credentials').orderBy('id')).map(toCredential);
  }

  /** Revokes every live credential of `name`; returns how many. */
  async revoke(name: string, actor: string): Promise<number> {
    return this.db.transaction(async (trx) => {
      const count = await trx('operator_credentials').where({ name }).whereNull('revoked_at').update({ revoked_at: toIso(this.clock.now()) });
      if (count === 0) throw new HygieError('NOT_FOUND', `no live operator credential is named "${name}"`);
      await this.audit.record({ action: 'operator.credential-revoke', outcome: 'success', actor, subject: name, channel: 'cli', details: { count } }, trx);
      return count;
    });
  }

  /** The operator a bearer token belongs to, or undefined. */
  async verifyToken(token: string): Promise<OperatorCredential | undefined> {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    return this.use('token', sha256(Buffer.from(token)));
  }

  /** The operator a client certificate (DER, as TLS gave it) is pinned to, or undefined. */
  async verifyCertificate(der: Buffer): Promise<OperatorCredential | undefined> {
    return this.use('certificate', sha256(der));
  }

  private async use(kind: OperatorCredential['kind'], digest: string): Promise<OperatorCredential | undefined> {
    const row = await this.db('operator_credentials').where({ sha256: digest, kind }).whereNull('revoked_at').first();
    // The lookup is by digest; compare again in constant time so timing says nothing of near misses.
    if (!row || !timingSafeEqual(Buffer.from(row.sha256), Buffer.from(digest))) return undefined;
    await this.db('operator_credentials').where({ id: row.id }).update({ last_used_at: toIso(this.clock.now()) });
    return toCredential(row);
  }

  private async add(name: string, kind: OperatorCredential['kind'], digest: string, actor: string): Promise<OperatorCredential> {
    if (!NAME.test(name)) throw new HygieError('INVALID_INPUT', `operator name "${name}" must be 1 to 64 letters, digits, dots, dashes, underscores or @`);
    return this.db.transaction(async (trx) => {
      if (await trx('operator_credentials').where({ sha256: digest }).first()) {
        throw new HygieError('INVALID_INPUT', 'this certificate is already pinned');
      }
      await trx('operator_credentials').insert({ name, kind, sha256: digest, created_at: toIso(this.clock.now()), created_by: actor });
      await this.audit.record({ action: 'operator.credential-create', outcome: 'success', actor, subject: name, channel: 'cli', details: { kind, sha256: digest } }, trx);
      return toCredential(await trx('operator_credentials').where({ sha256: digest }).first());
    });
  }
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function toCredential(row: Record<string, unknown>): OperatorCredential {
  return {
    id: Number(row.id), name: String(row.name), kind: row.kind as OperatorCredential['kind'], sha256: String(row.sha256),
    createdAt: String(row.created_at), createdBy: String(row.created_by),
    lastUsedAt: (row.last_used_at as string | null) ?? null, revokedAt: (row.revoked_at as string | null) ?? null,
  };
}
