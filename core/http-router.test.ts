import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Router } from './http-router.js';

test('router: parameters, HEAD as GET, 405 with the allowed methods, 404', () => {
  const router = new Router<string>().add('GET', '/', 'home').add('GET', '/message/:uid', 'message').add('POST', '/login', 'post-login').add('GET', '/login', 'get-login');
  assert.deepEqual(router.match('GET', '/message/42'), { kind: 'found', handler: 'message', params: { uid: '42' } });
  assert.deepEqual(router.match('GET', '/message/%E2%9C%93'), { kind: 'found', handler: 'message', params: { uid: '✓' } });
  assert.deepEqual(router.match('HEAD', '/'), { kind: 'found', handler: 'home', params: {} });
  assert.deepEqual(router.match('DELETE', '/login'), { kind: 'method-not-allowed', allow: ['GET', 'HEAD', 'POST'] });
  assert.deepEqual(router.match('POST', '/message/1'), { kind: 'method-not-allowed', allow: ['GET', 'HEAD'] });
  assert.deepEqual(router.match('GET', '/message/'), { kind: 'not-found' });
  assert.deepEqual(router.match('GET', '/message/1/2'), { kind: 'not-found' });
  assert.deepEqual(router.match('GET', '/message/%E0%A4%A'), { kind: 'not-found' });
  assert.deepEqual(router.match('GET', '//evil.example/'), { kind: 'not-found' });
});
