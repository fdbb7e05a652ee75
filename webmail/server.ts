/**
 * The webmail's HTTP front end over node:http: sign-in, inbox, reading one message.
 * Like the other protocol front ends it only translates requests into calls to the
 * directory's Authenticator and the MessageStore; it never touches the database.
 *
 * Security: server-side sessions behind an unguessable HttpOnly SameSite=Strict cookie
 * (Secure and `__Host-` prefixed when the public URL is https), CSRF tokens on every
 * POST form plus an Origin check, a CSP that allows no script at all, escaped output
 * everywhere (html.ts), message HTML never rendered (message-reader.ts), size-limited
 * form bodies, no caching of pages.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AuditEvent } from '../core/audit.js';
import { systemClock, type Clock } from '../core/clock.js';
import { isHygieError } from '../core/errors.js';
import { listenOn } from '../core/listen.js';
import type { Logger } from '../core/logger.js';
import type { Authenticator } from '../directory/types.js';
import type { Folder, MessageStore } from '../gateway/store/types.js';
import { CSRF_FIELD, isCrossSite, tokensEqual } from './csrf.js';
import {
  HttpError, SECURITY_HEADERS, htmlResponse, parseCookies, readForm, redirect, serializeCookie,
  type CookieOptions, type WebResponse,
} from './http.js';
import { Formatter, STRINGS, isLanguage, negotiateLanguage, type Language, type Strings } from './i18n.js';
import { readableMessage } from './message-reader.js';
import { Router, type Params } from '../core/http-router.js';
import { DEFAULT_ABSOLUTE_MS, DEFAULT_IDLE_MS, SessionStore, randomToken, type Session } from './sessions.js';
import { loadStaticFile, type StaticFile } from './static.js';
import { errorPage } from './views/error.js';
import { inboxPage } from './views/inbox.js';
import type { PageContext } from './views/layout.js';
import { loginPage } from './views/login.js';
import { messagePage } from './views/message.js';

export interface WebmailServerOptions {
  authenticator: Authenticator;
  store: MessageStore;
  logger: Logger;
  /** Language when neither `?lang=`, the language cookie nor Accept-Language decide. */
  language: Language;
  /** The URL users reach the webmail at; `https:` turns on Secure cookies and HSTS. */
  publicUrl: string;
  operatorName: string;
  /** This operator's name in Authentication-Results (server.hostnames[0]): only its verdicts are shown. */
  authservId?: string;
  /** Where each message read is recorded (every access to a box is audited). */
  audit?: { record(event: AuditEvent): Promise<void> };
  clock?: Clock;
  /** IANA time zone dates are shown in; Europe/Paris by default (overseas operators set theirs). */
  timeZone?: string;
  /** Session expiry after inactivity (default 30) and after sign-in whatever the activity (default 12 hours). */
  sessionIdleMinutes?: number;
  sessionMaxHours?: number;
  /** Serve HTTPS directly instead of plain HTTP behind a TLS-terminating proxy. */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

/** POST forms are small (sign-in, sign-out); anything larger is refused. */
export const MAX_FORM_BYTES = 16 * 1024;
const MAX_LOGIN_LENGTH = 320;
const MAX_PASSWORD_LENGTH = 1024;
const LOGIN_TOKEN_MAX_AGE = 2 * 60 * 60;
const LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 60 * 60;
const SWEEP_INTERVAL_MS = 60 * 1000;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const UID_SHAPE = /^[1-9][0-9]{0,9}$/;

/** What a handler knows about the request it answers. */
interface Exchange {
  request: IncomingMessage;
  method: string;
  path: string;
  query: URLSearchParams;
  cookies: Map<string, string>;
  language: Language;
  t: Strings;
  format: Formatter;
  remoteAddress: string | undefined;
  session: Session | undefined;
  /** A session cookie came with the request but names no live session (expired, or the server restarted). */
  staleSession: boolean;
  /** Set-Cookie headers to add to whatever response the handler returns. */
  setCookies: string[];
}

type Handler = (exchange: Exchange, params: Params) => Promise<WebResponse>;

