import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { isHygieError } from '../core/errors.js';
import { describeCertificate } from './describe.js';
import { ensureDevPki } from './dev-pki.js';
import { openssl, tempDir } from './testing.js';

test('describeCertificate agrees with openssl on fingerprint, serial, names and dates', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const pki = await ensureDevPki({
      dir: path.join(dir, 'pki'), hostnames: ['mail.esante-demo.test', 'médecins.example', '::1'], organisation: 'Santé, Demo',
    });
    for (const [pem, file] of [[pki.caCertPem, pki.caCertFile], [pki.serverCertPem, pki.serverCertFile]] as const) {
      const description = describeCertificate(pem);
      const out = openssl(['x509', '-in', file, '-noout', '-fingerprint', '-sha256', '-serial', '-subject', '-issuer',
        '-startdate', '-enddate', '-nameopt', 'RFC2253', '-nameopt', '-esc_msb']);
      assert.equal(out.status, 0, out.stderr);
      const field = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(out.stdout)?.[1];
      assert.match(description.sha256Fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      assert.equal(description.sha256Fingerprint, field('sha256 Fingerprint'));
      assert.equal(description.serialHex, field('serial'));
      assert.equal(description.subject, field('subject'));
      assert.equal(description.issuer, field('issuer'));
      assert.equal(description.notBefore.getTime(), Date.parse(field('notBefore')!));
      assert.equal(description.notAfter.getTime(), Date.parse(field('notAfter')!));
    }
    const ca = describeCertificate(pki.caCertPem);
    assert.equal(ca.subject, 'CN=Hygie Dev Root CA – Santé\\, Demo,O=Santé\\, Demo');
    assert.deepEqual(ca.dnsNames, []);
    const server = describeCertificate(pki.serverCertPem);
    assert.equal(server.issuer, ca.subject);
    assert.deepEqual(server.dnsNames, ['mail.esante-demo.test', 'xn--mdecins-bya.example']);
    assert.deepEqual(server.ipAddresses, ['::1', '127.0.0.1']);
  } finally {
    cleanup();
  }
});

test('describeCertificate rejects what is not a certificate', () => {
  const invalid = (input: string) => assert.throws(() => describeCertificate(input), (e: unknown) => isHygieError(e, 'INVALID_INPUT'));
  invalid('hello');
  invalid('-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n');
  invalid('-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n');
});
