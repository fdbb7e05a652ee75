import assert from 'node:assert/strict';
import { test } from 'node:test';
import { searchResultDone, searchResultEntry, tlv } from './ber.js';
import type { LdapEntry } from './schema.js';

/** The same encodings built the plain way, one TLV at a time (what ber.ts writes in place). */
const octets = (value: string | Buffer) => tlv(0x04, typeof value === 'string' ? Buffer.from(value, 'utf8') : value);
function referenceEntry(entry: LdapEntry): Buffer {
  const attributes = [...Object.entries(entry.attributes), ...Object.entries(entry.binary ?? {})]
    .map(([name, values]) => tlv(0x30, octets(name), tlv(0x31, ...values.map(octets))));
  return tlv(0x64, octets(entry.dn), tlv(0x30, ...attributes));
}

test('a search result entry is the DER of its DN and attributes, whatever the lengths and characters', () => {
  const long = 'é'.repeat(200); // 400 bytes: a two-byte length
  const entries: LdapEntry[] = [
    { dn: '', attributes: {} },
    { dn: 'uid=810000000001,ou=people,dc=x', attributes: { cn: ['Maïwenn LE GALL'], mail: ['a@x.fr', 'b@y.fr'], empty: [] } },
    { dn: `cn=${long}`, attributes: { description: [long, '😀 outside the BMP'], sn: [''] } },
    { dn: 'uid=2', attributes: { cn: ['x'] }, binary: { 'userCertificate;binary': [Buffer.alloc(70_000, 0xab), Buffer.from([0])] } },
  ];
  for (const entry of entries) assert.deepEqual(searchResultEntry(entry), referenceEntry(entry), entry.dn);
});

test('a search result done carries the code, matched DN and message', () => {
  for (const [code, dn, message] of [[0, '', ''], [32, 'ou=people,dc=x', 'no entry at "uid=1,ou=people,dc=x"'], [53, '', 'é'.repeat(100)]] as const) {
    assert.deepEqual(searchResultDone(code, dn, message), tlv(0x65, tlv(0x0a, Buffer.from([code])), octets(dn), octets(message)));
  }
});
