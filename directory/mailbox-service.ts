/**
 * Mailboxes, their addresses and credentials: the directory's domain logic, used by the
 * operator command line, the protocol front ends (authentication, address resolution)
 * and the LDAP service (published entries). Every change is audited.
 */
import type { Knex } from 'knex';
import type { AuditTrail } from '../core/audit.js';
import type { Clock } from '../core/clock.js';
import type { OperatorDomains } from '../core/config.js';
import { toBoolean, toIso } from '../core/database.js';
import { HygieError } from '../core/errors.js';
import { normaliseAddress, personalAddresses } from './addressing.js';
import { AuthLimiter } from './auth-limiter.js';
import { parseAdeli, parseRpps } from './identifiers.js';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.js';
import type {
  AuthContext, AuthenticatedUser, Authenticator, MailboxAddress, MailboxSummary, MailboxType,
  PublishedDirectory, PublishedEntry,
} from './types.js';

export interface MailboxServiceOptions {
  db: Knex;
  clock: Clock;
  audit: AuditTrail;
  domains: OperatorDomains;
  auth: { maxFailures: number; windowSeconds: number };
}

export interface NewPersonalMailbox {
  firstName: string;
  lastName: string;
  rpps?: string;
  adeli?: string;
  profession?: string;
  password: string;
  /**
   * Another person with the same names: number the addresses (jean.martin2…). Without it
   * a name already in use is refused, so that running the same creation twice does not
   * make a second mailbox for one person.
   */
  namesake?: boolean;
  /** Who asks, for the audit trail (`operator:<name>`). */
  actor: string;
}

export interface ResolvedAddress {
  mailboxId: number;
  address: string;
  network: MailboxAddress['network'];
}

/** How many namesakes (jean.martin, jean.martin2, …) we try before giving up. */
const MAX_NAMESAKES = 99;

export class MailboxService implements Authenticator, PublishedDirectory {
  private readonly db: Knex;
  private readonly clock: Clock;
  private readonly audit: AuditTrail;
  private readonly domains: OperatorDomains;
  private readonly limiter: AuthLimiter;

  constructor(options: MailboxServiceOptions) {
    this.db = options.db;
    this.clock = options.clock;
    this.audit = options.audit;
    this.domains = options.domains;
    this.limiter = new AuthLimiter({ ...options.auth, clock: options.clock });
  }

  async createPersonalMailbox(input: NewPersonalMailbox): Promise<MailboxSummary> {
    const firstName = input.firstName.trim();
    const lastName = input.lastName.trim();
    if (!firstName || !lastName) throw new HygieError('INVALID_INPUT', 'first name and last name are required');
    const rpps = input.rpps ? parseRpps(input.rpps) : null;
    const adeli = input.adeli ? parseAdeli(input.adeli) : null;
    const problem = passwordProblem(input.password);
    if (problem) throw new HygieError('INVALID_INPUT', problem);
    const isHealth = rpps !== null || adeli !== null;
    const secret = await hashPassword(input.password);
    const now = toIso(this.clock.now());

    const id = await this.db.transaction(async (trx) => {
      await this.refuseDuplicateIdentity(trx, rpps, adeli);
      const addresses = await this.freeAddresses(trx, firstName, lastName, isHealth, input.namesake ?? false);
      const [row] = await trx('mailboxes').insert({
        type: 'PER', display_name: `${firstName} ${lastName}`, first_name: firstName, last_name: lastName,
        rpps, adeli, profession: input.profession?.trim() || null, is_health: isHealth, published: true,
        created_at: now, last_login_at: null,
      }).returning('id');
      const mailboxId = Number(typeof row === 'object' ? row.id : row);
      await trx('addresses').insert(addresses.map((a) => ({ mailbox_id: mailboxId, address: a.address, network: a.network })));
      await trx('credentials').insert({ mailbox_id: mailboxId, kind: 'password', secret, updated_at: now });
      await this.audit.record({
        action: 'mailbox.create', outcome: 'success', actor: input.actor, subject: String(mailboxId), channel: 'cli',
        details: { type: 'PER', rpps, adeli, addresses: addresses.map((a) => a.address) },
      }, trx);
      return mailboxId;
    });
    return this.requireMailbox(id);
  }

