/**
 * The read-only LDAP service of the healthcare directory, for address books and mail
 * clients.
 *
 * The one place ldapjs runs (with ldapjs-adapter.ts): it parses the protocol and hands
 * us requests; everything else (tree, filters, scopes, limits, paging) is ours, and the
 * replies to searches are encoded by ber.ts. Search requests without controls, nearly
 * all of them, do not even go through ldapjs: the connection's bytes are cut into
 * messages here (framing.ts), those are decoded by request-ber.ts and answered (from
 * answer-cache.ts when the same exact lookup was answered since the database last
 * changed); every other message goes to ldapjs whole. Rules: anonymous clients see what
 * the directory publishes, nothing more; an operator bind (DN and password from the
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
import { AnswerCache, DEFAULT_ANSWER_CACHE_LIMITS, type AnswerCacheLimits } from './answer-cache.js';
import { ldapMessages, pagedResultsValue, searchResultDone, searchResultEntry } from './ber.js';
import { runCompare } from './compare.js';
import { normaliseDn } from './dn.js';
import type { Viewer } from './entries.js';
import { EntrySource } from './entry-source.js';
import { filterToString } from './filter.js';
import { MessageFramer } from './framing.js';
import {
  IMPLEMENTED_CONTROLS, MAX_FILTER_DEPTH, boundDnOf, filterDepth, filterFromLdapjs, pagedResultsFromLdapjs, scopeFromLdapjs,
  type LdapjsBindRequest, type LdapjsCompareRequest, type LdapjsConnection, type LdapjsNext, type LdapjsRequest, type LdapjsResponse,
  type LdapjsSearchRequest, type LdapjsWriteRequest,
} from './ldapjs-adapter.js';
import { LdapResultCode } from './result-codes.js';
import { SEARCH_REQUEST, decodeSearchRequest, readEnvelope } from './request-ber.js';
import { PAGED_RESULTS_OID, checkBaseDn } from './schema.js';
import { runSearch, type SearchLimits, type SearchQuery } from './search.js';
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
  /** Bounds of the cache of exact lookups' answers (SQLite files only), or `false` for none. */
  answerCache?: AnswerCacheLimits | false;
}

export const DEFAULT_SIZE_LIMIT = 500;
export const DEFAULT_TIME_LIMIT_MS = 10_000;
export const DEFAULT_SCAN_LIMIT = 10_000;
const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;
const DEFAULT_BIND_LIMITS = { maxFailures: 5, windowSeconds: 300 };
/** Largest request we buffer (OpenLDAP's default for anonymous clients); read requests are tiny. */
const MAX_REQUEST_BYTES = 256 * 1024;

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

/** ldapjs hangs its message parser on the socket (and its own state: the bound DN). */
type ParsedSocket = Socket & LdapjsConnection & { parser?: { write(message: Buffer): void } };

