/**
 * Mailboxes, their addresses and credentials: the directory's domain logic, used by the
 * operator command line, the protocol front ends (authentication, address resolution)
 * and the LDAP service (published entries). Every change is audited.
 */
import type { Knex } from 'knex';
import type { AuditTrail } from '../core/audit.js';
import type { Clock } from '../core/clock.js';
import type { OperatorDomains } from '../core/config.js';
import { toIso } from '../core/database.js';
import { HygieError } from '../core/errors.js';
import { knexKeyReads, type KeyReads } from '../core/key-reads.js';
import { normaliseAddress, personalAddresses } from './addressing.js';
import { AuthLimiter } from './auth-limiter.js';
import { requireProfessional, requireStructure } from './directory-refs.js';
import { recordMailboxEvent } from './mailbox-events.js';
import { insertedId, mailboxById, summariesOf } from './mailbox-rows.js';
import { parseAdeli, parseRpps } from './identifiers.js';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.js';
import type {
  AuthContext, AuthenticatedUser, Authenticator, MailboxAddress, MailboxSummary, PublishedDirectory, PublishedEntry,
} from './types.js';

export interface MailboxServiceOptions {
  db: Knex;
  clock: Clock;
  audit: AuditTrail;
  domains: OperatorDomains;
  auth: { maxFailures: number; windowSeconds: number };
  onConnection?: ConnectionHook;
  /** Reads by address or id on every message (a read-only connection of their own on SQLite: core/key-reads.ts); knex's pool without it. */
  reads?: KeyReads;
}

export interface NewPersonalMailbox {
  /** Without `professional`, the names are required; with it, they default to the registry's. */
  firstName?: string;
  lastName?: string;
  rpps?: string;
  adeli?: string;
  profession?: string;
  /**
   * The professional in the directory (RPPS, ADELI or national identifier): the box is
   * created from the registry entry and linked to it, so the LDAP entry and search show it.
   */
  professional?: string;
  password: string;
  notificationAddress?: string;
  /**
   * Another person with the same names: number the addresses (jean.martin2…). Without it
   * a name already in use is refused, so that running the same creation twice does not
   * make a second mailbox for one person.
   */
  namesake?: boolean;
  /** Who asks, for the audit trail (`operator:<name>`). */
  actor: string;
  channel?: AuthContext['channel'];
}

export interface NewServiceMailbox {
  /** ORG: a service or team box; APP: software sending and receiving automatically. */
  type: 'ORG' | 'APP';
  /** Left of the @, the same in every network: `cardiologie.ch-brest`, `noreply-biologie`. */
  localPart: string;
  displayName: string;
  description?: string;
  /** FINESS, SIRET or technical id of the structure the box belongs to. */
  structure?: string;
  /** RPPS / ADELI / national id of the professional responsible for the box. */
  responsible?: string;
  /** ORG boxes: people log in as themselves (members); a password is optional. APP: optional too. */
  password?: string;
  /** APP: SHA-256 fingerprint (hex) of the client certificate the software authenticates with. */
  clientCertificateSha256?: string;
  notificationAddress?: string;
  actor: string;
  channel?: AuthContext['channel'];
}

export interface ResolvedAddress {
  mailboxId: number;
  address: string;
  network: MailboxAddress['network'];
  /** A deleted box keeps its addresses (so that nobody else takes them) but receives nothing. */
  deleted: boolean;
}

/** Called inside the authentication transaction after a successful login (the lifecycle republishes there). */
export type ConnectionHook = (trx: Knex.Transaction, mailboxId: number, now: Date) => Promise<unknown>;

const USE_RECORD_INTERVAL_MS = 3600_000;

/** How many namesakes (jean.martin, jean.martin2, …) we try before giving up. */
const MAX_NAMESAKES = 99;

const SERVICE_LOCAL_PART = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;

export class MailboxService implements Authenticator, PublishedDirectory {
  private readonly db: Knex;
  private readonly reads: KeyReads;
  private readonly clock: Clock;
  private readonly audit: AuditTrail;
  private readonly domains: OperatorDomains;
  private readonly limiter: AuthLimiter;
  private onConnection: ConnectionHook | undefined;
  private readonly usesRecorded = new Map<number, number>();

