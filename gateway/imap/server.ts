/**
 * The IMAP listener: accepts connections (plain with STARTTLS, or implicit TLS), runs one
 * ImapSession per connection, and on close says BYE to every session before stopping.
 */
import net from 'node:net';
import tls from 'node:tls';
import { listenOn } from '../../core/listen.js';
import type { Logger } from '../../core/logger.js';
import type { Authenticator } from '../../directory/types.js';
import type { MessageStore } from '../store/types.js';
import { COMMANDS } from './commands/index.js';
import type { AuditRecorder, DelegationDirectory, MailboxDirectory } from './mailbox-access.js';
import { DEFAULT_SESSION_LIMITS, ImapSession, type SessionLimits } from './session.js';

export interface ImapServerOptions {
  store: MessageStore;
  authenticator: Authenticator;
  /** PEM server key and certificate (chain). */
  tls: { key: string; cert: string };
  /** TLS from the first byte (port 993); otherwise plain with STARTTLS (port 143). */
  implicitTls?: boolean;
  logger: Logger;
  /** Largest message APPEND accepts, in bytes (advertised as APPENDLIMIT). */
  maxMessageSize: number;
  /** Name in the greeting. */
  hostname: string;
  /** Overrides of the session limits and timeouts (tests shorten them). */
  limits?: Partial<Omit<SessionLimits, 'maxMessageSize'>>;
  /**
   * The directory's delegations (DelegationService): boxes shared with a user appear in
   * the shared namespace with ACL rights, and SETACL grants or revokes through it. Needs
   * `directory` too; without both there is no shared namespace.
   */
  delegations?: DelegationDirectory;
  /** Box lookups by id or address (MailboxService), for shared names and ACL identifiers. */
  directory?: MailboxDirectory;
  /** Where accesses to shared boxes are recorded (AuditTrail), action `imap.shared-access`. */
  audit?: AuditRecorder;
}

/** How long close() lets sessions go after their BYE before destroying the sockets. */
const CLOSE_GRACE_MS = 2_000;

export class ImapServer {
  private readonly options: ImapServerOptions;
  private readonly server: net.Server;
  private readonly sessions = new Set<ImapSession>();
  private readonly secureContext: tls.SecureContext;
  private readonly limits: SessionLimits;
  private readonly sockets = new Set<net.Socket>();

  constructor(options: ImapServerOptions) {
    this.options = options;
    this.secureContext = tls.createSecureContext({ key: options.tls.key, cert: options.tls.cert, minVersion: 'TLSv1.2' });
    this.limits = { ...DEFAULT_SESSION_LIMITS, ...options.limits, maxMessageSize: options.maxMessageSize };
    this.server = net.createServer((socket) => this.accept(socket));
    this.server.on('error', (error) => options.logger.error('listener error', { error }));
  }

  /** Starts listening; resolves with the port actually bound (useful with port 0). */
  async listen(port: number, host: string): Promise<number> {
    const bound = await listenOn(this.server, port, host);
    this.options.logger.info('listening', { host, port: bound, tls: this.options.implicitTls ? 'implicit' : 'starttls' });
    return bound;
  }

  /** Stops accepting, sends `* BYE` to every session and waits for them to close. */
  async close(): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const sessions = [...this.sessions].map((session) => session.shutdown('Server shutting down'));
    const grace = setTimeout(() => { for (const socket of this.sockets) socket.destroy(); }, CLOSE_GRACE_MS);
    await Promise.all(sessions);
    clearTimeout(grace);
    await stopped;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    this.sockets.add(socket);
    const session = new ImapSession(socket, {
      store: this.options.store,
      authenticator: this.options.authenticator,
      logger: this.options.logger,
      secureContext: this.secureContext,
      implicitTls: this.options.implicitTls ?? false,
      hostname: this.options.hostname,
      limits: this.limits,
      commands: COMMANDS,
      ...(this.options.delegations && this.options.directory ? {
        sharing: { delegations: this.options.delegations, directory: this.options.directory, ...(this.options.audit ? { audit: this.options.audit } : {}) },
      } : {}),
    });
    this.sessions.add(session);
    void session.start().finally(() => {
      this.sessions.delete(session);
      this.sockets.delete(socket);
    });
  }
}
