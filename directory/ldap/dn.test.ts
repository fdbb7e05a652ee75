import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isWithin, normaliseDn, parseDn } from './dn.js';

test('DNs compare without regard to case, spaces after commas or escaping', () => {
  const canonical = normaliseDn('uid=7,ou=people,dc=esante-demo,dc=test');
  assert.equal(normaliseDn('UID=7, OU=People , DC=Esante-Demo,dc=TEST'), canonical);
  assert.equal(normaliseDn('cn=H\\c3\\a9l\\c3\\a8ne'), normaliseDn('cn=hélène'));
  assert.equal(normaliseDn('cn=a\\,b'), normaliseDn('CN=A\\2cB'));
  assert.notEqual(normaliseDn('cn=a\\,b'), normaliseDn('cn=a,b=c'));
});

test('the empty DN is the root; malformed DNs are refused', () => {
  assert.deepEqual(parseDn(''), []);
  assert.deepEqual(parseDn('   '), []);
  for (const bad of ['people', 'dc=a,,dc=b', '=x', 'dc=a\\', '1x=y']) assert.equal(parseDn(bad), undefined, bad);
});

test('multi-valued RDNs are order-independent', () => {
  assert.equal(normaliseDn('cn=a+sn=b,dc=x'), normaliseDn('sn=B+cn=A,dc=x'));
});

test('isWithin tells an entry from its ancestors and from strangers', () => {
  const base = parseDn('dc=esante-demo,dc=test')!;
  assert.equal(isWithin(parseDn('uid=1,ou=people,dc=esante-demo,dc=test')!, base), true);
  assert.equal(isWithin(base, base), true);
  assert.equal(isWithin(parseDn('dc=test')!, base), false);
  assert.equal(isWithin(parseDn('dc=other,dc=test')!, base), false);
  assert.equal(isWithin(base, []), true);
});

test('the leaf RDN as written, unescaped but not folded; values escaped for DNs', async () => {
  const { escapeDnValue, leafRdn } = await import('./dn.js');
  assert.deepEqual(leafRdn('UID=R1010AbC,ou=structures,dc=x'), { type: 'uid', value: 'R1010AbC' });
  assert.deepEqual(leafRdn('mail=a\\2bb@x,ou=mailboxes,dc=x'), { type: 'mail', value: 'a+b@x' });
  assert.equal(leafRdn(''), undefined);
  assert.equal(leafRdn('not a dn'), undefined);
  const tricky = ' #a,b+c"d<e>f;g=h\\i ';
  assert.equal(normaliseDn(`cn=${escapeDnValue(tricky)},dc=x`), normaliseDn(`cn=${escapeDnValue(tricky)},dc=x`));
  assert.deepEqual(leafRdn(`cn=${escapeDnValue(tricky)},dc=x`), { type: 'cn', value: tricky });
});

test('an escaped space at the end of a DN keeps it valid (and, as RFC 4518 says, insignificant when comparing)', () => {
  assert.equal(normaliseDn('cn=a\\ '), 'cn=a');
  assert.equal(normaliseDn('  cn=a  '), 'cn=a');
});