  constructor(options: MailboxServiceOptions) {
    this.db = options.db;
    this.reads = options.reads ?? knexKeyReads(options.db);
    this.clock = options.clock;
    this.audit = options.audit;
    this.domains = options.domains;
    this.limiter = new AuthLimiter({ ...options.auth, clock: options.clock });
    this.onConnection = options.onConnection;
  }

  /** The lifecycle engine is built after this service; the composition root connects them. */
  setConnectionHook(hook: ConnectionHook): void {
    this.onConnection = hook;
  }

  async createPersonalMailbox(input: NewPersonalMailbox): Promise<MailboxSummary> {
    const professional = input.professional ? await requireProfessional(this.db, input.professional) : undefined;
    const firstName = (input.firstName ?? professional?.firstName ?? '').trim();
    const lastName = (input.lastName ?? professional?.lastName ?? '').trim();
    if (!firstName || !lastName) throw new HygieError('INVALID_INPUT', 'first name and last name are required');
    const rpps = input.rpps ? parseRpps(input.rpps) : professional?.idType === '8' ? professional.identifier : null;
    const adeli = input.adeli ? parseAdeli(input.adeli) : professional?.idType === '0' ? professional.identifier : null;
    const problem = passwordProblem(input.password);
    if (problem) throw new HygieError('INVALID_INPUT', problem);
    const notificationAddress = input.notificationAddress ? checkedNotificationAddress(input.notificationAddress) : null;
    const isHealth = rpps !== null || adeli !== null;
    const secret = await hashPassword(input.password);
    const now = toIso(this.clock.now());

    const id = await this.db.transaction(async (trx) => {
      await this.refuseDuplicateIdentity(trx, rpps, adeli);
      const addresses = await this.freeAddresses(trx, firstName, lastName, isHealth, input.namesake ?? false);
      const [row] = await trx('mailboxes').insert({
        type: 'PER', display_name: `${firstName} ${lastName}`, first_name: firstName, last_name: lastName,
        rpps, adeli, profession: input.profession?.trim() || professional?.profession || null, is_health: isHealth, published: true,
        created_at: now, last_login_at: null, professional_id: professional?.id ?? null, notification_address: notificationAddress,
      }).returning('id');
      const mailboxId = insertedId(row);
      await trx('addresses').insert(addresses.map((a) => ({ mailbox_id: mailboxId, address: a.address, network: a.network })));
      await trx('credentials').insert({ mailbox_id: mailboxId, kind: 'password', secret, updated_at: now });
      const details = { type: 'PER', rpps, adeli, professional: professional?.nationalId ?? null, addresses: addresses.map((a) => a.address) };
      await recordMailboxEvent(trx, { mailboxId, at: now, kind: 'created', actor: input.actor, details });
      await this.audit.record({ action: 'mailbox.create', outcome: 'success', actor: input.actor, subject: String(mailboxId), channel: input.channel ?? 'cli', details }, trx);
      return mailboxId;
    });
    return this.requireMailbox(id);
  }

