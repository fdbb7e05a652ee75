/**
 * The operator API: JSON over HTTPS, for the operator's tools and scripts. Every request
 * authenticates with a bearer token or a pinned client certificate (directory/
 * operator-credentials.ts); the handlers are the same domain functions the command line
 * calls, so both stay in step. Errors come back as `{ error: CODE, message }` with the
 * catalogue's HTTP status.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Router } from '../../core/http-router.js';
import { HygieError, isHygieError } from '../../core/errors.js';
import { listenOn } from '../../core/listen.js';
import type { Logger } from '../../core/logger.js';
import type { OperatorCredential, OperatorCredentials } from '../operator-credentials.js';

export interface ApiRequest {
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  /** Parsed JSON body (an object), `{}` when there is none. */
  body: Record<string, unknown>;
  operator: OperatorCredential;
  /** `operator:<name>` for the audit trail. */
  actor: string;
  remoteAddress: string | undefined;
}

export interface ApiResult {
  status?: number;
  body: unknown;
}

export type ApiHandler = (request: ApiRequest) => Promise<ApiResult>;

export interface OperatorApiOptions {
  credentials: OperatorCredentials;
  routes: Router<ApiHandler>;
  tls: { key: string; cert: string };
  logger: Logger;
  maxBodyBytes?: number;
}

const DEFAULT_MAX_BODY = 1024 * 1024;

export class OperatorApiServer {
  private readonly options: OperatorApiOptions;
  private readonly server: Server;

  constructor(options: OperatorApiOptions) {
    this.options = options;
    // Ask for a client certificate without requiring one or a chain: a pinned certificate
    // is trusted by its pin, and the handshake has proved the key; tokens need none.
    this.server = createServer({ ...options.tls, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' },
      (request, response) => void this.handle(request, response));
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 60_000;
    // A listener error after the start (EMFILE on accept, say) is logged; unhandled it would stop the operator.
    this.server.on('error', (error) => options.logger.error('operator API listener error', { error }));
  }

  listen(port: number, host: string): Promise<number> {
    return listenOn(this.server, port, host);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'https://api.invalid');
    try {
      const operator = await this.authenticate(request);
      const match = this.options.routes.match(request.method ?? 'GET', url.pathname);
      if (match.kind === 'not-found') throw new HygieError('NOT_FOUND', `no API route ${request.method} ${url.pathname}`);
      if (match.kind === 'method-not-allowed') {
        send(response, 405, { error: 'METHOD_NOT_ALLOWED', message: `use ${match.allow.join(', ')}` }, { Allow: match.allow.join(', ') });
        return;
      }
      const body = await readJson(request, this.options.maxBodyBytes ?? DEFAULT_MAX_BODY);
      const result = await match.handler({
        params: match.params, query: url.searchParams, body, operator, actor: `operator:${operator.name}`,
        remoteAddress: request.socket.remoteAddress,
      });
      send(response, result.status ?? 200, result.body);
    } catch (error) {
      if (isHygieError(error)) {
        send(response, error.spec.http, { error: error.code, message: error.message });
      } else {
        this.options.logger.error('operator API request failed', { error, path: url.pathname });
        send(response, 500, { error: 'INTERNAL', message: 'internal error; see the server log' });
      }
    }
  }

  private async authenticate(request: IncomingMessage): Promise<OperatorCredential> {
    const header = request.headers.authorization;
    const bearer = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (bearer) {
      const found = await this.options.credentials.verifyToken(bearer);
      if (found) return found;
      throw new HygieError('OPERATOR_AUTH_REQUIRED', 'unknown or revoked token');
    }
    const peer = (request.socket as TLSSocket).getPeerCertificate?.();
    if (peer?.raw) {
      const found = await this.options.credentials.verifyCertificate(peer.raw);
      if (found) return found;
      throw new HygieError('OPERATOR_AUTH_REQUIRED', 'this client certificate is not pinned to an operator');
    }
    throw new HygieError('OPERATOR_AUTH_REQUIRED');
  }
}

async function readJson(request: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HygieError('INVALID_INPUT', `request body larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return {};
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new HygieError('INVALID_INPUT', 'the request body must be application/json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new HygieError('INVALID_INPUT', `malformed JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new HygieError('INVALID_INPUT', 'the request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body, null, 2) + '\n';
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff', ...headers,
  });
  response.end(text);
}
