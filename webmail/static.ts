/**
 * The webmail's static files (one stylesheet), read once at start and served with an
 * ETag. tsc does not copy non-TypeScript files, so the file is looked up next to this
 * module (source run, or a build that copies `static/`) and then in the source tree
 * beside `dist/` (`dist/webmail/` → `webmail/static/`).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface StaticFile {
  body: Buffer;
  contentType: string;
  etag: string;
}

const CANDIDATE_DIRS = ['./static/', '../../webmail/static/'];

export function loadStaticFile(name: string, contentType: string): StaticFile {
  const tried: string[] = [];
  for (const dir of CANDIDATE_DIRS) {
    const path = fileURLToPath(new URL(dir + name, import.meta.url));
    tried.push(path);
    let body: Buffer;
    try {
      body = readFileSync(path);
    } catch {
      continue;
    }
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    return { body, contentType, etag };
  }
  throw new Error(`webmail static file ${name} not found (looked in ${tried.join(', ')})`);
}
