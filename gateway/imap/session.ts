/**
 * One IMAP connection: the state machine (not authenticated → authenticated → selected →
 * logout), the socket and its framing, STARTTLS, limits and timeouts, the selected folder
 * view and the untagged updates it owes the client. Commands run one at a time, in order;
 * nothing after a command is read before it completes (which is what makes STARTTLS and
 * IDLE safe).
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import zlib from 'node:zlib';
import { isHygieError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { AuthenticatedUser, Authenticator } from '../../directory/types.js';
import type { MessageStore } from '../store/types.js';
import type { CommandContext, CommandResult, CommandSpec, Extension, ImapLimits, SessionState } from './commands/types.js';
import { MailboxAccess, type SharingOptions } from './mailbox-access.js';
import type { MailboxView, ReportMode } from './mailbox-view.js';
import {
  atom, compileContinuation, compileStatus, compileUntaggedParts, type ResponseCode, type ResponseValue, type StatusKind,
} from './proto/compiler.js';
import { CommandFramer } from './proto/framer.js';
import { parseCommand } from './proto/parser.js';
import { ImapSyntaxError, type ParsedCommand } from './proto/tokens.js';

export interface SessionLimits extends ImapLimits {
  /** Longest command line, CRLF excluded. */
  maxLineLength: number;
  /** Largest literal before login (a LOGIN needs little; keeps anonymous peers from filling memory). */
  maxLiteralBeforeLogin: number;
  /** BAD responses tolerated before the connection is closed. */
  maxBadCommands: number;
  /** Commands allowed before login (a client that never logs in is not kept forever). */
  maxCommandsBeforeLogin: number;
  /** Inactivity allowed before login, in ms. */
  unauthenticatedTimeoutMs: number;
  /** Inactivity allowed after login (IDLE included), in ms. */
  idleTimeoutMs: number;
  /** Time allowed to finish a command once begun (the rest of a line, an announced literal), in ms. */
  commandTimeoutMs: number;
  /** Time a client may leave our responses unread (socket not draining) before it is cut off, in ms. */
  writeTimeoutMs: number;
}

export const DEFAULT_SESSION_LIMITS: Omit<SessionLimits, 'maxMessageSize'> = {
  maxLineLength: 64 * 1024,
  maxLiteralBeforeLogin: 8 * 1024,
  maxBadCommands: 20,
  maxCommandsBeforeLogin: 50,
  unauthenticatedTimeoutMs: 60_000,
  idleTimeoutMs: 30 * 60_000,
  commandTimeoutMs: 5 * 60_000,
  writeTimeoutMs: 5 * 60_000,
};

export interface SessionOptions {
  store: MessageStore;
  authenticator: Authenticator;
  logger: Logger;
  secureContext: tls.SecureContext;
  /** TLS from the first byte (port 993) rather than STARTTLS. */
  implicitTls: boolean;
  hostname: string;
  limits: SessionLimits;
  commands: ReadonlyMap<string, CommandSpec>;
  /** Shared and delegated boxes; without it there is no shared namespace and no ACL changes. */
  sharing?: SharingOptions;
}

/** Unread input the session buffers while a command runs before it stops reading the socket. */
const PAUSE_THRESHOLD = 256 * 1024;
/** Untagged responses are gathered up to this size before a socket write (one TLS record each, not one per message). */
const OUTPUT_CHUNK = 64 * 1024;
/** Bytes a session may have queued for a slow reader before it waits for the socket to drain. */
const WRITE_BACKLOG = 1024 * 1024;

export class ImapSession implements CommandContext {
  readonly id = randomBytes(6).toString('hex');
  readonly remoteAddress: string;
  readonly store: MessageStore;
  readonly authenticator: Authenticator;
  readonly logger: Logger;
  readonly limits: SessionLimits;

  state: SessionState = 'not-authenticated';
  secure = false;
  user: AuthenticatedUser | null = null;
  selected: MailboxView | null = null;
  access: MailboxAccess | null = null;
  readonly enabled = new Set<Extension>();