  async listMailboxes(): Promise<MailboxSummary[]> {
    const rows = await this.db('mailboxes').orderBy('id');
    return this.withAddresses(rows);
  }

  /** A mailbox by id or by any of its addresses. */
  async findMailbox(idOrAddress: number | string): Promise<MailboxSummary | undefined> {
    let id: number | undefined;
    if (typeof idOrAddress === 'number') id = idOrAddress;
    else id = (await this.resolveAddress(idOrAddress))?.mailboxId;
    if (id === undefined) return undefined;
    const rows = await this.db('mailboxes').where({ id });
    return (await this.withAddresses(rows))[0];
  }

  async requireMailbox(idOrAddress: number | string): Promise<MailboxSummary> {
    const found = await this.findMailbox(idOrAddress);
    if (!found) throw new HygieError('MAILBOX_NOT_FOUND', `no mailbox has the address or id "${idOrAddress}"`);
    return found;
  }

  async resolveAddress(address: string): Promise<ResolvedAddress | undefined> {
    const row = await this.db('addresses').where({ address: normaliseAddress(address) }).first();
    return row ? { mailboxId: Number(row.mailbox_id), address: row.address, network: row.network } : undefined;
  }

  async resetPassword(idOrAddress: number | string, password: string, actor: string): Promise<void> {
    const mailbox = await this.requireMailbox(idOrAddress);
    const problem = passwordProblem(password);
    if (problem) throw new HygieError('INVALID_INPUT', problem);
    const secret = await hashPassword(password);
    await this.db.transaction(async (trx) => {
      await trx('credentials').where({ mailbox_id: mailbox.id, kind: 'password' }).delete();
      await trx('credentials').insert({ mailbox_id: mailbox.id, kind: 'password', secret, updated_at: toIso(this.clock.now()) });
      await this.audit.record({ action: 'mailbox.password-reset', outcome: 'success', actor, subject: String(mailbox.id), channel: 'cli' }, trx);
    });
  }

  async authenticate(login: string, password: string, context: AuthContext): Promise<AuthenticatedUser> {
    const normalised = normaliseAddress(login);
    const keys = [`login:${normalised}`, ...(context.remoteAddress ? [`ip:${context.remoteAddress}`] : [])];
    const refuse = async (code: 'AUTH_FAILED' | 'AUTH_RATE_LIMITED', reason: string): Promise<never> => {
      await this.audit.record({
        action: 'auth.login', outcome: 'failure', actor: normalised, channel: context.channel,
        remoteAddress: context.remoteAddress, details: { reason },
      });
      throw new HygieError(code);
    };
    if (this.limiter.isBlocked(keys)) return refuse('AUTH_RATE_LIMITED', 'too many failures');

    const resolved = await this.resolveAddress(normalised);
    const credential = resolved
      ? await this.db('credentials').where({ mailbox_id: resolved.mailboxId, kind: 'password' }).first()
      : undefined;
    if (!resolved || !credential || !(await verifyPassword(password, credential.secret))) {
      this.limiter.recordFailure(keys);
      return refuse('AUTH_FAILED', resolved ? 'wrong password' : 'unknown login');
    }
    this.limiter.recordSuccess(keys);

    // A successful authentication is a "connection" for the lifecycle rules; it republishes too.
    await this.db.transaction(async (trx) => {
      await trx('mailboxes').where({ id: resolved.mailboxId }).update({ last_login_at: toIso(this.clock.now()) });
      await this.audit.record({
        action: 'auth.login', outcome: 'success', actor: normalised, subject: String(resolved.mailboxId),
        channel: context.channel, remoteAddress: context.remoteAddress,
      }, trx);
    });
    const mailbox = await this.requireMailbox(resolved.mailboxId);
    return { mailboxId: mailbox.id, login: normalised, displayName: mailbox.displayName, addresses: mailbox.addresses };
  }