  /** An organisational or applicative box: one local part in the regional and MSSanté domains. */
  async createServiceMailbox(input: NewServiceMailbox): Promise<MailboxSummary> {
    const localPart = input.localPart.trim().toLowerCase();
    if (!SERVICE_LOCAL_PART.test(localPart)) {
      throw new HygieError('INVALID_INPUT', `"${input.localPart}" is not a valid address local part (letters, digits, dots, dashes, underscores)`);
    }
    const displayName = input.displayName.trim();
    if (!displayName) throw new HygieError('INVALID_INPUT', 'a display name is required');
    if (input.password !== undefined) {
      const problem = passwordProblem(input.password);
      if (problem) throw new HygieError('INVALID_INPUT', problem);
    }
    const fingerprint = input.clientCertificateSha256?.replace(/:/g, '').toLowerCase();
    if (fingerprint !== undefined && !/^[0-9a-f]{64}$/.test(fingerprint)) {
      throw new HygieError('INVALID_INPUT', 'the client certificate fingerprint must be a SHA-256 in hex');
    }
    const structure = input.structure ? await requireStructure(this.db, input.structure) : undefined;
    const responsible = input.responsible ? await requireProfessional(this.db, input.responsible) : undefined;
    const notificationAddress = input.notificationAddress ? checkedNotificationAddress(input.notificationAddress) : null;
    const secret = input.password !== undefined ? await hashPassword(input.password) : undefined;
    const now = toIso(this.clock.now());
    const addresses: MailboxAddress[] = [
      { address: `${localPart}@${this.domains.regional}`.toLowerCase(), network: 'regional' },
      { address: `${localPart}@${this.domains.mssante}`.toLowerCase(), network: 'mssante' },
    ];

    const id = await this.db.transaction(async (trx) => {
      const taken = await trx('addresses').whereIn('address', addresses.map((a) => a.address)).first();
      if (taken) throw new HygieError('ADDRESS_TAKEN', `${taken.address} already belongs to mailbox ${taken.mailbox_id}`);
      const [row] = await trx('mailboxes').insert({
        type: input.type, display_name: displayName, first_name: null, last_name: null, rpps: null, adeli: null,
        profession: null, is_health: true, published: true, created_at: now, last_login_at: null,
        professional_id: responsible?.id ?? null, structure_id: structure?.id ?? null,
        description: input.description?.trim() || null, notification_address: notificationAddress,
      }).returning('id');
      const mailboxId = insertedId(row);
      await trx('addresses').insert(addresses.map((a) => ({ mailbox_id: mailboxId, address: a.address, network: a.network })));
      if (secret) await trx('credentials').insert({ mailbox_id: mailboxId, kind: 'password', secret, updated_at: now });
      if (fingerprint) await trx('credentials').insert({ mailbox_id: mailboxId, kind: 'client-certificate', secret: fingerprint, updated_at: now });
      const details = {
        type: input.type, structure: structure?.technicalId ?? null, responsible: responsible?.nationalId ?? null,
        addresses: addresses.map((a) => a.address), clientCertificate: fingerprint ?? null,
      };
      await recordMailboxEvent(trx, { mailboxId, at: now, kind: 'created', actor: input.actor, details });
      await this.audit.record({ action: 'mailbox.create', outcome: 'success', actor: input.actor, subject: String(mailboxId), channel: input.channel ?? 'cli', details }, trx);
      return mailboxId;
    });
    return this.requireMailbox(id);
  }

  /** The usual (non-secure) address for notices; null removes it. */
  async setNotificationAddress(idOrAddress: number | string, address: string | null, actor: string): Promise<MailboxSummary> {
    const mailbox = await this.requireMailbox(idOrAddress);
    const value = address === null ? null : checkedNotificationAddress(address);
    await this.db.transaction(async (trx) => {
      await trx('mailboxes').where({ id: mailbox.id }).update({ notification_address: value });
      await recordMailboxEvent(trx, { mailboxId: mailbox.id, at: toIso(this.clock.now()), kind: 'updated', actor, details: { notificationAddress: value } });
      await this.audit.record({ action: 'mailbox.update', outcome: 'success', actor, subject: String(mailbox.id), details: { notificationAddress: value } }, trx);
    });
    return this.requireMailbox(mailbox.id);
  }

  async listMailboxes(): Promise<MailboxSummary[]> {
    const rows = await this.db('mailboxes').orderBy('id');
    return summariesOf(this.db, rows);
  }

  /** A mailbox by id or by any of its addresses. */
  async findMailbox(idOrAddress: number | string): Promise<MailboxSummary | undefined> {
    let id: number | undefined;
    if (typeof idOrAddress === 'number') id = idOrAddress;
    else id = (await this.resolveAddress(idOrAddress))?.mailboxId;
    if (id === undefined) return undefined;
    return mailboxById(this.reads, id);
  }

  async requireMailbox(idOrAddress: number | string): Promise<MailboxSummary> {
    const found = await this.findMailbox(idOrAddress);
    if (!found) throw new HygieError('MAILBOX_NOT_FOUND', `no mailbox has the address or id "${idOrAddress}"`);
    return found;
  }