  private socket: Socket;
  private readonly rawSocket: Socket;
  private readonly options: SessionOptions;
  private readonly framer: CommandFramer;
  private busy = false;
  private closed = false;
  private badCommands = 0;
  private commandsBeforeLogin = 0;
  private timer: NodeJS.Timeout | undefined;
  private lineWaiter: ((line: Buffer | null) => void) | undefined;
  private afterResponse: 'starttls' | 'logout' | 'compress' | undefined;
  /** COMPRESS=DEFLATE (RFC 4978): responses go through this stream once active. */
  private deflate: zlib.DeflateRaw | undefined;
  private unwatch: (() => void) | undefined;
  private readonly changeListeners = new Set<() => void>();
  private notificationChain: Promise<void> = Promise.resolve();
  private output: Buffer[] = [];
  private outputSize = 0;
  private readonly closedPromise: Promise<void>;
  private resolveClosed!: () => void;

  constructor(socket: Socket, options: SessionOptions) {
    this.rawSocket = socket;
    this.socket = socket;
    this.options = options;
    this.store = options.store;
    this.authenticator = options.authenticator;
    this.logger = options.logger;
    this.limits = options.limits;
    this.remoteAddress = socket.remoteAddress ?? 'unknown';
    this.framer = new CommandFramer({ maxLineLength: options.limits.maxLineLength, maxLiteralSize: options.limits.maxLiteralBeforeLogin });
    this.closedPromise = new Promise((resolve) => { this.resolveClosed = resolve; });
    // Errors of the raw socket after a TLS upgrade must not go unhandled.
    socket.on('error', (error) => this.logger.debug('socket error', { session: this.id, error }));
  }

  /** Greets the client (after the handshake for implicit TLS). Resolves when the connection is gone. */
  start(): Promise<void> {
    this.logger.debug('connection', { session: this.id, remote: this.remoteAddress });
    if (this.options.implicitTls) {
      this.upgrade(() => this.greet());
    } else {
      this.attach(this.socket);
      this.greet();
    }
    return this.closedPromise;
  }

  /** Server shutdown: a BYE, then the socket is closed. */
  async shutdown(reason: string): Promise<void> {
    if (!this.closed) {
      this.writeNow(compileStatus('*', 'BYE', reason));
      this.endConnection();
    }
    await this.closedPromise;
  }

  // ---- CommandContext -------------------------------------------------------------

  capabilities(): string[] {
    const caps = ['IMAP4rev1', 'LITERAL+', 'SASL-IR', 'ID', 'ENABLE', 'IDLE', 'NAMESPACE', 'UNSELECT', 'CHILDREN', 'SPECIAL-USE', 'UIDPLUS', 'MOVE'];
    if (this.state === 'not-authenticated') {
      caps.push(...(this.secure ? ['AUTH=PLAIN'] : ['STARTTLS', 'LOGINDISABLED']));
    } else {
      caps.push(
        'CONDSTORE', 'QRESYNC', 'ESEARCH', 'LIST-EXTENDED', 'LIST-STATUS', 'STATUS=SIZE', 'QUOTA', 'QUOTA=RES-STORAGE',
        'ACL', 'RIGHTS=texk', 'COMPRESS=DEFLATE', `APPENDLIMIT=${this.limits.maxMessageSize}`,
      );
    }
    return caps;
  }

  enable(extension: Extension): void {
    this.enabled.add(extension);
    // QRESYNC implies CONDSTORE (RFC 7162 3.2.3).
    if (extension === 'QRESYNC') this.enabled.add('CONDSTORE');
  }

  get isClosed(): boolean {
    return this.closed;
  }

  reportMode(): ReportMode {
    return { condstore: this.enabled.has('CONDSTORE'), qresync: this.enabled.has('QRESYNC') };
  }

  send(values: readonly ResponseValue[]): Promise<void> {
    return this.buffer(...compileUntaggedParts(values));
  }

  sendStatus(status: 'OK' | 'NO' | 'BAD' | 'BYE', text: string, code?: ResponseCode): Promise<void> {
    return this.buffer(compileStatus('*', status, text, code));
  }

  async continuation(text: string): Promise<void> {
    await this.buffer(compileContinuation(text));
    await this.flushOutput();
  }

  readLine(): Promise<Buffer | null> {
    if (this.closed) return Promise.resolve(null);
    if (this.socket.isPaused()) this.socket.resume();
    return new Promise((resolve) => {
      this.lineWaiter = resolve;
      this.deliverLine();
    });
  }

  authenticated(user: AuthenticatedUser): void {
    this.user = user;
    this.access = new MailboxAccess(user, this.options.sharing, { session: this.id, remoteAddress: this.remoteAddress });
    this.state = 'authenticated';
    this.framer.limits.maxLiteralSize = this.limits.maxMessageSize;
    this.armTimer();
  }