  async listPublished(): Promise<PublishedEntry[]> {
    const rows = await this.db('mailboxes').where({ published: true }).orderBy('id');
    return (await this.withAddresses(rows)).map((m) => ({
      mailboxId: m.id, type: m.type, displayName: m.displayName, firstName: m.firstName, lastName: m.lastName,
      rpps: m.rpps, adeli: m.adeli, profession: m.profession, addresses: m.addresses,
    }));
  }

  private async refuseDuplicateIdentity(trx: Knex.Transaction, rpps: string | null, adeli: string | null): Promise<void> {
    if (rpps && await trx('mailboxes').where({ rpps, type: 'PER' }).first()) {
      throw new HygieError('MAILBOX_DUPLICATE', `a personal mailbox already exists for RPPS ${rpps}`);
    }
    if (adeli && await trx('mailboxes').where({ adeli, type: 'PER' }).first()) {
      throw new HygieError('MAILBOX_DUPLICATE', `a personal mailbox already exists for ADELI ${adeli}`);
    }
  }

  /** The plain addresses if free; with `namesake`, the first numbered set whose addresses are all free. */
  private async freeAddresses(trx: Knex.Transaction, firstName: string, lastName: string, isHealth: boolean, namesake: boolean): Promise<MailboxAddress[]> {
    for (let suffix = 1; suffix <= MAX_NAMESAKES; suffix++) {
      const candidates = personalAddresses({ firstName, lastName, isHealthProfessional: isHealth, domains: this.domains, suffix });
      if (candidates.some((c) => !/^[a-z0-9][a-z0-9.-]*@/.test(c.address))) {
        throw new HygieError('INVALID_INPUT', `cannot build an address from the names "${firstName}" "${lastName}"`);
      }
      const rows: Array<{ address: string; mailbox_id: number }> = await trx('addresses').whereIn('address', candidates.map((c) => c.address));
      const taken = candidates.map((c) => rows.find((row) => row.address === c.address)).find((row) => row !== undefined);
      if (!taken) return candidates;
      if (!namesake) {
        throw new HygieError('ADDRESS_TAKEN', `${taken.address} already belongs to mailbox ${taken.mailbox_id}; if this is another person with the same names, create it as a namesake (numbered addresses)`);
      }
    }
    throw new HygieError('ADDRESS_TAKEN', `more than ${MAX_NAMESAKES} mailboxes are named ${firstName} ${lastName}`);
  }

  private async withAddresses(rows: MailboxRow[]): Promise<MailboxSummary[]> {
    if (rows.length === 0) return [];
    const addressRows = await this.db('addresses').whereIn('mailbox_id', rows.map((r) => r.id)).orderBy('id');
    const byMailbox = new Map<number, MailboxAddress[]>();
    for (const a of addressRows) {
      const list = byMailbox.get(Number(a.mailbox_id)) ?? [];
      list.push({ address: a.address, network: a.network });
      byMailbox.set(Number(a.mailbox_id), list);
    }
    return rows.map((row) => ({
      id: Number(row.id),
      type: row.type,
      displayName: row.display_name,
      firstName: row.first_name,
      lastName: row.last_name,
      rpps: row.rpps,
      adeli: row.adeli,
      profession: row.profession,
      isHealthProfessional: toBoolean(row.is_health),
      published: toBoolean(row.published),
      createdAt: row.created_at,
      lastLoginAt: row.last_login_at,
      addresses: byMailbox.get(Number(row.id)) ?? [],
    }));
  }
}

interface MailboxRow {
  id: number;
  type: MailboxType;
  display_name: string;
  first_name: string | null;
  last_name: string | null;
  rpps: string | null;
  adeli: string | null;
  profession: string | null;
  is_health: number | boolean;
  published: number | boolean;
  created_at: string;
  last_login_at: string | null;
}
