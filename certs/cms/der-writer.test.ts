import assert from 'node:assert/strict';
import { test } from 'node:test';
import { joinPieces, sequence, tlv, tlvPieces } from './der-writer.js';

test('lengths in short and long form, at each boundary', () => {
  for (const [length, header] of [[0, '3000'], [127, '307f'], [128, '308180'], [255, '3081ff'], [256, '30820100'], [65535, '3082ffff'], [65536, '3083010000']] as const) {
    const der = sequence(Buffer.alloc(length, 1));
    assert.equal(der.subarray(0, header.length / 2).toString('hex'), header, `length ${length}`);
    assert.equal(der.length, header.length / 2 + length);
  }
});

test('an element written as pieces joins into the same bytes as written at once', () => {
  const big = Buffer.alloc(70_000, 0xab);
  const small = Buffer.from([1, 2, 3]);
  const pieces = tlvPieces(0x30, small, tlvPieces(0x80, [big.subarray(0, 10), big.subarray(10)]));
  assert.ok(joinPieces(pieces).equals(tlv(0x30, small, tlv(0x80, big))));
  assert.ok(joinPieces(tlvPieces(0x04)).equals(Buffer.from([0x04, 0x00])));
});
