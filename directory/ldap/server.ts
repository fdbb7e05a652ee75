/**
 * The read-only LDAP service of the healthcare directory, for address books and mail
 * clients.
 *
 * The one place ldapjs runs (with ldapjs-adapter.ts): it parses the protocol and hands
 * us requests; everything else (tree, filters, scopes, limits, paging) is ours, and the
 * replies to searches are encoded by ber.ts. Rules: anonymous clients see what the
 * directory publishes, nothing more; an operator bind (DN and password from the
 * options) sees every entry with its state; other binds with credentials are refused;
 * every write is refused. Searches read the database as it is now (through
 * entry-source.ts), so an unpublished box vanishes from the next search.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Knex } from 'knex';
import ldapjs, { type ServerOptions } from 'ldapjs';
import type { AuditTrail } from '../../core/audit.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { HygieError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { AuthLimiter } from '../auth-limiter.js';
import type { CertificateLookup } from './attributes.js';
import { pagedResultsValue, searchResultDone, searchResultEntry } from './ber.js';
import { runCompare } from './compare.js';
import { normaliseDn } from './dn.js';
import type { Viewer } from './entries.js';
import { EntrySource } from './entry-source.js';
import { filterToString } from './filter.js';
import {
  IMPLEMENTED_CONTROLS, MAX_FILTER_DEPTH, boundDnOf, filterDepth, filterFromLdapjs, pagedResultsFromLdapjs, scopeFromLdapjs,
  type LdapjsBindRequest, type LdapjsCompareRequest, type LdapjsConnection, type LdapjsNext, type LdapjsRequest, type LdapjsResponse,
  type LdapjsSearchRequest, type LdapjsWriteRequest,
} from './ldapjs-adapter.js';
import { LdapResultCode } from './result-codes.js';
import { PAGED_RESULTS_OID, checkBaseDn } from './schema.js';
import { runSearch, type SearchLimits } from './search.js';
import { DirectoryTree } from './tree.js';

export interface LdapServerOptions {
  /** The directory's database (SQLite or PostgreSQL), migrated with `ldapMigrations` too. */
  db: Knex;
  /** Suffix of the tree, e.g. `dc=esante-demo,dc=test` (config `ldap.baseDn`). */
  baseDn: string;
  logger: Logger;
  /** Most entries one search (or one page) returns, whatever the client asks; beyond it, sizeLimitExceeded. */
  sizeLimit?: number;
  /** Longest a search runs, whatever the client asks; beyond it, timeLimitExceeded with what was found. */
  timeLimitMs?: number;
  /** Most candidate entries a search examines before the filter is judged too broad (unwillingToPerform). */
  scanLimit?: number;
  /** `o` of the suffix entry (config `operator.name`); defaults to the first RDN's value. */
  organisationName?: string;
  /** Idle connections are closed after this long. */
  idleTimeoutMs?: number;
  /** The operators' bind: who binds with this DN and password sees every entry, unpublished and vanished ones too. */
  operator?: { dn: string; password: string };
  /** Encryption certificates of addresses (DER), published as userCertificate;binary and userSMIMECertificate. */
  certificates?: CertificateLookup;
  /** Failed binds allowed per client address (and on the operator DN) in the window. */
  bindLimits?: { maxFailures: number; windowSeconds: number };
  clock?: Clock;
  /** Operator binds, successful or not, are audited when given. */
  audit?: AuditTrail;
}

export const DEFAULT_SIZE_LIMIT = 500;
export const DEFAULT_TIME_LIMIT_MS = 10_000;
export const DEFAULT_SCAN_LIMIT = 10_000;
const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;
const DEFAULT_BIND_LIMITS = { maxFailures: 5, windowSeconds: 300 };
/** Largest request we buffer (OpenLDAP's default for anonymous clients); read requests are tiny. */
const MAX_REQUEST_BYTES = 256 * 1024;
/** Every LDAPMessage is a BER SEQUENCE. */
const BER_SEQUENCE = 0x30;