  select(view: MailboxView): void {
    this.deselect();
    this.selected = view;
    this.state = 'selected';
    this.unwatch = this.store.watch(view.folder.id, () => {
      view.dirty = true;
      for (const listener of this.changeListeners) listener();
    });
  }

  deselect(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    this.selected = null;
    if (this.state === 'selected') this.state = 'authenticated';
  }

  startTlsAfterResponse(): void {
    this.afterResponse = 'starttls';
  }

  logoutAfterResponse(): void {
    this.afterResponse = 'logout';
  }

  compressAfterResponse(): void {
    this.afterResponse = 'compress';
  }

  get compressed(): boolean {
    return this.deflate !== undefined;
  }

  flushNotifications(options: { allowExpunge: boolean; force: boolean }): Promise<void> {
    // Serialised: IDLE wake-ups may overlap, and responses must follow the journal's order.
    this.notificationChain = this.notificationChain.then(async () => {
      const view = this.selected;
      if (!view || this.closed || (!options.force && !view.dirty)) return;
      const responses = await view.catchUp(this.store, options.allowExpunge, this.reportMode());
      if (this.selected !== view) return;
      for (const response of responses) await this.send(response);
      if (responses.length > 0 && !this.busyWithCommand) await this.flushOutput();
    }).catch((error: unknown) => {
      this.logger.error('could not send mailbox updates', { session: this.id, error });
    });
    return this.notificationChain;
  }

  onFolderChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  // ---- socket and framing ---------------------------------------------------------

  private greet(): void {
    this.armTimer();
    const capabilities = this.capabilities().map(atom);
    this.writeNow(compileStatus('*', 'OK', `${this.options.hostname} Hygie IMAP ready`, { name: 'CAPABILITY', args: capabilities }));
  }

  private readonly onData = (chunk: Buffer): void => {
    this.framer.push(chunk);
    if (this.lineWaiter) this.deliverLine();
    else if (!this.busy) this.pump();
    else if (this.framer.buffered > PAUSE_THRESHOLD) this.socket.pause();
    this.armTimer();
  };

  private readonly onClose = (): void => {
    this.finish();
  };

  private readonly onSocketError = (error: Error): void => {
    this.logger.debug('connection error', { session: this.id, error });
  };

  private attach(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('close', this.onClose);
    socket.on('error', this.onSocketError);
  }

  private detach(socket: Socket): void {
    socket.off('data', this.onData);
    socket.off('close', this.onClose);
    socket.off('error', this.onSocketError);
  }

  /** Wraps the raw socket in TLS; bytes received in clear before this point are dropped. */
  private upgrade(onSecure: () => void): void {
    this.detach(this.rawSocket);
    const dropped = this.framer.discard();
    if (dropped > 0) this.logger.warn('bytes sent before the TLS handshake were discarded', { session: this.id, dropped });
    const secureSocket = new tls.TLSSocket(this.rawSocket, { isServer: true, secureContext: this.options.secureContext });
    this.socket = secureSocket;
    this.secure = true;
    this.attach(secureSocket);
    secureSocket.once('secure', () => {
      this.logger.debug('tls established', { session: this.id, protocol: secureSocket.getProtocol(), cipher: secureSocket.getCipher().name });
      onSecure();
    });
    // A dead handshake must not hold the connection open forever.
    this.armTimer();
  }

  /**
   * From here on both directions are raw DEFLATE (RFC 4978). Bytes the client sent after
   * its COMPRESS command are already compressed: they go through the inflater too.
   */
  private startCompression(): void {
    const socket = this.socket;
    const inflate = zlib.createInflateRaw();
    // Level 1, an 8 KiB window, small hash tables: most of the gain on headers and text, for a
    // fraction of the CPU and about 64 KiB per connection instead of 256 KiB (idle sessions add up).
    const deflate = zlib.createDeflateRaw({ level: 1, windowBits: 13, memLevel: 6 });
    socket.off('data', this.onData);
    socket.on('data', (chunk: Buffer) => inflate.write(chunk));
    inflate.on('data', this.onData);
    inflate.on('error', (error) => {
      this.logger.info('closing connection', { session: this.id, reason: 'invalid compressed data', error });
      socket.destroy();
    });
    deflate.on('error', () => socket.destroy());
    deflate.pipe(socket);
    this.deflate = deflate;
    const early = this.framer.takeBuffered();
    if (early.length > 0) inflate.write(early);
  }

