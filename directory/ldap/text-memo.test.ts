import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TextMemo } from './text-memo.js';

test('a value is built once per sequence of strings, and no longer kept beyond the limit', () => {
  const memo = new TextMemo<string>(3);
  let builds = 0;
  const get = (...parts: string[]) => memo.get(parts, () => `${++builds}:${parts.join('+')}`);
  assert.equal(get('a', 'b'), '1:a+b');
  assert.equal(get('a', 'b'), '1:a+b');
  assert.equal(get('a'), '2:a', 'a prefix of a kept sequence is a sequence of its own');
  assert.equal(get('a'), '2:a');
  assert.equal(get('ab'), '3:ab', 'the parts are not joined into one key');
  assert.equal(get('c'), '4:c', 'beyond the limit (three strings kept): built each time');
  assert.equal(get('c'), '5:c');
  assert.equal(get('a', 'b'), '1:a+b', 'what is kept stays');
});
