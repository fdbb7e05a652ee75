/**
 * Test support for the webmail tests (not a test file itself): a real webmail over a
 * temporary SQLite database with the real MailboxService and KnexMessageStore, and a
 * tiny cookie-keeping HTTP client.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { AuditTrail, auditMigrations } from '../core/audit.js';
import { systemClock, type Clock } from '../core/clock.js';
import { DEFAULT_CONFIG } from '../core/config.js';
import { openDatabase } from '../core/database.js';
import { Logger } from '../core/logger.js';
import { MailboxService } from '../directory/mailbox-service.js';
import { directoryMigrations } from '../directory/migrations.js';
import { KnexMessageStore } from '../gateway/store/knex-store.js';
import { storeMigrations } from '../gateway/store/migrations.js';
import type { Language } from './i18n.js';
import { WebmailServer } from './server.js';

export const TEST_PASSWORD = 'Stéthoscope-2026!';

export interface TestUser {
  mailboxId: number;
  login: string;
  password: string;
  displayName: string;
}

export interface WebmailFixture {
  baseUrl: string;
  server: WebmailServer;
  db: Knex;
  mailboxes: MailboxService;
  store: KnexMessageStore;
  audit: AuditTrail;
  user: TestUser;
  /** Log lines the webmail wrote (warn and above, or everything with `logLevel: 'debug'`). */
  logs: string[];
  createUser(firstName: string, lastName: string): Promise<TestUser>;
  /** Delivers a raw message (LF or CRLF line ends) to the INBOX of a box; returns its UID. */
  deliver(raw: string, mailboxId?: number, internalDate?: Date): Promise<number>;
  close(): Promise<void>;
}

export interface FixtureOptions {
  language?: Language;
  publicUrl?: string;
  clock?: Clock;
  maxAuthFailures?: number;
  logLevel?: 'debug' | 'warn';
}

export async function startWebmail(options: FixtureOptions = {}): Promise<WebmailFixture> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'hygie-webmail-'));
  const clock = options.clock ?? systemClock;
  const db = await openDatabase({ url: '', dataDir, migrations: [...auditMigrations, ...directoryMigrations, ...storeMigrations] });
  const audit = new AuditTrail(db, clock);
  const mailboxes = new MailboxService({
    db, clock, audit, domains: DEFAULT_CONFIG.operator.domains,
    auth: { maxFailures: options.maxAuthFailures ?? 100, windowSeconds: 300 },
  });
  const store = new KnexMessageStore({ db, blobDir: path.join(dataDir, 'messages'), clock });
  const logs: string[] = [];
  const logger = new Logger({ level: options.logLevel ?? 'warn', format: 'text', write: (line) => logs.push(line) });
  const server = new WebmailServer({
    authenticator: mailboxes, store, logger, audit, clock,
    language: options.language ?? 'fr',
    publicUrl: options.publicUrl ?? 'http://127.0.0.1:8080',
    operatorName: 'Plateforme e-santé de démonstration', authservId: 'mail.esante-demo.test',
  });
  const port = await server.listen(0, '127.0.0.1');

  const createUser = async (firstName: string, lastName: string): Promise<TestUser> => {
    const box = await mailboxes.createPersonalMailbox({ firstName, lastName, password: TEST_PASSWORD, actor: 'operator:test' });
    return { mailboxId: box.id, login: box.addresses[0]!.address, password: TEST_PASSWORD, displayName: box.displayName };
  };
  const user = await createUser('Léa', 'Dupont');

  return {
    baseUrl: `http://127.0.0.1:${port}`, server, db, mailboxes, store, audit, user, logs, createUser,
    async deliver(raw, mailboxId = user.mailboxId, internalDate) {
      const [result] = await store.deliver([mailboxId], Buffer.from(raw.replace(/\r?\n/g, '\r\n'), 'utf8'), { internalDate });
      return result!.uid;
    },
    async close() {
      await server.close();
      await db.destroy();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A fetch wrapper that keeps cookies like a browser would (Max-Age=0 deletes) and never follows redirects. */
export class TestClient {
  readonly cookies = new Map<string, string>();

  constructor(readonly baseUrl: string) {}

  async get(pathname: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(pathname, { method: 'GET', headers });
  }

  async post(pathname: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(pathname, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }

  async request(pathname: string, init: { method: string; headers?: Record<string, string>; body?: string }): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.cookies.size > 0 && !headers.Cookie) {
      headers.Cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    }
    const response = await fetch(this.baseUrl + pathname, { method: init.method, headers, body: init.body, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index);
      if (/;\s*Max-Age=0(;|$)/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(index + 1));
    }
    return response;
  }

  /** Signs in through the form; returns the final response of the POST. */
  async signIn(login: string, password: string): Promise<Response> {
    const form = await (await this.get('/login')).text();
    return this.post('/login', { _csrf: csrfTokenOf(form), login, password });
  }
}

/** The CSRF token of the first form of a page. */
export function csrfTokenOf(page: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(page);
  if (!match) throw new Error('no CSRF token in the page');
  return match[1]!;
}

/** A raw RFC 5322 message, LF line ends (deliver() converts). */
export function rawMessage(fields: { from?: string; to?: string; cc?: string; subject: string; date?: string; contentType?: string; body: string; extraHeaders?: string }): string {
  const encodedSubject = /^[\x20-\x7e]*$/.test(fields.subject)
    ? fields.subject
    : `=?UTF-8?B?${Buffer.from(fields.subject, 'utf8').toString('base64')}?=`;
  return [
    `From: ${fields.from ?? '"Dr Paul Martin" <paul.martin@demo.mssante.test>'}`,
    `To: ${fields.to ?? 'lea.dupont@esante-demo.test'}`,
    ...(fields.cc ? [`Cc: ${fields.cc}`] : []),
    `Subject: ${encodedSubject}`,
    `Date: ${fields.date ?? 'Tue, 24 Nov 2026 10:15:00 +0100'}`,
    `Message-ID: <${Math.random().toString(36).slice(2)}@demo.mssante.test>`,
    'MIME-Version: 1.0',
    ...(fields.extraHeaders ? [fields.extraHeaders] : []),
    `Content-Type: ${fields.contentType ?? 'text/plain; charset=utf-8'}`,
    'Content-Transfer-Encoding: 8bit',
    '',
    fields.body,
    '',
  ].join('\n');
}
