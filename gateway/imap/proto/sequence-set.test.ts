import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatSequenceSet, isSequenceSet, parseSequenceSet, resolveSequenceNumbers, resolveUidIndexes, sequenceSetContains,
} from './sequence-set.js';

test('parsing numbers, ranges and *', () => {
  assert.deepEqual(parseSequenceSet('1,3:5,7:*,*'), [
    { start: 1, end: 1 }, { start: 3, end: 5 }, { start: 7, end: '*' }, { start: '*', end: '*' },
  ]);
  for (const bad of ['', '0', '1:0', '1,', ',1', '1::2', 'a', '1:2:3', '4294967296', '-1']) {
    assert.equal(isSequenceSet(bad) && (() => { try { parseSequenceSet(bad); return true; } catch { return false; } })(), false, bad);
  }
});

test('ranges are unordered and * is the largest number in use', () => {
  const set = parseSequenceSet('5:2,9:*');
  assert.deepEqual([1, 2, 5, 6, 9, 12].map((n) => sequenceSetContains(set, n, 12)), [false, true, true, false, true, true]);
  assert.deepEqual(resolveSequenceNumbers(parseSequenceSet('4:2,2,10:*'), 12), [2, 3, 4, 10, 11, 12]);
  assert.deepEqual(resolveSequenceNumbers(parseSequenceSet('1:*'), 0), []);
});

test('UID sets: n:* still names the last message when n is past every UID', () => {
  const uids = [3, 7, 8, 20];
  assert.deepEqual(resolveUidIndexes(parseSequenceSet('7:*'), uids), [1, 2, 3]);
  assert.deepEqual(resolveUidIndexes(parseSequenceSet('100:*'), uids), [3]);
  assert.deepEqual(resolveUidIndexes(parseSequenceSet('4:6'), uids), []);
});

test('compacting numbers into a set', () => {
  assert.equal(formatSequenceSet([8, 1, 2, 3, 5, 7, 3]), '1:3,5,7:8');
  assert.equal(formatSequenceSet([]), '');
});
