/**
 * Test support for the IMAP integration tests: a real server over the real store and
 * directory on a temporary SQLite database, a self-signed certificate made by openssl,
 * and a small raw-socket client that asserts exact wire responses.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import type { Knex } from 'knex';
import { AuditTrail, auditMigrations } from '../../core/audit.js';
import { systemClock } from '../../core/clock.js';
import { DEFAULT_CONFIG } from '../../core/config.js';
import { openDatabase } from '../../core/database.js';
import { Logger } from '../../core/logger.js';
import { DelegationService } from '../../directory/delegations.js';
import { MailboxService } from '../../directory/mailbox-service.js';
import { directoryMigrations } from '../../directory/migrations.js';
import { KnexMessageStore } from '../store/knex-store.js';
import { storeMigrations } from '../store/migrations.js';
import { ImapServer, type ImapServerOptions } from './server.js';

export interface TestUser {
  login: string;
  password: string;
  mailboxId: number;
}

export interface ImapTestBed {
  host: string;
  port: number;
  /** PEM of the self-signed server certificate, to trust in clients. */
  ca: string;
  caFile: string;
  db: Knex;
  store: KnexMessageStore;
  mailboxes: MailboxService;
  delegations: DelegationService;
  audit: AuditTrail;
  server: ImapServer;
  user: TestUser;
  /** Log lines at warn and above, for assertions. */
  logLines: string[];
  close(): Promise<void>;
}

export interface TestBedOptions {
  implicitTls?: boolean;
  maxMessageSize?: number;
  limits?: ImapServerOptions['limits'];
  /** Default storage limit per box (bytes). */
  quotaBytes?: number;
  /** Without the directory's delegations: no shared namespace. */
  noSharing?: boolean;
}

export const TEST_PASSWORD = 'correct horse battery';

export async function startTestBed(options: TestBedOptions = {}): Promise<ImapTestBed> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hygie-imap-'));
  const { key, cert, certFile } = selfSignedCertificate(dir);
  const db = await openDatabase({ url: '', dataDir: dir, migrations: [...auditMigrations, ...directoryMigrations, ...storeMigrations] });
  const clock = systemClock;
  const audit = new AuditTrail(db, clock);
  const mailboxes = new MailboxService({ db, clock, audit, domains: DEFAULT_CONFIG.operator.domains, auth: { maxFailures: 50, windowSeconds: 60 } });
  const store = new KnexMessageStore({ db, blobDir: path.join(dir, 'messages'), clock, ...(options.quotaBytes ? { quotaBytes: options.quotaBytes } : {}) });
  const delegations = new DelegationService({ db, clock, audit, mailboxes });
  const box = await mailboxes.createPersonalMailbox({
    firstName: 'Hélène', lastName: 'Durand', rpps: '99700218896', profession: 'Médecin', password: TEST_PASSWORD, actor: 'test',
  });
  const user = { login: box.addresses[0]!.address, password: TEST_PASSWORD, mailboxId: box.id };
  const logLines: string[] = [];
  const logger = new Logger({ level: 'warn', format: 'text', write: (line) => logLines.push(line) });
  const server = new ImapServer({
    store, authenticator: mailboxes, tls: { key, cert }, logger, hostname: 'imap.test',
    maxMessageSize: options.maxMessageSize ?? 1024 * 1024,
    ...(options.implicitTls ? { implicitTls: true } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.noSharing ? {} : { delegations, directory: mailboxes, audit }),
  });
  const host = '127.0.0.1';
  const port = await server.listen(0, host);
  return {
    host, port, ca: cert, caFile: certFile, db, store, mailboxes, delegations, audit, server, user, logLines,
    async close() {
      await server.close();
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A raw client over STARTTLS, logged in (as the bed's user unless told otherwise). */
export async function loginRaw(bed: ImapTestBed, user: { login: string; password: string } = bed.user): Promise<RawClient> {
  const client = await RawClient.connect(bed.port);
  await client.readLine();
  await client.command('s0', 'STARTTLS');
  await client.startTls(bed.ca);
  const reply = await client.command('l0', `LOGIN ${user.login} "${user.password}"`);
  if (!reply.at(-1)?.startsWith('l0 OK')) throw new Error(`login failed: ${reply.join(' | ')}`);
  return client;
}

/** Another personal box to log in with (colleague, secretary). */
export async function createColleague(bed: ImapTestBed, firstName: string, lastName: string): Promise<TestUser> {
  const box = await bed.mailboxes.createPersonalMailbox({ firstName, lastName, profession: 'Secrétaire médicale', password: TEST_PASSWORD, actor: 'test' });
  return { login: box.addresses[0]!.address, password: TEST_PASSWORD, mailboxId: box.id };
}

/** A self-signed certificate for localhost and 127.0.0.1 (it is its own CA). */
export function selfSignedCertificate(dir: string): { key: string; cert: string; certFile: string } {
  const keyFile = path.join(dir, 'server.key');
  const certFile = path.join(dir, 'server.crt');
  const run = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyFile, '-out', certFile,
  ], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`openssl failed: ${run.stderr}`);
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile };
}