export class WebmailServer {
  private readonly options: WebmailServerOptions;
  private readonly logger: Logger;
  private readonly server: Server;
  private readonly router = new Router<Handler>();
  private readonly sessions: SessionStore;
  private readonly formatters = new Map<Language, Formatter>();
  private readonly stylesheet: StaticFile;
  private readonly favicon: StaticFile;
  private readonly publicOrigin: string;
  private readonly secure: boolean;
  private readonly cookieNames: { session: string; login: string; language: string };
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(options: WebmailServerOptions) {
    this.options = options;
    this.logger = options.logger;
    const publicUrl = new URL(options.publicUrl);
    this.publicOrigin = publicUrl.origin;
    this.secure = publicUrl.protocol === 'https:';
    // `__Host-` cookies must be Secure, host-only and for path /: no subdomain can plant or overwrite them.
    const prefix = this.secure ? '__Host-' : '';
    this.cookieNames = { session: `${prefix}hygie_session`, login: `${prefix}hygie_login`, language: `${prefix}hygie_lang` };
    this.sessions = new SessionStore({
      clock: options.clock ?? systemClock,
      idleMs: (options.sessionIdleMinutes ?? DEFAULT_IDLE_MS / 60_000) * 60_000,
      absoluteMs: (options.sessionMaxHours ?? DEFAULT_ABSOLUTE_MS / 3_600_000) * 3_600_000,
    });
    const timeZone = options.timeZone ?? 'Europe/Paris';
    for (const language of ['fr', 'en'] as const) this.formatters.set(language, new Formatter(STRINGS[language], timeZone));
    this.stylesheet = loadStaticFile('style.css', 'text/css; charset=utf-8');
    this.favicon = loadStaticFile('favicon.svg', 'image/svg+xml');

    this.router
      .add('GET', '/', (x) => this.home(x))
      .add('GET', '/login', (x) => this.showLogin(x))
      .add('POST', '/login', (x) => this.login(x))
      .add('POST', '/logout', (x) => this.logout(x))
      .add('GET', '/inbox', (x) => this.inbox(x))
      .add('GET', '/message/:uid', (x, params) => this.message(x, params))
      .add('GET', '/static/style.css', (x) => this.staticFile(x, this.stylesheet))
      .add('GET', '/static/favicon.svg', (x) => this.staticFile(x, this.favicon))
      .add('GET', '/favicon.ico', (x) => this.staticFile(x, this.favicon));

    const listener = (request: IncomingMessage, response: ServerResponse): void => {
      this.handle(request, response).catch((error: unknown) => {
        this.logger.error('unhandled webmail error', { error });
        if (!response.headersSent) {
          response.writeHead(500, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
        }
        response.end();
      });
    };
    this.server = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, listener) : createHttpServer(listener);
    this.server.requestTimeout = 30_000;
    this.server.headersTimeout = 20_000;
    // A listener error after the start (EMFILE on accept, say) is logged; unhandled it would stop the operator.
    this.server.on('error', (error) => this.logger.error('webmail listener error', { error }));
  }

  /** Starts listening; resolves with the port actually bound (useful with port 0). */
  async listen(port: number, host: string): Promise<number> {
    const bound = await listenOn(this.server, port, host);
    this.sweepTimer = setInterval(() => this.sessions.sweep(), SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
    this.logger.info('webmail listening', { host, port: bound, publicUrl: this.options.publicUrl });
    return bound;
  }

  /** Stops accepting connections, lets requests in flight finish (2 s at most) and forgets every session. */
  async close(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    this.sessions.clear();
    if (!this.server.listening) return;
    await new Promise<void>((resolve, reject) => {
      const force = setTimeout(() => this.server.closeAllConnections(), 2000);
      force.unref();
      this.server.close((error) => {
        clearTimeout(force);
        if (error) reject(error);
        else resolve();
      });
      this.server.closeIdleConnections();
    });
  }

  // ---- request plumbing -------------------------------------------------------------

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = Date.now();
    const exchange = this.exchange(request);
    const result = await this.dispatch(exchange);
    this.send(exchange, response, result);
    this.logger.debug('request', { method: exchange.method, path: exchange.path, status: result.status, ms: Date.now() - started });
  }

