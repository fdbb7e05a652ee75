/**
 * The SMTP front end: an MX listener (mail from other MTAs, no AUTH) and a submission
 * listener (STARTTLS, then AUTH PLAIN/LOGIN, then mail from the user's own addresses),
 * both over smtp-server. Each hook translates one SMTP step into a call to the message
 * pipeline (gateway/pipeline) and its result or error into a reply; no domain logic here.
 */
import {
  SMTPServer, type SMTPServerAddress, type SMTPServerAuthentication, type SMTPServerAuthenticationResponse,
  type SMTPServerDataStream, type SMTPServerSession,
} from 'smtp-server';
import type { TLSSocket, PeerCertificate, DetailedPeerCertificate } from 'node:tls';
import { listenOn } from '../../core/listen.js';
import type { Logger } from '../../core/logger.js';
import type { Authenticator, AuthenticatedUser } from '../../directory/types.js';
import type { MessageIntake } from '../pipeline/intake.js';
import type { SendingBox } from '../../directory/sending-rights.js';
import type { ClientCertificate, IntakeChannel, PeerInfo, Recipient } from '../pipeline/types.js';
import { hideAuthBeforeTls } from './auth-after-tls.js';
import { smtpReply, smtpReplyFor } from './replies.js';

export interface SmtpFrontEndOptions {
  intake: MessageIntake;
  authenticator: Authenticator;
  tls: { key: string; cert: string };
  /** PEM authorities whose client certificates the MX accepts (peers of mutual-TLS networks). */
  peerAuthorities?: readonly string[];
  hostname: string;
  maxMessageSize: number;
  /** Seconds transactions in flight may take to finish on close before the 421. */
  shutdownGraceSeconds: number;
  logger: Logger;
}

type Callback<T = void> = (error?: Error | null, value?: T) => void;

export class SmtpFrontEnd {
  private readonly servers = new Map<IntakeChannel, SMTPServer>();
  private readonly resolved = new WeakMap<SMTPServerAddress, Recipient>();
  /** The client certificate of each TLS session (MX), captured at the handshake. */
  private readonly peerCertificates = new WeakMap<object, ClientCertificate | null>();
  /** The box the user sends as, per transaction (the envelope object is new for each). */
  private readonly senders = new WeakMap<object, SendingBox>();
  private closing = false;

  constructor(private readonly options: SmtpFrontEndOptions) {
    hideAuthBeforeTls();
    this.servers.set('mx', this.createServer('mx'));
    this.servers.set('submission', this.createServer('submission'));
  }

  /** Starts one listener; returns the port actually bound (useful with port 0). */
  async listen(channel: IntakeChannel, port: number, host: string): Promise<number> {
    return listenOn((this.servers.get(channel) as SMTPServer).server, port, host);
  }