/** Where a search is answered: the client's connection. */
type SearchClient = Pick<LdapjsConnection, 'remoteAddress' | 'write'>;

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
  private readonly answerCacheLimits: AnswerCacheLimits | false;
  private readonly server: LdapjsServer;
  private readonly sockets = new Set<Socket>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Connections whose last bind was a successful operator bind. */
  private readonly operatorConnections = new WeakSet<object>();
  private source: EntrySource | undefined;
  private tree: DirectoryTree | undefined;
  private answers: AnswerCache | undefined;

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
    this.answerCacheLimits = options.answerCache ?? DEFAULT_ANSWER_CACHE_LIMITS;

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
    if (!this.answers && this.answerCacheLimits) {
      const stamp = this.source.openChangeStamp();
      this.answers = stamp && new AnswerCache(stamp, this.answerCacheLimits);
    }
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
    this.answers?.close();
    this.answers = undefined;
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
    this.takeOverInput(socket as ParsedSocket);
  }

  /**
   * Reads the connection's bytes before ldapjs does: the framer cuts them into messages
   * (and drops connections that send no LDAP or too much), search requests without
   * controls are answered here, and every other message goes to ldapjs's parser, whole,
   * as if ldapjs had read it itself.
   */
  private takeOverInput(socket: ParsedSocket): void {
    const parser = socket.parser;
    if (!parser) throw new Error('ldapjs no longer hangs its parser on the connection: server.ts needs updating');
    socket.removeAllListeners('data'); // ldapjs's own, which feeds its parser
    const framer = new MessageFramer(MAX_REQUEST_BYTES);
    socket.on('data', (chunk: Buffer) => {
      const { messages, refused } = framer.push(chunk);
      for (const message of messages) {
        if (socket.destroyed) return;
        try {
          if (!this.searchDirectly(socket, message)) parser.write(message);
        } catch (error) {
          // A bug of ours on one request must not take the process down with it.
          this.log.error('ldap operation failed', { operation: 'request', error });
          socket.destroy();
          return;
        }
      }
      if (refused) {
        this.log.debug('ldap malformed request', { client: socket.remoteAddress, reason: refused });
        socket.destroy();
      }
    });
  }

  /**
   * Answers a search request without ldapjs when it has no controls and our decoder reads
   * it (false: ldapjs answers it). An exact lookup asked before, since the database last
   * changed, by a client who sees the same, is answered from the cache at once.
   */
  private searchDirectly(socket: ParsedSocket, message: Buffer): boolean {
    const envelope = readEnvelope(message);
    if (!envelope || envelope.operation !== SEARCH_REQUEST || envelope.hasControls || !this.source) return false;
    const started = performance.now();
    const viewer = this.viewerOf(socket);
    const generation = this.answers?.check();
    // The request's bytes say everything the answer depends on, but the viewer and the database's state.
    const key = generation === undefined ? undefined : `${viewer} ${message.toString('latin1', envelope.start, envelope.end)}`;
    const cached = key === undefined ? undefined : this.answers!.get(key);
    if (cached) {
      socket.write(ldapMessages(envelope.messageId, cached.operations));
      this.log.debug('ldap search', { ...cached.log, cached: true, durationMs: elapsedMs(started), client: socket.remoteAddress });
      return true;
    }
    const decoded = decodeSearchRequest(message, envelope.start, envelope.end);
    if (!decoded) return false;
    const cache = key === undefined ? undefined : { key, generation: generation! };
    this.track(this.answerSearch(socket, envelope.messageId, decoded, viewer, started, cache).catch((error: unknown) => {
      this.log.error('ldap operation failed', { operation: 'search', error });
      if (!socket.destroyed) socket.write(ldapMessages(envelope.messageId, [searchResultDone(LdapResultCode.other, '', 'internal error')]));
    }));
    return true;
  }

  /** Keeps track of an operation in progress, for close(). */
  private track(operation: Promise<void>): Promise<void> {
    const running = operation.finally(() => this.inFlight.delete(running));
    this.inFlight.add(running);
    return running;
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
      void this.track(work(req as R, res)
        .catch((error: unknown) => {
          this.log.error('ldap operation failed', { operation, error });
          res.diagnosticMessage = 'internal error';
          res.end(LdapResultCode.other);
        })
        .finally(() => next()));
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

  /** Searches with controls (paged results), and any other ldapjs hands over. */
  private async onSearch(req: LdapjsSearchRequest, res: LdapjsResponse): Promise<void> {
    const started = performance.now();
    const scope = scopeFromLdapjs(req.scope);
    if (!scope) {
      end(res, LdapResultCode.protocolError, `unknown search scope ${String(req.scope)}`);
      return;
    }
    if (filterDepth(req.filter) > MAX_FILTER_DEPTH) {
      end(res, LdapResultCode.unwillingToPerform, `filter nested more than ${MAX_FILTER_DEPTH} levels deep`);
      return;
    }
    const query: SearchQuery = {
      baseDn: req.baseObject.toString(), scope, filter: filterFromLdapjs(req.filter), attributes: req.attributes,
      sizeLimit: req.sizeLimit, timeLimit: req.timeLimit, typesOnly: req.typesOnly, paged: pagedResultsFromLdapjs(req.controls),
    };
    await this.answerSearch(req.connection, req.messageId, query, this.viewerOf(req.connection), started);
  }

  /** Runs a search, writes its answer in one write, logs it, and keeps it in the cache when it may be reused. */
  private async answerSearch(client: SearchClient, messageId: number, query: SearchQuery, viewer: Viewer, started: number,
    cache?: { key: string; generation: number }): Promise<void> {
    const outcome = await runSearch({ tree: this.tree!, source: this.source!, viewer, limits: this.limits, certificates: this.certificates }, query);
    const controls = outcome.cookie ? [{ oid: PAGED_RESULTS_OID, value: pagedResultsValue(outcome.cookie) }] : [];
    const operations = [
      ...outcome.entries.map(searchResultEntry),
      searchResultDone(outcome.resultCode, outcome.matchedDn ?? '', outcome.message ?? ''),
    ];
    client.write(ldapMessages(messageId, operations, controls));
    const log = {
      base: query.baseDn, scope: query.scope, filter: filterToString(query.filter), attributes: query.attributes.join(',') || undefined, viewer,
      paged: query.paged ? query.paged.size : undefined, count: outcome.entries.length, examined: outcome.examined, result: outcome.resultCode,
    };
    if (cache && outcome.reusable) {
      this.answers?.set(cache.key, cache.generation, { operations, bytes: operations.reduce((sum, o) => sum + o.length, 0), log });
    }
    this.log.debug('ldap search', { ...log, durationMs: elapsedMs(started), client: client.remoteAddress });
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

function elapsedMs(since: number): number {
  return Math.round((performance.now() - since) * 10) / 10;
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
