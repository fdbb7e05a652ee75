/**
 * The read-only LDAP service of published mailboxes, for address books and mail clients.
 *
 * The one place ldapjs runs (with ldapjs-adapter.ts): it parses the protocol and hands
 * us requests; everything else (tree, filters, scopes, limits) is ours, in search.ts.
 * Rules: anonymous bind and searches see what the directory publishes, nothing more;
 * binds with credentials are refused for now (authenticated binds come later); every
 * write is refused. Each search reads a fresh snapshot, so an unpublished box vanishes
 * at once.
 */
import type { Socket } from 'node:net';
import ldapjs, { type ServerOptions } from 'ldapjs';
import type { Logger } from '../../core/logger.js';
import type { PublishedDirectory } from '../types.js';
import { runCompare } from './compare.js';
import { filterToString } from './filter.js';
import {
  filterFromLdapjs, scopeFromLdapjs, type LdapjsBindRequest, type LdapjsCompareRequest, type LdapjsNext,
  type LdapjsRequest, type LdapjsResponse, type LdapjsSearchRequest, type LdapjsWriteRequest,
} from './ldapjs-adapter.js';
import { LdapResultCode } from './result-codes.js';
import { checkBaseDn } from './schema.js';
import { DirectoryTree, runSearch } from './search.js';

export interface LdapServerOptions {
  directory: PublishedDirectory;
  /** Suffix of the tree, e.g. `dc=esante-demo,dc=test` (config `ldap.baseDn`). */
  baseDn: string;
  logger: Logger;
  /** Most entries one search returns, whatever the client asks; beyond it, sizeLimitExceeded. */
  sizeLimit?: number;
  /** `o` of the suffix entry (config `operator.name`); defaults to the first RDN's value. */
  organisationName?: string;
  /** Idle connections are closed after this long. */
  idleTimeoutMs?: number;
}

export const DEFAULT_SIZE_LIMIT = 500;
const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;
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
  private readonly directory: PublishedDirectory;
  private readonly baseDn: string;
  private readonly log: Logger;
  private readonly sizeLimit: number;
  private readonly organisationName: string | undefined;
  private readonly idleTimeoutMs: number;
  private readonly server: LdapjsServer;
  private readonly sockets = new Set<Socket>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(options: LdapServerOptions) {
    this.directory = options.directory;
    this.baseDn = checkBaseDn(options.baseDn);
    this.log = options.logger;
    this.sizeLimit = options.sizeLimit ?? DEFAULT_SIZE_LIMIT;
    this.organisationName = options.organisationName;
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;

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

  /** Starts listening; resolves with the actual port (useful with port 0). */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const failed = (error: Error) => reject(error);
      this.server.once('error', failed);
      this.server.listen(port, host, () => {
        this.server.off('error', failed);
        const address = this.server.address();
        const actual = typeof address === 'object' && address ? address.port : port;
        this.log.info('ldap listening', { host, port: actual, baseDn: this.baseDn });
        resolve(actual);
      });
    });
  }

  /** Stops accepting, drops open connections and waits for operations in progress (they may use the database). */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await Promise.allSettled([...this.inFlight]);
    await closed;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.setTimeout(this.idleTimeoutMs); // ldapjs destroys the socket on 'timeout'
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
      // We implement no control; a critical one must refuse the operation (RFC 4511 §4.1.11).
      const critical = (req as LdapjsRequest).controls?.find((c) => c.criticality);
      if (critical) {
        end(res, LdapResultCode.unavailableCriticalExtension, `control ${critical.type} is not supported`);
        next();
        return;
      }
      const running: Promise<void> = work(req as R, res)
        .catch((error: unknown) => {
          this.log.error('ldap operation failed', { operation, error });
          res.errorMessage = 'internal error';
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
    if (req.credentials === '') {
      // RFC 4513 §5.1.2: an "unauthenticated" bind (a name, no password) must not look like a success.
      this.log.info('ldap bind refused', { dn, client, reason: 'unauthenticated bind' });
      end(res, LdapResultCode.unwillingToPerform, 'unauthenticated bind (a DN without a password) is not allowed');
      return;
    }
    this.log.info('ldap bind refused', { dn, client, reason: 'authenticated binds are not offered yet' });
    end(res, LdapResultCode.invalidCredentials, 'invalid credentials');
  }

  private async onSearch(req: LdapjsSearchRequest, res: LdapjsResponse): Promise<void> {
    const started = performance.now();
    const baseDn = req.baseObject.toString();
    const scope = scopeFromLdapjs(req.scope);
    const filter = filterFromLdapjs(req.filter);
    if (!scope) {
      end(res, LdapResultCode.protocolError, `unknown search scope ${String(req.scope)}`);
      return;
    }
    const tree = await this.snapshot();
    const outcome = runSearch(tree, {
      baseDn, scope, filter, attributes: req.attributes, sizeLimit: req.sizeLimit, typesOnly: req.typesOnly,
    }, this.sizeLimit);
    res.attributes = []; // see LdapjsResponse.attributes: the selection is already made
    for (const entry of outcome.entries) res.send(entry, true);
    if (outcome.matchedDn !== undefined) res.matchedDN = outcome.matchedDn;
    end(res, outcome.resultCode, outcome.message);
    this.log.debug('ldap search', {
      base: baseDn, scope, filter: filterToString(filter), attributes: req.attributes.join(',') || undefined,
      count: outcome.entries.length, result: outcome.resultCode,
      durationMs: Math.round((performance.now() - started) * 10) / 10, client: req.connection.remoteAddress,
    });
  }

  private async onCompare(req: LdapjsCompareRequest, res: LdapjsResponse): Promise<void> {
    const value = Buffer.isBuffer(req.value) ? req.value.toString('utf8') : String(req.value ?? '');
    const outcome = runCompare(await this.snapshot(), { dn: req.entry.toString(), attribute: req.attribute, value });
    end(res, outcome.resultCode, outcome.message);
  }

  private async refuseWrite(req: LdapjsWriteRequest, res: LdapjsResponse): Promise<void> {
    this.log.info('ldap write refused', { dn: String(req.dn), client: req.connection.remoteAddress });
    end(res, LdapResultCode.unwillingToPerform, 'this directory is read-only');
  }

  /** The tree as of now: published entries only, read fresh for every operation. */
  private async snapshot(): Promise<DirectoryTree> {
    return new DirectoryTree({
      baseDn: this.baseDn, published: await this.directory.listPublished(), organisationName: this.organisationName,
    });
  }
}

function end(res: LdapjsResponse, resultCode: LdapResultCode, message?: string): void {
  if (message) res.errorMessage = message;
  res.end(resultCode);
}
