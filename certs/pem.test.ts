import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { bytesToIp, ipToBytes } from './names.js';
import { fromPem, pemBlocks, toPem } from './pem.js';

test('PEM round trip with 64-character lines, several blocks, CRLF and comments', () => {
  const der = new Uint8Array(randomBytes(200));
  const pem = toPem(der, 'CERTIFICATE');
  const lines = pem.trimEnd().split('\n');
  assert.equal(lines[0], '-----BEGIN CERTIFICATE-----');
  assert.equal(lines.at(-1), '-----END CERTIFICATE-----');
  assert.ok(lines.slice(1, -1).every((line, i, all) => line.length === 64 || i === all.length - 1));
  assert.deepEqual(fromPem(pem, 'CERTIFICATE'), der);
  const key = new Uint8Array(randomBytes(33));
  const bundle = `subject=whatever\r\n${toPem(key, 'PRIVATE KEY').replace(/\n/g, '\r\n')}${pem}`;
  assert.deepEqual(pemBlocks(bundle).map((b) => b.label), ['PRIVATE KEY', 'CERTIFICATE']);
  assert.deepEqual(fromPem(bundle, 'PRIVATE KEY'), key);
  assert.deepEqual(fromPem(bundle, 'CERTIFICATE'), der);
  assert.throws(() => fromPem(bundle, 'X509 CRL'), /no "X509 CRL" PEM block/);
  assert.throws(() => fromPem('-----BEGIN A-----\nab$d\n-----END A-----', 'A'), /not valid base64/);
});

test('IP addresses convert to SAN bytes and back, IPv6 in RFC 5952 form', () => {
  assert.deepEqual(Array.from(ipToBytes('127.0.0.1')), [127, 0, 0, 1]);
  assert.equal(bytesToIp(ipToBytes('::1')), '::1');
  assert.equal(bytesToIp(ipToBytes('2001:DB8:0:0:1:0:0:1')), '2001:db8::1:0:0:1');
  assert.equal(bytesToIp(ipToBytes('fe80::')), 'fe80::');
  assert.equal(bytesToIp(ipToBytes('::ffff:192.0.2.1')), '::ffff:c000:201');
  assert.equal(bytesToIp(ipToBytes('1:2:3:4:5:6:7:8')), '1:2:3:4:5:6:7:8');
  assert.equal(bytesToIp(ipToBytes('1:0:3:4:5:6:7:8')), '1:0:3:4:5:6:7:8');
  assert.throws(() => ipToBytes('fe80::1%eth0'), /not an IP address/);
  assert.throws(() => ipToBytes('mail.example'), /not an IP address/);
});
