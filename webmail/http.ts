/**
 * The small HTTP toolkit the webmail needs over node:http: responses as values, cookies,
 * size-limited form bodies and the security headers every response carries.
 */
import type { IncomingMessage } from 'node:http';
import type { SafeHtml } from './html.js';

export interface WebResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export function htmlResponse(status: number, page: SafeHtml, headers: Record<string, string> = {}): WebResponse {
  return { status, headers: { 'Content-Type': 'text/html; charset=utf-8', ...headers }, body: page.value };
}

/** 303 See Other: after a POST, and for every redirect (the browser then GETs the target). */
export function redirect(location: string): WebResponse {
  return { status: 303, headers: { Location: location }, body: '' };
}

/**
 * Headers on every response. The CSP allows only our own stylesheet and images: no script
 * at all, no frames, forms posting only to us; so even markup that slipped through could
 * not run or exfiltrate anything.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** An HTTP failure a handler cannot recover from (body too large, wrong content type). */
export class HttpError extends Error {
  constructor(readonly status: 400 | 403 | 413 | 415, message: string) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Cookies of a request; the first occurrence of a name wins, malformed values are skipped. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index <= 0) continue;
    const name = part.slice(0, index).trim();
    let value = part.slice(index + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (cookies.has(name)) continue;
    try {
      cookies.set(name, decodeURIComponent(value));
    } catch {
      // not percent-decodable: not one of ours
    }
  }
  return cookies;
}

export interface CookieOptions {
  httpOnly: boolean;
  secure: boolean;
  sameSite: 'Strict' | 'Lax';
  /** Omitted: a browser-session cookie. 0: delete the cookie. */
  maxAgeSeconds?: number;
}

export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  let cookie = `${name}=${encodeURIComponent(value)}; Path=/; SameSite=${options.sameSite}`;
  if (options.maxAgeSeconds !== undefined) cookie += `; Max-Age=${Math.floor(options.maxAgeSeconds)}`;
  if (options.httpOnly) cookie += '; HttpOnly';
  if (options.secure) cookie += '; Secure';
  return cookie;
}

/**
 * Reads an `application/x-www-form-urlencoded` body of at most `limit` bytes. Larger bodies
 * are refused (413) as soon as the declared length or the bytes read exceed the limit;
 * the rest is drained so the refusal can still be sent.
 */
export async function readForm(request: IncomingMessage, limit: number): Promise<URLSearchParams> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    request.resume();
    throw new HttpError(415, `unsupported content type "${type}"`);
  }
  const body = await readBody(request, limit);
  return new URLSearchParams(body.toString('utf8'));
}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > limit) {
      request.resume();
      reject(new HttpError(413, `declared body of ${declared} bytes exceeds ${limit}`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        request.off('data', onData);
        request.resume();
        reject(new HttpError(413, `body exceeds ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.once('end', () => resolve(Buffer.concat(chunks)));
    // A client gone before its body was in (Node's "aborted") is the client's doing, not a server failure.
    request.once('error', (error) => reject(request.destroyed ? new HttpError(400, `request body cut short: ${error.message}`) : error));
  });
}
