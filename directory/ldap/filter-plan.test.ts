import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LdapFilter } from './filter.js';
import { planCandidates, type IndexCost } from './filter-plan.js';

const eq = (attribute: string, value: string): LdapFilter => ({ type: 'equality', attribute, value });
const sub = (attribute: string, any: string): LdapFilter => ({ type: 'substrings', attribute, any: [any] });
const and = (...filters: LdapFilter[]): LdapFilter => ({ type: 'and', filters });
const or = (...filters: LdapFilter[]): LdapFilter => ({ type: 'or', filters });

/** An index that answers mail and uid equality cheaply, and cn substrings of 3 characters or more. */
const cost: IndexCost = (_kind, item) => {
  if (item.type === 'equality' && (item.attribute === 'mail' || item.attribute === 'uid')) return 1;
  if (item.type === 'substrings' && item.attribute === 'cn' && item.any.every((a) => a.length >= 3)) return 10;
  return undefined;
};

test('an indexed item is a lookup, in canonical spelling; an unindexed one is a scan', () => {
  assert.deepEqual(planCandidates(eq('RFC822Mailbox', 'a@b'), 'professional', cost),
    { type: 'any', items: [{ type: 'equality', attribute: 'mail', value: 'a@b' }], cost: 1 });
  assert.deepEqual(planCandidates(eq('title', 'Médecin'), 'professional', cost), { type: 'all' });
  assert.deepEqual(planCandidates(sub('cn', 'du'), 'professional', cost), { type: 'all' }, 'two characters: no trigram');
});

test('AND takes its cheapest indexed operand; OR needs every operand indexed and unions them', () => {
  const plan = planCandidates(and(sub('cn', 'dup'), eq('mail', 'a@b'), eq('title', 'x')), 'professional', cost);
  assert.deepEqual(plan, { type: 'any', items: [{ type: 'equality', attribute: 'mail', value: 'a@b' }], cost: 1 });
  const thunderbird = or(sub('cn', 'dup'), sub('mail', 'dup'));
  assert.deepEqual(planCandidates(thunderbird, 'professional', cost), { type: 'all' }, 'mail substrings are not indexed here');
  const both = planCandidates(or(eq('mail', 'a@b'), eq('uid', '8001'), eq('mail', 'a@b')), 'professional', cost);
  assert.equal(both.type === 'any' && both.items.length, 2, 'duplicates merged');
});

test('objectClass and attributes a kind never carries decide without an index', () => {
  assert.deepEqual(planCandidates(eq('objectClass', 'inetOrgPerson'), 'professional', cost), { type: 'all' });
  assert.deepEqual(planCandidates(eq('objectClass', 'organization'), 'professional', cost), { type: 'none' });
  assert.deepEqual(planCandidates(and(eq('objectClass', 'inetOrgPerson'), eq('mail', 'a@b')), 'structure', cost), { type: 'none' });
  assert.deepEqual(planCandidates(eq('hygieFiness', '290000017'), 'professional', cost), { type: 'none' }, 'FALSE on people');
  assert.deepEqual(planCandidates({ type: 'present', attribute: 'mail' }, 'professional', cost), { type: 'all' });
});

test('Undefined items match nothing outside NOT; NOT is always a scan (a superset)', () => {
  assert.deepEqual(planCandidates(eq('favouriteColour', 'blue'), 'professional', cost), { type: 'none' });
  assert.deepEqual(planCandidates({ type: 'unsupported', description: 'cn:dn:=x' }, 'professional', cost), { type: 'none' });
  assert.deepEqual(planCandidates(or(eq('favouriteColour', 'blue'), eq('mail', 'a@b')), 'professional', cost).type, 'any');
  assert.deepEqual(planCandidates({ type: 'not', filter: eq('mail', 'a@b') }, 'professional', cost), { type: 'all' });
  assert.deepEqual(planCandidates(or(), 'professional', cost), { type: 'none' }, '(|) is FALSE');
  assert.deepEqual(planCandidates(and(), 'professional', cost), { type: 'all' }, '(&) is TRUE');
});