/** A small message with a French, encoded subject and an attachment. */
export function sampleMessage(subject = 'Compte rendu de consultation', body = 'Bonjour,\r\nVoici le compte rendu.\r\n'): Buffer {
  const encoded = `=?UTF-8?B?${Buffer.from(subject, 'utf8').toString('base64')}?=`;
  return Buffer.from([
    'From: "Dr Jean Martin" <jean.martin@esante-demo.test>',
    'To: Hélène Durand <helene.durand@esante-demo.test>',
    `Subject: ${encoded}`,
    'Date: Tue, 24 Nov 2026 10:00:00 +0100',
    `Message-ID: <${Math.random().toString(36).slice(2)}@esante-demo.test>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="=_frontiere_42"',
    '',
    'This is a multi-part message in MIME format.',
    '--=_frontiere_42',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    body.replace(/\r?\n$/, ''),
    '--=_frontiere_42',
    'Content-Type: application/pdf; name="cr.pdf"',
    'Content-Disposition: attachment; filename="cr.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('%PDF-1.4 fake').toString('base64'),
    '--=_frontiere_42--',
    '',
  ].join('\r\n'), 'utf8');
}

/**
 * A line-oriented IMAP client over a raw socket, for exact-response assertions.
 * `read*` methods consume the received text up to what they matched.
 */
export class RawClient {
  private socket: net.Socket | tls.TLSSocket;
  private received = '';
  private waiters: Array<() => void> = [];
  private ended = false;

  private constructor(socket: net.Socket | tls.TLSSocket) {
    this.socket = socket;
    this.listen(socket);
  }

  static async connect(port: number, host = '127.0.0.1', tlsOptions?: tls.ConnectionOptions): Promise<RawClient> {
    const socket = tlsOptions
      ? tls.connect({ port, host, ...tlsOptions })
      : net.connect({ port, host });
    await new Promise<void>((resolve, reject) => {
      socket.once(tlsOptions ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  private listen(socket: net.Socket): void {
    socket.on('data', (chunk: Buffer) => {
      this.received += chunk.toString('latin1');
      this.wake();
    });
    socket.on('close', () => { this.ended = true; this.wake(); });
    socket.on('error', () => { this.ended = true; this.wake(); });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }

  get closed(): boolean {
    return this.ended;
  }

  write(text: string | Buffer): void {
    this.socket.write(text);
  }

  /** Sends `tag command` and returns every line up to and including the tagged response. */
  async command(tag: string, command: string): Promise<string[]> {
    this.write(`${tag} ${command}\r\n`);
    return this.readUntilTagged(tag);
  }

  async readLine(timeoutMs = 5000): Promise<string> {
    const text = await this.waitFor((buffer) => {
      const end = buffer.indexOf('\r\n');
      return end < 0 ? -1 : end + 2;
    }, timeoutMs);
    return text.slice(0, -2);
  }

  async readUntilTagged(tag: string, timeoutMs = 5000): Promise<string[]> {
    const text = await this.waitFor((buffer) => {
      const match = new RegExp(`(^|\\r\\n)${tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} [^\\r\\n]*\\r\\n`).exec(buffer);
      return match ? match.index + match[0].length : -1;
    }, timeoutMs);
    return text.replace(/\r\n$/, '').split('\r\n');
  }

  /** Resolves when the server closes the connection; returns what was received meanwhile. */
  async readUntilClosed(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error(`connection still open; received: ${JSON.stringify(this.received)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    const rest = this.received;
    this.received = '';
    return rest;
  }

  /** Upgrades this connection with TLS (after the server's STARTTLS OK). */
  async startTls(ca: string): Promise<void> {
    const plain = this.socket as net.Socket;
    plain.removeAllListeners('data');
    const secure = tls.connect({ socket: plain, ca, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.listen(secure);
  }

  /** Stops reading from the socket (a client that never reads its responses). */
  pause(): void {
    this.socket.pause();
  }

  close(): void {
    this.socket.destroy();
  }

  private async waitFor(find: (buffer: string) => number, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = find(this.received);
      if (end >= 0) {
        const text = this.received.slice(0, end);
        this.received = this.received.slice(end);
        return text;
      }
      if (this.ended) throw new Error(`connection closed; received: ${JSON.stringify(this.received)}`);
      if (Date.now() > deadline) throw new Error(`timed out; received: ${JSON.stringify(this.received)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }
}