/** The ldapjs server members we use beyond @types/ldapjs (which lacks them). */
interface LdapjsServer {
  newConnection(socket: Socket): void;
  address(): { port: number } | string | null;
  listen(port: number, host: string, callback: () => void): void;
  close(callback: (error?: Error) => void): void;
  on(event: 'error' | 'clientError', listener: (error: Error) => void): void;
  once(event: 'error', listener: (error: Error) => void): void;
  off(event: 'error', listener: (error: Error) => void): void;
  bind(dn: string, handler: Handler): void;
  search(dn: string, handler: Handler): void;
  compare(dn: string, handler: Handler): void;
  add(dn: string, handler: Handler): void;
  modify(dn: string, handler: Handler): void;
  del(dn: string, handler: Handler): void;
  modifyDN(dn: string, handler: Handler): void;
}

type Handler = (req: never, res: LdapjsResponse, next: LdapjsNext) => void;

/** ldapjs hangs its message parser on the socket; `buffer` holds the bytes of an incomplete request. */
type ParsedSocket = Socket & { parser?: { buffer: Buffer | null } };

/** ldapjs routes by DN suffix; we mount everything at the root and check DNs ourselves. */
const ALL_DNS = '';

export class LdapServer {
  private readonly db: Knex;
  private readonly baseDn: string;
  private readonly log: Logger;
  private readonly limits: SearchLimits;
  private readonly organisationName: string | undefined;
  private readonly idleTimeoutMs: number;
  private readonly operator: { key: string; passwordDigest: Buffer } | undefined;
  private readonly certificates: CertificateLookup | undefined;
  private readonly bindLimiter: AuthLimiter;
  private readonly audit: AuditTrail | undefined;
  private readonly server: LdapjsServer;
  private readonly sockets = new Set<Socket>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Connections whose last bind was a successful operator bind. */
  private readonly operatorConnections = new WeakSet<object>();
  private source: EntrySource | undefined;
  private tree: DirectoryTree | undefined;

  constructor(options: LdapServerOptions) {
    this.db = options.db;
    this.baseDn = checkBaseDn(options.baseDn);
    this.log = options.logger;
    this.limits = {
      sizeLimit: options.sizeLimit ?? DEFAULT_SIZE_LIMIT,
      timeLimitMs: options.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS,
      scanLimit: options.scanLimit ?? DEFAULT_SCAN_LIMIT,
    };
    this.organisationName = options.organisationName;
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.operator = options.operator ? {
      key: normaliseDn(options.operator.dn) || invalidConfig(`the LDAP operator DN "${options.operator.dn}" is not a valid DN`),
      passwordDigest: digest(options.operator.password),
    } : undefined;
    this.certificates = options.certificates;
    this.bindLimiter = new AuthLimiter({ ...(options.bindLimits ?? DEFAULT_BIND_LIMITS), clock: options.clock ?? systemClock });
    this.audit = options.audit;

    // No `log` option on purpose: ldapjs's debug lines dump whole requests, bind passwords included.
    const server = ldapjs.createServer({
      connectionRouter: (socket: Socket) => this.accept(socket),
    } as ServerOptions) as unknown as LdapjsServer;
    this.server = server;
    // Without this listener a malformed request (ldapjs reports it as a server 'error') would
    // crash the process. Clients' garbage is their problem (debug); anything else is ours (warn).
    server.on('error', (error) => {
      if (error.message.startsWith('Parser error')) this.log.debug('ldap malformed request', { error });
      else this.log.warn('ldap server error', { error });
    });
    server.on('clientError', (error) => this.log.debug('ldap client error', { error }));

    server.bind(ALL_DNS, this.handler('bind', (req: LdapjsBindRequest, res) => this.onBind(req, res)));
    server.search(ALL_DNS, this.handler('search', (req: LdapjsSearchRequest, res) => this.onSearch(req, res)));
    server.compare(ALL_DNS, this.handler('compare', (req: LdapjsCompareRequest, res) => this.onCompare(req, res)));
    for (const mount of [server.add, server.modify, server.del, server.modifyDN]) {
      mount.call(server, ALL_DNS, this.handler('write', (req: LdapjsWriteRequest, res) => this.refuseWrite(req, res)));
    }
  }

  /** Opens the directory's read model, then listens; resolves with the actual port (useful with port 0). */
  async listen(port: number, host: string): Promise<number> {
    if (!this.source) {
      this.source = await EntrySource.open(this.db, this.baseDn, this.log);
      // In the background: until it is done, substring searches scan (within the scan limit).
      this.source.refreshTextIndex().catch((error: unknown) => this.log.warn('ldap text index refresh failed', { error }));
    }
    this.tree ??= new DirectoryTree(this.baseDn, this.source, this.organisationName);
    return new Promise((resolve, reject) => {
      const failed = (error: Error) => reject(error);
      this.server.once('error', failed);
      this.server.listen(port, host, () => {
        this.server.off('error', failed);
        const address = this.server.address();
        const actual = typeof address === 'object' && address ? address.port : port;
        this.log.info('ldap listening', { host, port: actual, baseDn: this.baseDn, database: this.source!.dialect });
        resolve(actual);
      });
    });
  }

