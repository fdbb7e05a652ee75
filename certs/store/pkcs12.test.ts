/**
 * The PKCS#12 reader alone, on openssl's less common variants: empty password, no MAC,
 * no encryption at all, and the RC2 (-legacy default) path under Node's legacy provider.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { getCiphers } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { isCertificateStoreError, type CertificateStoreErrorReason } from './errors.js';
import { readPkcs12 } from './pkcs12/read-pkcs12.js';
import { OpensslFixtures } from './testing-openssl.js';

const fx = new OpensslFixtures();
after(() => fx.cleanup());
fx.leaf({ name: 'alice', subject: '/CN=Alice Martin', email: 'alice@example.test', keyUsage: 'digitalSignature', fromDays: -1, toDays: 365 });

async function assertReason(promise: Promise<unknown>, reason: CertificateStoreErrorReason): Promise<void> {
  await assert.rejects(promise, (error: unknown) => isCertificateStoreError(error, reason) || assert.fail(String(error)));
}

test('an empty password', async () => {
  const contents = await readPkcs12(fx.pkcs12('alice', 'empty.p12', ''), '');
  assert.equal(contents.certificates.length, 2);
  assert.equal(contents.privateKeys.length, 1);
  await assertReason(readPkcs12(fx.bytes('empty.p12'), 'x'), 'wrong-password');
});

test('no MAC (-nomac): the password is checked by decryption alone', async () => {
  const p12 = fx.pkcs12('alice', 'nomac.p12', 'pw', ['-nomac']);
  assert.equal((await readPkcs12(p12, 'pw')).privateKeys.length, 1);
  await assertReason(readPkcs12(p12, 'bad'), 'wrong-password');
});

test('no encryption (-keypbe NONE -certpbe NONE): only the MAC knows the password', async () => {
  const p12 = fx.pkcs12('alice', 'clear.p12', 'pw', ['-keypbe', 'NONE', '-certpbe', 'NONE']);
  assert.equal((await readPkcs12(p12, 'pw')).privateKeys.length, 1);
  await assert.rejects(readPkcs12(p12, 'bad'), /wrong password for this PKCS#12 file, or the file was altered/);
});

test('a truncated file is unreadable, not a wrong password', async () => {
  const p12 = fx.pkcs12('alice', 'cut.p12', 'pw');
  await assertReason(readPkcs12(p12.subarray(0, 100), 'pw'), 'unreadable-input');
});

test('the -legacy (RC2-40) PKCS#12 reads under node --openssl-legacy-provider', { skip: getCiphers().includes('rc2-40-cbc') && 'RC2 is available in-process' }, () => {
  fx.pkcs12('alice', 'rc2.p12', 'pw', ['-legacy']);
  const reader = new URL('./pkcs12/read-pkcs12.js', import.meta.url).href;
  writeFileSync(fx.path('read.mjs'), `
    import { readFileSync } from 'node:fs';
    import { readPkcs12 } from ${JSON.stringify(reader)};
    const contents = await readPkcs12(readFileSync(process.argv[2]), process.argv[3]);
    console.log(JSON.stringify({ certificates: contents.certificates.length, keys: contents.privateKeys.map((k) => k.asymmetricKeyType) }));
  `);
  const run = spawnSync(process.execPath, ['--openssl-legacy-provider', fx.path('read.mjs'), fx.path('rc2.p12'), 'pw'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), { certificates: 2, keys: ['rsa'] });
});
