import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainSlots } from './domain-slots.js';

test('a full domain hands its slot to the first in line the moment one is released, in order', async () => {
  const slots = new DomainSlots(2);
  await slots.acquire('a.test');
  await slots.acquire('a.test');
  const order: string[] = [];
  const third = slots.acquire('a.test').then(() => order.push('third'));
  const fourth = slots.acquire('a.test').then(() => order.push('fourth'));
  await slots.acquire('b.test'); // another domain is not held up
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, []);
  slots.release('a.test');
  await third;
  assert.deepEqual(order, ['third']);
  assert.equal(slots.inUse('a.test'), 2);
  slots.release('a.test');
  await fourth;
  assert.deepEqual(order, ['third', 'fourth']);
  slots.release('a.test');
  slots.release('a.test');
  assert.equal(slots.inUse('a.test'), 0);
  assert.equal(slots.inUse('b.test'), 1);
});

test('a limit that is not a positive integer is refused', () => {
  assert.throws(() => new DomainSlots(0), /positive integer/);
  assert.throws(() => new DomainSlots(1.5), /positive integer/);
});