  /** Refuses new transactions with 421, lets those in flight finish, then closes. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.servers.values()].map((server) => new Promise<void>((resolve) => {
      if (!server.server.listening) return resolve();
      server.close(() => resolve());
    })));
  }

  private createServer(channel: IntakeChannel): SMTPServer {
    const submission = channel === 'submission';
    const server = new SMTPServer({
      name: this.options.hostname,
      banner: submission ? 'Hygie submission service' : 'Hygie ESMTP',
      key: this.options.tls.key,
      cert: this.options.tls.cert,
      minVersion: 'TLSv1.2',
      size: this.options.maxMessageSize,
      authMethods: ['PLAIN', 'LOGIN'],
      authOptional: !submission,
      allowInsecureAuth: false,
      disabledCommands: submission ? [] : ['AUTH'],
      closeTimeout: this.options.shutdownGraceSeconds * 1000,
      logger: false,
      disableReverseLookup: true,
      ...(!submission && this.options.peerAuthorities?.length
        // Ask peers for a certificate; PeerPolicy decides, per sender, whether it is needed and good.
        ? { requestCert: true, rejectUnauthorized: false, ca: [...this.options.peerAuthorities] }
        : {}),
      onConnect: (session, callback) => this.onConnect(session, callback),
      onSecure: (socket, session, callback) => {
        this.peerCertificates.set(session, clientCertificateOf(socket as TLSSocket));
        callback();
      },
      onAuth: (auth, session, callback) => void this.onAuth(auth, session, callback),
      onMailFrom: (address, session, callback) => void this.onMailFrom(channel, address, session, callback),
      onRcptTo: (address, session, callback) => void this.onRcptTo(channel, address, session, callback),
      onData: (stream, session, callback) => void this.onData(channel, stream, session, callback),
    });
    // smtp-server re-emits a connection's socket errors (a client resetting in the middle of
    // a transaction) and the listener's on itself: without a listener each would be an
    // uncaught exception taking the whole operator down. The connection is already closed.
    server.on('error', (error: Error & { code?: string; syscall?: string; remoteAddress?: string }) => {
      if (error.syscall === 'listen') return; // the start reports it (listenOn rejects)
      this.options.logger.info('connection error', { channel, remote: error.remoteAddress, code: error.code, reason: error.message });
    });
    return server;
  }

  private onConnect(session: SMTPServerSession, callback: Callback): void {
    if (this.closing) return callback(smtpReplyFor('SHUTTING_DOWN'));
    callback();
  }

  private async onAuth(auth: SMTPServerAuthentication, session: SMTPServerSession, callback: Callback<SMTPServerAuthenticationResponse>): Promise<void> {
    try {
      const user = await this.options.authenticator.authenticate(auth.username ?? '', auth.password ?? '', {
        channel: 'submission', remoteAddress: session.remoteAddress,
      });
      this.options.logger.info('authenticated', { session: session.id, login: user.login, remote: session.remoteAddress });
      callback(null, { user });
    } catch (error) {
      this.options.logger.info('authentication refused', { session: session.id, login: auth.username, remote: session.remoteAddress });
      callback(smtpReply(error));
    }
  }

  private async onMailFrom(channel: IntakeChannel, address: SMTPServerAddress, session: SMTPServerSession, callback: Callback): Promise<void> {
    if (this.closing) return callback(smtpReplyFor('SHUTTING_DOWN'));
    try {
      const checked = await this.options.intake.checkSender(address.address, this.peerOf(channel, session));
      if (checked.sender) this.senders.set(session.envelope, checked.sender);
      callback();
    } catch (error) {
      this.refused(channel, session, 'MAIL FROM', error);
      callback(smtpReply(error));
    }
  }

  private async onRcptTo(channel: IntakeChannel, address: SMTPServerAddress, session: SMTPServerSession, callback: Callback): Promise<void> {
    try {
      const recipient = await this.options.intake.resolveRecipient(address.address, session.envelope.mailFrom ? session.envelope.mailFrom.address : '', this.peerOf(channel, session));
      const dsn = (address as SMTPServerAddress & { dsn?: { notify?: string[]; orcpt?: string } }).dsn;
      this.resolved.set(address, recipient.kind === 'remote' && dsn
        ? { ...recipient, ...(dsn.notify ? { notify: dsn.notify as NonNullable<typeof recipient.notify> } : {}), ...(dsn.orcpt ? { orcpt: dsn.orcpt } : {}) }
        : recipient);
      callback();
    } catch (error) {
      this.refused(channel, session, 'RCPT TO', error, { rcptTo: address.address });
      callback(smtpReply(error));
    }
  }

  private async onData(channel: IntakeChannel, stream: SMTPServerDataStream, session: SMTPServerSession, callback: Callback<string>): Promise<void> {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => {
      if (!stream.sizeExceeded) chunks.push(chunk);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        stream.once('end', resolve);
        stream.once('error', reject);
      });
    } catch (error) {
      return callback(smtpReply(error));
    }
    if (stream.sizeExceeded) {
      const error = smtpReplyFor('MESSAGE_TOO_LARGE');
      this.refused(channel, session, 'DATA', error, { size: stream.byteLength });
      return callback(error);
    }
    const envelope = {
      mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
      rcptTo: session.envelope.rcptTo.map((r) => r.address),
      ...dsnOf(session),
    };
    const peer = this.peerOf(channel, session);
    try {
      const recipients: Recipient[] = [];
      for (const rcpt of session.envelope.rcptTo) {
        recipients.push(this.resolved.get(rcpt) ?? await this.options.intake.resolveRecipient(rcpt.address, envelope.mailFrom, peer));
      }
      const accepted = await this.options.intake.accept(Buffer.concat(chunks), envelope, recipients, peer);
      this.options.logger.info('message accepted', {
        queueId: accepted.queueId, channel, from: envelope.mailFrom, to: envelope.rcptTo.join(','), size: accepted.size,
      });
      const note = accepted.refused.length ? `; ${accepted.refused.length} recipient(s) could not be written to: see the report in your inbox` : '';
      callback(null, `2.0.0 Message stored as ${accepted.queueId}${note}`);
    } catch (error) {
      this.refused(channel, session, 'DATA', error);
      callback(smtpReply(error));
    }
  }

  private peerOf(channel: IntakeChannel, session: SMTPServerSession): PeerInfo {
    const sender = this.senders.get(session.envelope);
    const clientCertificate = this.peerCertificates.get(session) ?? null;
    return { ...peerOf(channel, session), clientCertificate, ...(sender ? { sender } : {}) };
  }

  private refused(channel: IntakeChannel, session: SMTPServerSession, stage: string, error: unknown, fields: Record<string, unknown> = {}): void {
    this.options.logger.info('refused', { channel, stage, session: session.id, remote: session.remoteAddress, reason: (error as Error).message, ...fields });
  }
}

function peerOf(channel: IntakeChannel, session: SMTPServerSession): PeerInfo {
  return {
    channel,
    remoteAddress: session.remoteAddress,
    clientName: session.hostNameAppearsAs || session.clientHostname,
    tls: session.tlsOptions ? { protocol: session.tlsOptions.version ?? '', cipher: session.tlsOptions.name } : null,
    user: (session.user as AuthenticatedUser | undefined) ?? null,
    sessionId: session.id,
  };
}

function clientCertificateOf(socket: TLSSocket): ClientCertificate | null {
  const peer = socket.getPeerCertificate?.(true) as DetailedPeerCertificate | undefined;
  if (!peer || !peer.raw) return null;
  const chain: Buffer[] = [];
  let current: DetailedPeerCertificate | undefined = peer;
  while (current?.raw && chain.length < 8) {
    chain.push(current.raw);
    if (current.issuerCertificate === current) break;
    current = current.issuerCertificate;
  }
  return {
    subject: nameOf(peer.subject), issuer: nameOf(peer.issuer), fingerprint256: peer.fingerprint256, chain,
    authorized: socket.authorized, authorizationError: socket.authorizationError ? String(socket.authorizationError) : null,
  };
}

function nameOf(name: PeerCertificate['subject'] | undefined): string {
  return name ? Object.entries(name).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`).join(', ') : '';
}

function dsnOf(session: SMTPServerSession): { dsn?: { ret?: 'FULL' | 'HDRS'; envid?: string } } {
  const dsn = (session.envelope as { dsn?: { ret?: string; envid?: string } }).dsn;
  if (!dsn || (!dsn.ret && !dsn.envid)) return {};
  return { dsn: { ...(dsn.ret === 'FULL' || dsn.ret === 'HDRS' ? { ret: dsn.ret } : {}), ...(dsn.envid ? { envid: dsn.envid } : {}) } };
}