  private exchange(request: IncomingMessage): Exchange {
    const url = request.url ?? '/';
    const queryStart = url.indexOf('?');
    const path = queryStart === -1 ? url : url.slice(0, queryStart);
    const query = new URLSearchParams(queryStart === -1 ? '' : url.slice(queryStart + 1));
    const cookies = parseCookies(request.headers.cookie);
    const setCookies: string[] = [];

    const requested = query.get('lang');
    const language = negotiateLanguage({
      query: requested,
      cookie: cookies.get(this.cookieNames.language),
      acceptLanguage: request.headers['accept-language'],
      fallback: this.options.language,
    });
    if (isLanguage(requested) && cookies.get(this.cookieNames.language) !== requested) {
      setCookies.push(this.cookie(this.cookieNames.language, requested, { sameSite: 'Lax', maxAgeSeconds: LANGUAGE_COOKIE_MAX_AGE }));
    }

    const sessionId = cookies.get(this.cookieNames.session);
    const session = this.sessions.get(sessionId);
    return {
      request, method: request.method ?? 'GET', path, query, cookies, language,
      t: STRINGS[language], format: this.formatters.get(language)!,
      remoteAddress: request.socket.remoteAddress, session, staleSession: Boolean(sessionId) && !session, setCookies,
    };
  }

  private async dispatch(x: Exchange): Promise<WebResponse> {
    const match = this.router.match(x.method, x.path);
    if (match.kind === 'not-found') return this.errorResponse(x, 404, x.t.errors.notFoundTitle, x.t.errors.notFoundText);
    if (match.kind === 'method-not-allowed') {
      return this.errorResponse(x, 405, x.t.errors.methodNotAllowedTitle, x.t.errors.methodNotAllowedText, { Allow: match.allow.join(', ') });
    }
    const headers = x.request.headers;
    if (x.method === 'POST' && isCrossSite({
      secFetchSite: headerValue(headers['sec-fetch-site']), origin: headerValue(headers.origin), host: headers.host, publicOrigin: this.publicOrigin,
    })) {
      this.logger.warn('cross-site POST refused', { path: x.path, origin: headers.origin, secFetchSite: headers['sec-fetch-site'], remoteAddress: x.remoteAddress });
      return this.errorResponse(x, 403, x.t.errors.forbiddenTitle, x.t.errors.forbiddenText);
    }
    try {
      return await match.handler(x, match.params);
    } catch (error) {
      if (error instanceof HttpError) {
        this.logger.info('request refused', { path: x.path, status: error.status, reason: error.message });
        if (error.status === 413) {
          return this.errorResponse(x, 413, x.t.errors.tooLargeTitle, x.t.errors.tooLargeText, { Connection: 'close' });
        }
        if (error.status === 403) return this.errorResponse(x, 403, x.t.errors.forbiddenTitle, x.t.errors.forbiddenText);
        return this.errorResponse(x, error.status, x.t.errors.badRequestTitle, x.t.errors.badRequestText);
      }
      this.logger.error('webmail request failed', { method: x.method, path: x.path, error });
      const status = isHygieError(error) && error.spec.http >= 500 ? error.spec.http : 500;
      return this.errorResponse(x, status, x.t.errors.serverErrorTitle, x.t.errors.serverErrorText);
    }
  }

  private send(x: Exchange, response: ServerResponse, result: WebResponse): void {
    const headers: Record<string, string | string[]> = {
      ...SECURITY_HEADERS,
      'Cache-Control': 'no-store',
      'Content-Language': x.language,
      ...(this.secure ? { 'Strict-Transport-Security': 'max-age=31536000' } : {}),
      ...result.headers,
    };
    if (x.setCookies.length > 0) headers['Set-Cookie'] = x.setCookies;
    const body = result.body ?? '';
    if (result.status !== 304) headers['Content-Length'] = String(Buffer.byteLength(body));
    response.writeHead(result.status, headers);
    response.end(x.method === 'HEAD' ? undefined : body);
  }