  /**
   * Brings the SQLite trigram index of substring searches up to date now (it also
   * refreshes by itself, seconds after the registry tables change). Call it after an
   * import to make the new names searchable at once.
   */
  async refreshTextIndex(): Promise<void> {
    await this.source?.refreshTextIndex();
  }

  /** Stops accepting, drops open connections and waits for operations in progress (they may use the database). */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await Promise.allSettled([...this.inFlight]);
    await closed;
    await this.source?.close();
    this.source = undefined;
    this.tree = undefined;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.setTimeout(this.idleTimeoutMs); // ldapjs destroys the socket on 'timeout'
    // An entry and its result go out as two writes: without this, Nagle's algorithm and the
    // client's delayed ACK hold the second for 40 ms (182 searches/s instead of 10 000).
    socket.setNoDelay(true);
    this.server.newConnection(socket);
    this.guard(socket as ParsedSocket);
  }

  /**
   * ldapjs buffers a request until its announced length has arrived, whatever that length
   * and whatever the first byte: a client could make it hold gigabytes, or wait forever on
   * bytes that are not LDAP. After ldapjs's own 'data' listener has run, look at what it
   * kept (`parser.buffer`, an ldapjs internal) and drop such connections.
   */
  private guard(socket: ParsedSocket): void {
    socket.on('data', () => {
      const pending = socket.parser?.buffer;
      if (!pending || pending.length === 0) return;
      const reason = pending[0] !== BER_SEQUENCE ? 'not an LDAP message'
        : pending.length > MAX_REQUEST_BYTES ? `request over ${MAX_REQUEST_BYTES} bytes` : undefined;
      if (!reason) return;
      this.log.debug('ldap malformed request', { client: socket.remoteAddress, reason });
      socket.destroy();
    });
  }

  /** Runs an operation, answers `other` if it throws, and keeps track of it for close(). */
  private handler<R>(operation: string, work: (req: R, res: LdapjsResponse) => Promise<void>): Handler {
    return (req: never, res, next) => {
      // A critical control we do not implement must refuse the operation (RFC 4511 §4.1.11).
      const critical = (req as LdapjsRequest).controls?.find((c) => c.criticality && !(operation === 'search' && IMPLEMENTED_CONTROLS.has(c.type)));
      if (critical) {
        end(res, LdapResultCode.unavailableCriticalExtension, `control ${critical.type} is not supported`);
        next();
        return;
      }
      const running: Promise<void> = work(req as R, res)
        .catch((error: unknown) => {
          this.log.error('ldap operation failed', { operation, error });
          res.diagnosticMessage = 'internal error';
          res.end(LdapResultCode.other);
        })
        .finally(() => {
          this.inFlight.delete(running);
          next();
        });
      this.inFlight.add(running);
    };
  }

  private async onBind(req: LdapjsBindRequest, res: LdapjsResponse): Promise<void> {
    // An empty DN with an empty password (anonymous) is accepted by ldapjs before it reaches us.
    const dn = String(req.dn);
    const client = req.connection.remoteAddress;
    this.operatorConnections.delete(req.connection); // whatever happens next, the previous bind is over
    if (req.credentials === '') {
      // RFC 4513 §5.1.2: an "unauthenticated" bind (a name, no password) must not look like a success.
      this.log.info('ldap bind refused', { dn, client, reason: 'unauthenticated bind' });
      end(res, LdapResultCode.unwillingToPerform, 'unauthenticated bind (a DN without a password) is not allowed');
      return;
    }
    const isOperator = this.operator !== undefined && normaliseDn(dn) === this.operator.key;
    const keys = [`ldap-ip:${client ?? 'unknown'}`, ...(isOperator ? ['ldap-operator'] : [])];
    const refuse = async (reason: string, message = 'invalid credentials') => {
      this.log.info('ldap bind refused', { dn, client, reason });
      if (isOperator) await this.audit?.record({ action: 'ldap.bind', outcome: 'failure', actor: dn, channel: 'ldap', remoteAddress: client, details: { reason } });
      end(res, LdapResultCode.invalidCredentials, message);
    };
    if (this.bindLimiter.isBlocked(keys)) return refuse('too many failed binds', 'too many failed binds, try again later');
    if (!isOperator || !timingSafeEqual(digest(req.credentials), this.operator!.passwordDigest)) {
      this.bindLimiter.recordFailure(keys);
      return refuse(isOperator ? 'wrong password' : 'not the operator DN (authenticated binds are for operators only)');
    }
    this.bindLimiter.recordSuccess(keys);
    this.operatorConnections.add(req.connection);
    this.log.info('ldap operator bind', { dn, client });
    await this.audit?.record({ action: 'ldap.bind', outcome: 'success', actor: dn, channel: 'ldap', remoteAddress: client });
    end(res, LdapResultCode.success);
  }

  /** The operator when this connection's last bind was the operator's (ldapjs resets the DN on an anonymous rebind). */
  private viewerOf(connection: LdapjsConnection): Viewer {
    return this.operator && this.operatorConnections.has(connection) && normaliseDn(boundDnOf(connection)) === this.operator.key
      ? 'operator' : 'public';
  }

  private async onSearch(req: LdapjsSearchRequest, res: LdapjsResponse): Promise<void> {
    const started = performance.now();
    const baseDn = req.baseObject.toString();
    const scope = scopeFromLdapjs(req.scope);
    if (!scope) {
      end(res, LdapResultCode.protocolError, `unknown search scope ${String(req.scope)}`);
      return;
    }
    if (filterDepth(req.filter) > MAX_FILTER_DEPTH) {
      end(res, LdapResultCode.unwillingToPerform, `filter nested more than ${MAX_FILTER_DEPTH} levels deep`);
      return;
    }
    const filter = filterFromLdapjs(req.filter);
    const paged = pagedResultsFromLdapjs(req.controls);
    const viewer = this.viewerOf(req.connection);
    const outcome = await runSearch(
      { tree: this.tree!, source: this.source!, viewer, limits: this.limits, certificates: this.certificates },
      { baseDn, scope, filter, attributes: req.attributes, sizeLimit: req.sizeLimit, timeLimit: req.timeLimit, typesOnly: req.typesOnly, paged },
    );
    const controls = outcome.cookie ? [{ oid: PAGED_RESULTS_OID, value: pagedResultsValue(outcome.cookie) }] : [];
    // One write for the whole answer: the entries, then the result with its controls.
    req.connection.write(Buffer.concat([
      ...outcome.entries.map((entry) => searchResultEntry(req.messageId, entry)),
      searchResultDone(req.messageId, outcome.resultCode, outcome.matchedDn ?? '', outcome.message ?? '', controls),
    ]));
    this.log.debug('ldap search', {
      base: baseDn, scope, filter: filterToString(filter), attributes: req.attributes.join(',') || undefined, viewer,
      paged: paged ? paged.size : undefined, count: outcome.entries.length, examined: outcome.examined, result: outcome.resultCode,
      durationMs: Math.round((performance.now() - started) * 10) / 10, client: req.connection.remoteAddress,
    });
  }

  private async onCompare(req: LdapjsCompareRequest, res: LdapjsResponse): Promise<void> {
    const value = Buffer.isBuffer(req.value) ? req.value.toString('utf8') : String(req.value ?? '');
    const outcome = await runCompare(this.tree!, { dn: req.entry.toString(), attribute: req.attribute, value }, this.viewerOf(req.connection));
    end(res, outcome.resultCode, outcome.message);
  }

  private async refuseWrite(req: LdapjsWriteRequest, res: LdapjsResponse): Promise<void> {
    this.log.info('ldap write refused', { dn: String(req.dn), client: req.connection.remoteAddress });
    end(res, LdapResultCode.unwillingToPerform, 'this directory is read-only');
  }
}

function end(res: LdapjsResponse, resultCode: LdapResultCode, message?: string): void {
  if (message) res.diagnosticMessage = message;
  res.end(resultCode);
}

/** Passwords compare as SHA-256 digests: equal lengths for timingSafeEqual, and no plain copy kept. */
function digest(password: string): Buffer {
  return createHash('sha256').update(password, 'utf8').digest();
}

function invalidConfig(message: string): never {
  throw new HygieError('CONFIG_INVALID', message);
}