  private deliverLine(): void {
    const waiter = this.lineWaiter;
    if (!waiter) return;
    const line = this.framer.nextLine();
    if (line === null) return;
    this.lineWaiter = undefined;
    if (line === 'too-long') {
      this.bye('Line too long');
      waiter(null);
      return;
    }
    waiter(line);
  }

  /** Takes framed input while no command runs. */
  private pump(): void {
    while (!this.closed && !this.busy) {
      const event = this.framer.next();
      if (!event) {
        if (this.socket.isPaused()) this.socket.resume();
        return;
      }
      if (event.kind === 'continue') {
        this.writeNow(compileContinuation('Ready for literal data'));
      } else if (event.kind === 'literal-too-large') {
        if (!event.synchronising) {
          this.bye('Literal too large');
          return;
        }
        this.writeNow(compileStatus(event.tag ?? '*', 'NO', `Literal of ${event.size} bytes exceeds the limit`, { name: 'TOOBIG' }));
      } else if (event.kind === 'line-too-long') {
        this.bye('Line too long');
        return;
      } else {
        this.busy = true;
        void this.run(event.bytes)
          .catch((error: unknown) => {
            this.logger.error('session failed', { session: this.id, error });
            this.bye('Internal server error');
          })
          .finally(() => {
            this.busy = false;
            this.pump();
            // Bytes pipelined behind the command may be half of the next one: its clock starts now.
            this.armTimer();
          });
        return;
      }
    }
  }

  // ---- command execution ----------------------------------------------------------

  /** A command is running (its untagged responses wait for the tagged one, or a full chunk). */
  private get busyWithCommand(): boolean {
    return this.busy && this.lineWaiter === undefined;
  }

  private async run(bytes: Buffer): Promise<void> {
    if (this.state === 'not-authenticated' && ++this.commandsBeforeLogin > this.limits.maxCommandsBeforeLogin) {
      this.bye('Too many commands before login');
      return;
    }
    let command: ParsedCommand;
    try {
      command = parseCommand(bytes);
    } catch (error) {
      if (!(error instanceof ImapSyntaxError)) throw error;
      await this.respond(error.tag ?? '*', { status: 'BAD', text: error.message });
      return;
    }
    const spec = this.options.commands.get(command.name);
    if (!spec) {
      await this.respond(command.tag, { status: 'BAD', text: `Unknown command ${command.name.slice(0, 40)}` });
      return;
    }
    if (!spec.states.includes(this.state)) {
      await this.respond(command.tag, { status: 'BAD', text: wrongStateText(command.name, this.state) });
      return;
    }
    this.logger.debug('command', { session: this.id, tag: command.tag, command: command.name });
    this.access?.invalidate();

    let result: CommandResult;
    try {
      result = await spec.handler(this, command);
    } catch (error) {
      result = this.failure(command, error);
    }
    if (this.closed) return;
    const notifications = spec.notifications ?? 'all';
    if (this.state === 'selected' && notifications !== 'none') {
      await this.flushNotifications({ allowExpunge: notifications === 'all', force: false });
    }
    await this.respond(command.tag, result);

    const next = this.afterResponse;
    this.afterResponse = undefined;
    if (next === 'starttls' && result.status === 'OK') this.upgrade(() => undefined);
    if (next === 'compress' && result.status === 'OK') this.startCompression();
    if (next === 'logout') this.endConnection();
  }

  private failure(command: ParsedCommand, error: unknown): CommandResult {
    if (error instanceof ImapSyntaxError) return { status: 'BAD', text: error.message };
    if (isHygieError(error)) {
      this.logger.warn('command refused', { session: this.id, command: command.name, code: error.code, error });
      return { status: 'NO', text: error.publicText, ...(error.temporary ? { code: { name: 'UNAVAILABLE' } } : {}) };
    }
    this.logger.error('command failed', { session: this.id, command: command.name, error });
    return { status: 'NO', text: 'Internal server error', code: { name: 'SERVERBUG' } };
  }

  private async respond(tag: string, result: CommandResult): Promise<void> {
    await this.buffer(compileStatus(tag, result.status as StatusKind, result.text, result.code));
    await this.flushOutput();
    if (result.status === 'BAD' && ++this.badCommands >= this.limits.maxBadCommands) this.bye('Too many invalid commands');
  }

