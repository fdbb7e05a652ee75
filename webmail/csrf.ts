/**
 * Cross-site request forgery defences for POST forms:
 * - signed-in forms carry the session's token (`SessionStore`), compared here in constant time;
 * - the sign-in form, before any session exists, uses a double-submit token: the same random
 *   value in a cookie (HttpOnly, SameSite=Strict, `__Host-` prefixed over HTTPS) and in the form;
 * - every POST the browser says comes from another site (Sec-Fetch-Site, Origin) is refused outright.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** The form field every POST form carries. */
export const CSRF_FIELD = '_csrf';

/** Compares two tokens in constant time; a missing or empty token never matches. */
export function tokensEqual(expected: string | undefined | null, actual: string | undefined | null): boolean {
  if (!expected || !actual) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(actual).digest();
  return timingSafeEqual(a, b);
}

/**
 * Whether a POST comes from another site, judged from the browser's own statements:
 * `Sec-Fetch-Site` when the browser sends it (all current browsers; reliable even when
 * `Referrer-Policy: no-referrer` makes Chromium send `Origin: null` on form posts), else
 * the Origin header compared with the public origin and the host the request was sent
 * to. When neither says anything (old browsers, non-browser clients, `Origin: null`)
 * the request is not called cross-site here: the CSRF token still has to match.
 */
export function isCrossSite(request: { secFetchSite?: string; origin?: string; host?: string; publicOrigin: string }): boolean {
  if (request.secFetchSite) return request.secFetchSite !== 'same-origin' && request.secFetchSite !== 'none';
  const origin = request.origin;
  if (origin === undefined || origin === 'null' || origin === request.publicOrigin) return false;
  try {
    return !request.host || new URL(origin).host !== request.host.toLowerCase();
  } catch {
    return true;
  }
}
