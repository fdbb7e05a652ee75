/**
 * Webmail sessions, in memory: an unguessable id (32 random bytes) per signed-in
 * browser, its CSRF token, and two expiries: idle (no request for `idleMs`) and absolute
 * (`absoluteMs` after sign-in, whatever the activity). Sessions do not survive a restart
 * and are not shared between processes; users then sign in again.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { AuthenticatedUser } from '../directory/types.js';

export interface Session {
  readonly id: string;
  readonly user: AuthenticatedUser;
  /** Sent back in every POST form of the session. */
  readonly csrfToken: string;
  readonly createdAt: number;
  lastSeenAt: number;
}

export interface SessionStoreOptions {
  clock: Clock;
  idleMs: number;
  absoluteMs: number;
}

export const DEFAULT_IDLE_MS = 30 * 60 * 1000;
export const DEFAULT_ABSOLUTE_MS = 12 * 60 * 60 * 1000;

/** A fresh random token, URL- and cookie-safe (43 characters for 32 bytes). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly options: SessionStoreOptions) {}

  create(user: AuthenticatedUser): Session {
    const now = this.options.clock.now().getTime();
    const session: Session = { id: randomToken(), user, csrfToken: randomToken(), createdAt: now, lastSeenAt: now };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id, its idle timer restarted; expired sessions are dropped. */
  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    const now = this.options.clock.now().getTime();
    if (this.expired(session, now)) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastSeenAt = now;
    return session;
  }

  destroy(id: string): void {
    this.sessions.delete(id);
  }

  /** Drops every expired session; returns how many. */
  sweep(): number {
    const now = this.options.clock.now().getTime();
    let dropped = 0;
    for (const [id, session] of this.sessions) {
      if (this.expired(session, now)) {
        this.sessions.delete(id);
        dropped++;
      }
    }
    return dropped;
  }

  clear(): void {
    this.sessions.clear();
  }

  get size(): number {
    return this.sessions.size;
  }

  private expired(session: Session, now: number): boolean {
    return now - session.lastSeenAt >= this.options.idleMs || now - session.createdAt >= this.options.absoluteMs;
  }
}