  async resolveAddress(address: string): Promise<ResolvedAddress | undefined> {
    const [row] = await this.reads.rows<{ mailbox_id: number; address: string; network: MailboxAddress['network']; status: string }>(
      'SELECT a.mailbox_id, a.address, a.network, m.status FROM addresses a JOIN mailboxes m ON m.id = a.mailbox_id WHERE a.address = ?', [normaliseAddress(address)]);
    return row ? { mailboxId: Number(row.mailbox_id), address: row.address, network: row.network, deleted: row.status === 'deleted' } : undefined;
  }

  async resetPassword(idOrAddress: number | string, password: string, actor: string): Promise<void> {
    const mailbox = await this.requireMailbox(idOrAddress);
    if (mailbox.status === 'deleted') throw new HygieError('MAILBOX_DELETED', `mailbox ${mailbox.id} was deleted on ${mailbox.deletedAt}`);
    const problem = passwordProblem(password);
    if (problem) throw new HygieError('INVALID_INPUT', problem);
    const secret = await hashPassword(password);
    await this.db.transaction(async (trx) => {
      await trx('credentials').where({ mailbox_id: mailbox.id, kind: 'password' }).delete();
      await trx('credentials').insert({ mailbox_id: mailbox.id, kind: 'password', secret, updated_at: toIso(this.clock.now()) });
      await recordMailboxEvent(trx, { mailboxId: mailbox.id, at: toIso(this.clock.now()), kind: 'credentials-reset', actor });
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

    const found = await this.resolveAddress(normalised);
    const resolved = found && !found.deleted ? found : undefined;
    const credential = resolved
      ? await this.db('credentials').where({ mailbox_id: resolved.mailboxId, kind: 'password' }).first()
      : undefined;
    if (!resolved || !credential || !(await verifyPassword(password, credential.secret))) {
      this.limiter.recordFailure(keys);
      return refuse('AUTH_FAILED', resolved ? 'wrong password' : found ? 'mailbox deleted' : 'unknown login');
    }
    this.limiter.recordSuccess(keys);

    // A successful authentication is a "connection" for the lifecycle rules; it republishes too.
    await this.db.transaction(async (trx) => {
      await this.recordConnection(trx, resolved.mailboxId);
      await this.audit.record({
        action: 'auth.login', outcome: 'success', actor: normalised, subject: String(resolved.mailboxId),
        channel: context.channel, remoteAddress: context.remoteAddress,
      }, trx);
    });
    const mailbox = await this.requireMailbox(resolved.mailboxId);
    return { mailboxId: mailbox.id, login: normalised, displayName: mailbox.displayName, addresses: mailbox.addresses };
  }

  /**
   * A connection to a box by someone else than its owner login: a member opening an
   * organisational box, a delegate sending for it. It counts for the lifecycle rules, as
   * the owner's login does (an organisational box has no login of its own).
   */
  async recordUse(mailboxId: number): Promise<void> {
    // Every IMAP command on a shared box lands here: one write an hour per box is plenty for rules counted in days.
    const now = this.clock.now().getTime();
    if (now - (this.usesRecorded.get(mailboxId) ?? 0) < USE_RECORD_INTERVAL_MS) return;
    this.usesRecorded.set(mailboxId, now);
    await this.db.transaction((trx) => this.recordConnection(trx, mailboxId));
  }

  /** The connection time the lifecycle rules count, and what the lifecycle does on a connection (republish). */
  private async recordConnection(trx: Knex.Transaction, mailboxId: number): Promise<void> {
    const now = this.clock.now();
    await trx('mailboxes').where({ id: mailboxId, status: 'active' }).update({ last_login_at: toIso(now) });
    await this.onConnection?.(trx, mailboxId, now);
  }

  async listPublished(): Promise<PublishedEntry[]> {
    const rows = await this.db('mailboxes').where({ published: true, status: 'active' }).orderBy('id');
    return (await summariesOf(this.db, rows)).map((m) => ({
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
}

function checkedNotificationAddress(address: string): string {
  const value = normaliseAddress(address);
  if (!/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(value)) throw new HygieError('INVALID_INPUT', `"${address}" is not a valid e-mail address`);
  return value;
}
