import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isHygieError } from '../core/errors.js';
import { luhnValid, parseAdeli, parseRpps } from './identifiers.js';

test('RPPS: 11 digits with a Luhn key', () => {
  assert.equal(parseRpps('99700218896'), '99700218896');
  assert.equal(parseRpps(' 997 0021 8896 '), '99700218896');
  assert.throws(() => parseRpps('99700218897'), (e: unknown) => isHygieError(e, 'INVALID_RPPS') && /check digit/.test(e.message));
  assert.throws(() => parseRpps('9970021889'), (e: unknown) => isHygieError(e, 'INVALID_RPPS') && /11 digits/.test(e.message));
  assert.throws(() => parseRpps('9970021889A'), (e: unknown) => isHygieError(e, 'INVALID_RPPS'));
});

test('ADELI: department then 7 digits, Corsica included', () => {
  assert.equal(parseAdeli('751234567'), '751234567');
  assert.equal(parseAdeli('2a1234567'), '2A1234567');
  assert.throws(() => parseAdeli('75123456'), (e: unknown) => isHygieError(e, 'INVALID_ADELI'));
  assert.throws(() => parseAdeli('2C1234567'), (e: unknown) => isHygieError(e, 'INVALID_ADELI'));
});

test('Luhn', () => {
  assert.ok(luhnValid('79927398713'));
  assert.ok(!luhnValid('79927398710'));
});
