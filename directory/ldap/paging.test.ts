import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCookie, encodeCookie, searchFingerprint } from './paging.js';

test('a cookie gives back its cursor for the same search only', () => {
  const fingerprint = searchFingerprint(['dc=x', 'sub', '(cn=*a*)', 'cn,mail', 'public']);
  const cookie = encodeCookie({ section: 3, after: 123456, sent: 40 }, fingerprint);
  assert.deepEqual(decodeCookie(cookie, fingerprint), { section: 3, after: 123456, sent: 40 });
  assert.equal(decodeCookie(cookie, searchFingerprint(['dc=x', 'sub', '(cn=*b*)', 'cn,mail', 'public'])), undefined);
  assert.equal(decodeCookie(cookie, searchFingerprint(['dc=x', 'sub', '(cn=*a*)', 'cn,mail', 'operator'])), undefined, 'tied to the viewer');
  for (const bad of ['', 'garbage', '1.2.3', '99999.1.1.x', '1.-2.3.abc']) assert.equal(decodeCookie(Buffer.from(bad), fingerprint), undefined, bad);
});
