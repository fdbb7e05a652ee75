/** A small HTTPS JSON client for the operator API, as an operator's script would use it (node:https, real TLS). */
import { request } from 'node:https';

export interface ApiClientOptions {
  port: number;
  ca: string;
  token?: string;
  /** Client certificate and key (PEM) instead of, or as well as, a token. */
  cert?: string;
  key?: string;
}

export interface ApiReply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON as the server sent it
}

export function callApi(options: ApiClientOptions, method: string, path: string, body?: unknown, rawBody?: string): Promise<ApiReply> {
  const payload = rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port: options.port, method, path, ca: options.ca, servername: 'localhost',
      ...(options.cert ? { cert: options.cert, key: options.key } : {}),
      headers: {
        ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
        ...(payload !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}),
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}