  // ---- output and lifetime --------------------------------------------------------

  /** Queues response bytes; writes when a chunk is full. */
  private async buffer(...parts: Buffer[]): Promise<void> {
    for (const part of parts) {
      this.output.push(part);
      this.outputSize += part.length;
    }
    if (this.outputSize >= OUTPUT_CHUNK) await this.flushOutput();
  }

  /** Writes what is queued, waiting while the client does not read (backpressure), for at most writeTimeoutMs. */
  private async flushOutput(): Promise<void> {
    if (this.output.length === 0) return;
    const parts = this.output;
    this.output = [];
    this.outputSize = 0;
    await this.write(parts);
  }

  /** Writes buffers in order to the socket, or through the compressor once COMPRESS is active; true when more may be written now. */
  private sinkWrite(parts: readonly Buffer[]): boolean {
    let more = true;
    if (this.deflate) {
      for (const part of parts) more = this.deflate.write(part);
      this.deflate.flush(zlib.constants.Z_SYNC_FLUSH);
      return more;
    }
    // One buffer per write: TLS then cuts full 16 KiB records (written separately, small pieces would make small records).
    return this.socket.write(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
  }

  private write(parts: readonly Buffer[]): Promise<void> {
    if (this.closed || this.socket.destroyed) return Promise.resolve();
    const socket = this.socket;
    const sink = this.deflate ?? socket;
    // Waiting for a full drain at every chunk would stall the stream: allow a bounded backlog first.
    if (this.sinkWrite(parts) || sink.writableLength < WRITE_BACKLOG) return Promise.resolve();
    return new Promise((resolve) => {
      // A client that never reads must not hold the session (and its buffers) forever.
      const timer = setTimeout(() => {
        this.logger.info('closing connection', { session: this.id, reason: 'client does not read its responses' });
        socket.destroy();
      }, this.limits.writeTimeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        sink.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      sink.on('drain', done);
      socket.on('close', done);
    });
  }

  private writeNow(data: Buffer): void {
    if (this.closed || this.socket.destroyed) return;
    const parts = [...this.output, data];
    this.output = [];
    this.outputSize = 0;
    this.sinkWrite(parts);
  }

  private bye(reason: string): void {
    if (this.closed) return;
    this.logger.info('closing connection', { session: this.id, reason });
    this.writeNow(compileStatus('*', 'BYE', reason));
    this.endConnection();
  }

  private endConnection(): void {
    if (this.closed) return;
    this.closed = true;
    this.state = 'logout';
    // Ending the compressor flushes it and ends the socket it is piped to.
    if (this.deflate) this.deflate.end();
    else this.socket.end();
    // A peer that never reads must not keep the socket forever.
    setTimeout(() => this.socket.destroy(), 5_000).unref();
    this.cleanup();
  }

  private armTimer(): void {
    clearTimeout(this.timer);
    if (this.closed) return;
    // Half a command (a line without its end, a literal announced and not sent) gets less time than an idle session.
    const ms = this.state === 'not-authenticated' ? this.limits.unauthenticatedTimeoutMs : this.limits.idleTimeoutMs;
    if (this.framer.midCommand && !this.busy) {
      this.timer = setTimeout(() => this.bye('Timed out waiting for the rest of the command'), Math.min(ms, this.limits.commandTimeoutMs));
      return;
    }
    this.timer = setTimeout(() => this.bye('Autologout: idle for too long'), ms);
  }

  private finish(): void {
    this.closed = true;
    this.state = 'logout';
    this.cleanup();
    this.logger.debug('connection closed', { session: this.id });
    this.resolveClosed();
  }

  private cleanup(): void {
    clearTimeout(this.timer);
    this.deselect();
    this.changeListeners.clear();
    const waiter = this.lineWaiter;
    this.lineWaiter = undefined;
    waiter?.(null);
  }
}

function wrongStateText(command: string, state: SessionState): string {
  if (state === 'not-authenticated') return `${command} requires authentication: LOGIN first`;
  if (['LOGIN', 'AUTHENTICATE', 'STARTTLS'].includes(command)) return `${command} is not allowed once authenticated`;
  if (state === 'authenticated') return `${command} requires a selected mailbox: SELECT first`;
  return `${command} is not allowed in the ${state} state`;
}
