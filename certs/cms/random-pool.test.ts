import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freshRandomBytes } from './random-pool.js';

test('fresh random bytes: the asked length, never the same twice, across pool refills and beyond its size', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const bytes = freshRandomBytes(i % 3 === 0 ? 16 : 32);
    assert.equal(bytes.length, i % 3 === 0 ? 16 : 32);
    const hex = bytes.toString('hex');
    assert.ok(!seen.has(hex));
    seen.add(hex);
  }
  assert.equal(freshRandomBytes(0).length, 0);
  const large = freshRandomBytes(5000);
  assert.equal(large.length, 5000);
  assert.notEqual(large.toString('hex'), Buffer.alloc(5000).toString('hex'));
  // A caller wiping what it got does not touch what others get.
  const a = freshRandomBytes(32);
  const b = freshRandomBytes(32);
  a.fill(0);
  assert.notEqual(b.toString('hex'), Buffer.alloc(32).toString('hex'));
});
