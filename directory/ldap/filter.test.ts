import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateFilter, filterToString, matchesFilter, type LdapFilter } from './filter.js';
import type { LdapAttributes } from './schema.js';

const helene: LdapAttributes = {
  objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'],
  cn: ['Hélène Dupont'],
  sn: ['Dupont'],
  givenName: ['Hélène'],
  mail: ['helene.dupont@esante-demo.test', 'helene.dupont@demo.mssante.test'],
  uid: ['3'],
};

const eq = (attribute: string, value: string): LdapFilter => ({ type: 'equality', attribute, value });
const sub = (attribute: string, initial?: string, any: string[] = [], final?: string): LdapFilter =>
  ({ type: 'substrings', attribute, any, ...(initial ? { initial } : {}), ...(final ? { final } : {}) });

test('equality ignores case, Unicode normal form and insignificant spaces, on any value', () => {
  assert.equal(matchesFilter(eq('mail', 'Helene.Dupont@DEMO.mssante.test'), helene), true);
  assert.equal(matchesFilter(eq('cn', '  hélène   DUPONT '), helene), true);
  // "é" written as e + combining acute (NFD), as some clients send it
  assert.equal(matchesFilter(eq('givenName', 'He\u0301le\u0300ne'), helene), true);
  assert.equal(matchesFilter(eq('cn', 'Helene Dupont'), helene), false, 'equality keeps accents');
  assert.equal(matchesFilter(eq('MAIL', 'helene.dupont@esante-demo.test'), helene), true, 'attribute names ignore case');
  assert.equal(matchesFilter(eq('rfc822Mailbox', 'helene.dupont@esante-demo.test'), helene), true, 'aliases');
});

test('substrings: initial, any and final, case-insensitive, with accents', () => {
  assert.equal(matchesFilter(sub('cn', 'dup'), helene), false, 'initial must start the value');
  assert.equal(matchesFilter(sub('sn', 'dup'), helene), true);
  assert.equal(matchesFilter(sub('cn', 'HÉL'), helene), true);
  assert.equal(matchesFilter(sub('cn', undefined, ['ène d']), helene), true);
  assert.equal(matchesFilter(sub('cn', 'hé', ['lène'], 'pont'), helene), true);
  assert.equal(matchesFilter(sub('cn', 'hélène', [], 'hélène'), helene), false, 'parts may not overlap');
  assert.equal(matchesFilter(sub('mail', undefined, [], '@demo.mssante.test'), helene), true);
});

test('approximate match also ignores accents', () => {
  assert.equal(matchesFilter({ type: 'approx', attribute: 'cn', value: 'helene dupont' }, helene), true);
  assert.equal(matchesFilter({ type: 'approx', attribute: 'cn', value: 'helene durand' }, helene), false);
});

test('objectClass, presence, ordering, and / or / not', () => {
  assert.equal(matchesFilter({ type: 'and', filters: [eq('objectClass', 'INETORGPERSON'), sub('sn', 'Dup')] }, helene), true);
  assert.equal(matchesFilter({ type: 'present', attribute: 'objectclass' }, helene), true);
  assert.equal(matchesFilter({ type: 'present', attribute: 'title' }, helene), false);
  assert.equal(matchesFilter({ type: 'or', filters: [eq('sn', 'x'), eq('uid', '3')] }, helene), true);
  assert.equal(matchesFilter({ type: 'not', filter: eq('sn', 'dupont') }, helene), false);
  assert.equal(matchesFilter({ type: 'greaterOrEqual', attribute: 'sn', value: 'd' }, helene), true);
  assert.equal(matchesFilter({ type: 'lessOrEqual', attribute: 'sn', value: 'd' }, helene), false);
  assert.equal(matchesFilter({ type: 'and', filters: [] }, helene), true, 'absolute true (RFC 4526)');
  assert.equal(matchesFilter({ type: 'or', filters: [] }, helene), false, 'absolute false');
});

test('unknown attribute types and extensible matches are Undefined, and NOT keeps them Undefined', () => {
  assert.equal(evaluateFilter(eq('favouriteColour', 'blue'), helene), undefined);
  assert.equal(evaluateFilter({ type: 'not', filter: eq('favouriteColour', 'blue') }, helene), undefined);
  assert.equal(matchesFilter({ type: 'not', filter: eq('favouriteColour', 'blue') }, helene), false);
  assert.equal(evaluateFilter({ type: 'or', filters: [eq('favouriteColour', 'blue'), eq('sn', 'dupont')] }, helene), true);
  assert.equal(evaluateFilter({ type: 'and', filters: [eq('favouriteColour', 'blue'), eq('sn', 'x')] }, helene), false);
  assert.equal(evaluateFilter({ type: 'unsupported', description: 'cn:dn:=x' }, helene), undefined);
});

test('filters print back as RFC 4515 text for the logs', () => {
  assert.equal(filterToString({ type: 'and', filters: [eq('objectClass', 'inetOrgPerson'), sub('cn', 'Dup', ['a*b'])] }),
    '(&(objectClass=inetOrgPerson)(cn=Dup*a\\2ab*))');
});