  private cookie(name: string, value: string, options: Partial<CookieOptions> = {}): string {
    return serializeCookie(name, value, { httpOnly: true, secure: this.secure, sameSite: 'Strict', ...options });
  }

  private clearCookie(name: string): string {
    return this.cookie(name, '', { maxAgeSeconds: 0 });
  }

  private page(x: Exchange, session?: Session): PageContext {
    return {
      t: x.t, language: x.language, operatorName: this.options.operatorName,
      user: session ? { displayName: session.user.displayName, login: session.user.login, csrfToken: session.csrfToken } : undefined,
    };
  }

  private errorResponse(x: Exchange, status: number, title: string, text: string, headers: Record<string, string> = {}): WebResponse {
    return htmlResponse(status, errorPage(this.page(x, x.session), title, text), headers);
  }

  /** The signed-in session, or the redirect to the sign-in page (saying so when the session expired). */
  private requireSession(x: Exchange): Session | WebResponse {
    if (x.session) return x.session;
    if (x.staleSession) {
      x.setCookies.push(this.clearCookie(this.cookieNames.session));
      return redirect('/login?expired=1');
    }
    return redirect('/login');
  }

  // ---- routes -----------------------------------------------------------------------

  private async home(x: Exchange): Promise<WebResponse> {
    return redirect(x.session ? '/inbox' : '/login');
  }

  private async showLogin(x: Exchange): Promise<WebResponse> {
    if (x.session) return redirect('/inbox');
    let notice: string | undefined;
    if (x.staleSession) {
      x.setCookies.push(this.clearCookie(this.cookieNames.session));
      notice = x.t.login.sessionExpired;
    } else if (x.query.has('expired')) {
      notice = x.t.login.sessionExpired;
    } else if (x.query.has('signedout')) {
      notice = x.t.login.loggedOut;
    }
    return this.loginForm(x, 200, { notice });
  }

  /** The sign-in page with its double-submit token (the one the browser holds, or a new one). */
  private loginForm(x: Exchange, status: number, view: { login?: string; error?: string; notice?: string }, headers: Record<string, string> = {}): WebResponse {
    const existing = x.cookies.get(this.cookieNames.login);
    const token = existing && TOKEN_SHAPE.test(existing) ? existing : randomToken();
    x.setCookies.push(this.cookie(this.cookieNames.login, token, { maxAgeSeconds: LOGIN_TOKEN_MAX_AGE }));
    return htmlResponse(status, loginPage(this.page(x), { csrfToken: token, ...view }), headers);
  }

  private async login(x: Exchange): Promise<WebResponse> {
    const form = await readForm(x.request, MAX_FORM_BYTES);
    const login = (form.get('login') ?? '').trim();
    const password = form.get('password') ?? '';

    if (!tokensEqual(x.cookies.get(this.cookieNames.login), form.get(CSRF_FIELD))) {
      this.logger.warn('sign-in form without a valid CSRF token', { remoteAddress: x.remoteAddress });
      // A fresh token: the old cookie may be missing (expired, cookies blocked) or forged.
      x.cookies.delete(this.cookieNames.login);
      return this.loginForm(x, 403, { login, error: x.t.login.formExpired });
    }
    if (!login || !password) return this.loginForm(x, 400, { login, error: x.t.login.missingFields });
    if (login.length > MAX_LOGIN_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
      return this.loginForm(x, 401, { error: x.t.login.failed });
    }

    let user;
    try {
      user = await this.options.authenticator.authenticate(login, password, { channel: 'webmail', remoteAddress: x.remoteAddress });
    } catch (error) {
      if (isHygieError(error, 'AUTH_FAILED')) {
        this.logger.info('sign-in refused', { remoteAddress: x.remoteAddress });
        return this.loginForm(x, 401, { login, error: x.t.login.failed });
      }
      if (isHygieError(error, 'AUTH_RATE_LIMITED')) {
        this.logger.warn('sign-in rate-limited', { remoteAddress: x.remoteAddress });
        return this.loginForm(x, 429, { login, error: x.t.login.rateLimited });
      }
      throw error;
    }

    // A new session id at each sign-in: a session id planted before sign-in is worth nothing.
    const previous = x.cookies.get(this.cookieNames.session);
    if (previous) this.sessions.destroy(previous);
    const session = this.sessions.create(user);
    x.setCookies.push(this.cookie(this.cookieNames.session, session.id), this.clearCookie(this.cookieNames.login));
    this.logger.info('signed in', { mailboxId: user.mailboxId, remoteAddress: x.remoteAddress });
    return redirect('/inbox');
  }

