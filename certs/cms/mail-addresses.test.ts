import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressesIn, normalizeAddress } from './mail-addresses.js';

test('addressesIn finds addr-specs behind display names, comments, groups and routes', () => {
  assert.deepEqual(addressesIn('=?UTF-8?Q?H=C3=A9l=C3=A8ne?= <helene@chu.test>'), ['helene@chu.test']);
  assert.deepEqual(addressesIn('"Lefèvre, Hélène <chef>" <helene@chu.test>, bob@x.test (Bob, le patron)'), ['helene@chu.test', 'bob@x.test']);
  assert.deepEqual(addressesIn('Équipe: a@x.test, "B" <b@x.test>;, c@x.test'), ['a@x.test', 'b@x.test', 'c@x.test']);
  assert.deepEqual(addressesIn('<@relay.test,@other.test:route@x.test>'), ['route@x.test']);
  assert.deepEqual(addressesIn('Undisclosed recipients:;'), []);
  assert.deepEqual(addressesIn('not an address'), []);
});

test('normalizeAddress folds case and IDN domains', () => {
  assert.equal(normalizeAddress('Helene.Lefevre@CHU-Test.MSSante.fr'), 'helene.lefevre@chu-test.mssante.fr');
  assert.equal(normalizeAddress('marc@hôpital.test.'), 'marc@xn--hpital-ixa.test');
});
