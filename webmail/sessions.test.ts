import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../core/clock.js';
import type { AuthenticatedUser } from '../directory/types.js';
import { SessionStore } from './sessions.js';

const user: AuthenticatedUser = { mailboxId: 1, login: 'lea.dupont@esante-demo.test', displayName: 'Léa Dupont', addresses: [] };
const MINUTE = 60_000;

test('sessions get random ids and CSRF tokens of 32 bytes', () => {
  const store = new SessionStore({ clock: new ManualClock(new Date()), idleMs: 30 * MINUTE, absoluteMs: 720 * MINUTE });
  const a = store.create(user);
  const b = store.create(user);
  assert.match(a.id, /^[A-Za-z0-9_-]{43}$/);
  assert.match(a.csrfToken, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a.id, b.id);
  assert.notEqual(a.id, a.csrfToken);
  assert.equal(store.get(a.id), a);
  assert.equal(store.get('unknown'), undefined);
  assert.equal(store.get(undefined), undefined);
  store.destroy(a.id);
  assert.equal(store.get(a.id), undefined);
});

test('idle expiry: each use restarts the idle timer', () => {
  const clock = new ManualClock(new Date('2026-11-24T08:00:00Z'));
  const store = new SessionStore({ clock, idleMs: 30 * MINUTE, absoluteMs: 720 * MINUTE });
  const session = store.create(user);
  clock.advance(29 * MINUTE);
  assert.ok(store.get(session.id));
  clock.advance(29 * MINUTE);
  assert.ok(store.get(session.id));
  clock.advance(30 * MINUTE);
  assert.equal(store.get(session.id), undefined);
  assert.equal(store.size, 0);
});

test('absolute expiry applies however active the session is', () => {
  const clock = new ManualClock(new Date('2026-11-24T08:00:00Z'));
  const store = new SessionStore({ clock, idleMs: 30 * MINUTE, absoluteMs: 60 * MINUTE });
  const session = store.create(user);
  for (let i = 0; i < 5; i++) {
    clock.advance(11 * MINUTE);
    assert.ok(store.get(session.id));
  }
  clock.advance(6 * MINUTE);
  assert.equal(store.get(session.id), undefined);
});

test('sweep drops expired sessions only', () => {
  const clock = new ManualClock(new Date('2026-11-24T08:00:00Z'));
  const store = new SessionStore({ clock, idleMs: 30 * MINUTE, absoluteMs: 720 * MINUTE });
  store.create(user);
  clock.advance(20 * MINUTE);
  const recent = store.create(user);
  clock.advance(15 * MINUTE);
  assert.equal(store.sweep(), 1);
  assert.equal(store.size, 1);
  assert.ok(store.get(recent.id));
});