  private async logout(x: Exchange): Promise<WebResponse> {
    const session = this.requireSession(x);
    if (!('user' in session)) return session;
    const form = await readForm(x.request, MAX_FORM_BYTES);
    if (!tokensEqual(session.csrfToken, form.get(CSRF_FIELD))) throw new HttpError(403, 'sign-out form without a valid CSRF token');
    this.sessions.destroy(session.id);
    x.setCookies.push(this.clearCookie(this.cookieNames.session));
    await this.options.audit?.record({
      action: 'auth.logout', outcome: 'success', actor: session.user.login, subject: String(session.user.mailboxId),
      channel: 'webmail', remoteAddress: x.remoteAddress,
    });
    this.logger.info('signed out', { mailboxId: session.user.mailboxId });
    return redirect('/login?signedout=1');
  }

  private async inbox(x: Exchange): Promise<WebResponse> {
    const session = this.requireSession(x);
    if (!('user' in session)) return session;
    const folder = await this.inboxFolder(session.user.mailboxId);
    const messages = folder ? await this.options.store.listMessages(folder.id) : [];
    const newestFirst = [...messages].sort((a, b) => b.internalDate.getTime() - a.internalDate.getTime() || b.uid - a.uid);
    return htmlResponse(200, inboxPage(this.page(x, session), x.format, newestFirst));
  }

  private async message(x: Exchange, params: Params): Promise<WebResponse> {
    const session = this.requireSession(x);
    if (!('user' in session)) return session;
    const notFound = (): WebResponse => this.errorResponse(x, 404, x.t.errors.notFoundTitle, x.t.errors.notFoundText);
    const uidText = params.uid ?? '';
    if (!UID_SHAPE.test(uidText) || Number(uidText) > 0xffffffff) return notFound();
    const uid = Number(uidText);

    // Only the signed-in user's own INBOX is looked in: a UID cannot reach another box.
    const folder = await this.inboxFolder(session.user.mailboxId);
    if (!folder) return notFound();
    const summary = (await this.options.store.listMessages(folder.id)).find((message) => message.uid === uid);
    if (!summary) return notFound();

    let raw: Buffer;
    try {
      raw = await this.options.store.readMessage(folder.id, uid);
    } catch (error) {
      // Expunged (by an IMAP client) between the listing and the read: gone, not broken.
      if (!(await this.options.store.listMessages(folder.id)).some((message) => message.uid === uid)) return notFound();
      throw error;
    }
    const readable = await readableMessage(raw, this.options.authservId);
    await this.options.audit?.record({
      action: 'message.read', outcome: 'success', actor: session.user.login, subject: String(session.user.mailboxId),
      channel: 'webmail', remoteAddress: x.remoteAddress, details: { folder: folder.name, uid, messageId: summary.messageId },
    });
    if (!summary.flags.includes('\\Seen')) await this.options.store.updateFlags(folder.id, [uid], ['\\Seen'], 'add');
    return htmlResponse(200, messagePage(this.page(x, session), x.format, summary, readable));
  }

  private async staticFile(x: Exchange, file: StaticFile): Promise<WebResponse> {
    const headers = { 'Content-Type': file.contentType, 'Cache-Control': 'no-cache', ETag: file.etag };
    if (headerValue(x.request.headers['if-none-match']) === file.etag) return { status: 304, headers };
    return { status: 200, headers, body: file.body };
  }

  private async inboxFolder(mailboxId: number): Promise<Folder | undefined> {
    const store = this.options.store;
    return (await store.getFolder(mailboxId, 'INBOX'))
      ?? (await store.listFolders(mailboxId)).find((folder) => folder.name.toUpperCase() === 'INBOX');
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
