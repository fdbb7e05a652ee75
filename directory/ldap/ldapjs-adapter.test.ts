import assert from 'node:assert/strict';
import { test } from 'node:test';
import ldapjs from 'ldapjs';
import { unescapeFilterValue } from './filter.js';
import { filterFromLdapjs, scopeFromLdapjs, type LdapjsFilter } from './ldapjs-adapter.js';

test('RFC 4515 escapes are undone, UTF-8 included; other text is kept', () => {
  assert.equal(unescapeFilterValue('H\\c3\\a9l\\c3\\a8ne'), 'Hélène');
  assert.equal(unescapeFilterValue('a\\2ab\\28c\\29\\5c'), 'a*b(c)\\');
  assert.equal(unescapeFilterValue('Hélène'), 'Hélène');
  assert.equal(unescapeFilterValue('no\\escape'), 'no\\escape');
});

test('ldapjs filters become our filter tree, values unescaped', () => {
  const parsed = ldapjs.parseFilter('(&(objectClass=inetOrgPerson)(|(cn=Hél*ne*)(!(mail=a\\2ab@x)))(sn>=M)(uid=*)(cn~=x)(cn:dn:=y))');
  assert.deepEqual(filterFromLdapjs(parsed as unknown as LdapjsFilter), {
    type: 'and', filters: [
      { type: 'equality', attribute: 'objectClass', value: 'inetOrgPerson' },
      { type: 'or', filters: [
        { type: 'substrings', attribute: 'cn', initial: 'Hél', any: ['ne'] },
        { type: 'not', filter: { type: 'equality', attribute: 'mail', value: 'a*b@x' } },
      ] },
      { type: 'greaterOrEqual', attribute: 'sn', value: 'M' },
      { type: 'present', attribute: 'uid' },
      { type: 'approx', attribute: 'cn', value: 'x' },
      { type: 'unsupported', description: 'cn:dn:=y' },
    ],
  });
});

test('scopes as ldapjs 3 numbers or as names', () => {
  assert.deepEqual([0, 1, 2].map(scopeFromLdapjs), ['base', 'one', 'sub']);
  assert.deepEqual(['base', 'one', 'sub', 'subtree'].map(scopeFromLdapjs), ['base', 'one', 'sub', 'sub']);
  assert.equal(scopeFromLdapjs(3), undefined);
});
