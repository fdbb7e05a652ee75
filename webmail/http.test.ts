import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCrossSite, tokensEqual } from './csrf.js';
import { parseCookies, serializeCookie } from './http.js';

test('cookies: parsing keeps the first occurrence and skips malformed pairs', () => {
  const cookies = parseCookies('a=1; b="two"; a=3; bad; c=%E2%9C%93; d=%E0%A4%A');
  assert.deepEqual([...cookies], [['a', '1'], ['b', 'two'], ['c', '✓']]);
  assert.equal(serializeCookie('s', 'v', { httpOnly: true, secure: true, sameSite: 'Strict' }), 's=v; Path=/; SameSite=Strict; HttpOnly; Secure');
  assert.equal(serializeCookie('s', '', { httpOnly: true, secure: false, sameSite: 'Lax', maxAgeSeconds: 0 }), 's=; Path=/; SameSite=Lax; Max-Age=0; HttpOnly');
});

test('CSRF helpers: constant-time token comparison and Origin check', () => {
  assert.equal(tokensEqual('abc', 'abc'), true);
  assert.equal(tokensEqual('abc', 'abd'), false);
  assert.equal(tokensEqual('abc', 'abcd'), false);
  assert.equal(tokensEqual(undefined, undefined), false);
  assert.equal(tokensEqual('', ''), false);
  const publicOrigin = 'https://mail.example';
  assert.equal(isCrossSite({ secFetchSite: 'same-origin', origin: 'null', host: 'mail.example', publicOrigin }), false);
  assert.equal(isCrossSite({ secFetchSite: 'none', publicOrigin }), false);
  assert.equal(isCrossSite({ secFetchSite: 'cross-site', origin: 'https://mail.example', host: 'mail.example', publicOrigin }), true);
  assert.equal(isCrossSite({ secFetchSite: 'same-site', origin: 'https://other.mail.example', publicOrigin }), true);
  assert.equal(isCrossSite({ host: 'mail.example', publicOrigin }), false);
  assert.equal(isCrossSite({ origin: 'null', host: 'mail.example', publicOrigin }), false);
  assert.equal(isCrossSite({ origin: 'https://mail.example', host: 'proxy.internal:8080', publicOrigin }), false);
  assert.equal(isCrossSite({ origin: 'http://127.0.0.1:8080', host: '127.0.0.1:8080', publicOrigin }), false);
  assert.equal(isCrossSite({ origin: 'https://evil.example', host: 'mail.example', publicOrigin }), true);
  assert.equal(isCrossSite({ origin: 'not a url', host: 'mail.example', publicOrigin }), true);
});
