/**
 * RFC 2696 paged results: the cookie is where the next page starts (a section of the
 * tree and the last id returned in it) and how many entries earlier pages returned
 * (the client's size limit counts them all), tied to the search it belongs to. Nothing
 * is kept on the server, so a client may drop a paged search at any time. The cookie
 * is not secret: forging one only moves where a search resumes, and every entry is
 * still checked for visibility.
 */
import { createHash } from 'node:crypto';

export interface PageCursor {
  /** Index of the section the next page starts in. */
  section: number;
  /** Last id returned (or examined) in that section; 0 to start at its beginning. */
  after: number;
  /** Entries returned by earlier pages. */
  sent: number;
}

export const START: PageCursor = { section: 0, after: 0, sent: 0 };

/** What a cookie is valid for: the same base, scope, filter, attributes and viewer. */
export function searchFingerprint(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 16);
}

export function encodeCookie(cursor: PageCursor, fingerprint: string): Buffer {
  return Buffer.from(`${cursor.section}.${cursor.after}.${cursor.sent}.${fingerprint}`, 'latin1');
}

/** The cursor in a cookie, or `undefined` when it is malformed or belongs to another search. */
export function decodeCookie(cookie: Buffer, fingerprint: string): PageCursor | undefined {
  const match = /^(\d{1,4})\.(\d{1,15})\.(\d{1,15})\.([A-Za-z0-9_-]+)$/.exec(cookie.toString('latin1'));
  if (!match || match[4] !== fingerprint) return undefined;
  return { section: Number(match[1]), after: Number(match[2]), sent: Number(match[3]) };
}
