import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { isHygieError } from '../../core/errors.js';
import { generateKeyPair } from '../keys.js';
import { toPem } from '../pem.js';
import { PROFILES } from '../profiles.js';
import { openssl, tempDir } from '../testing.js';
import { CertificateAuthority, normaliseSerial } from './authority.js';
import { parseCrl } from '../trust/crl-source.js';
import { crlEntriesOf, crlNumberOf } from './crl.js';
import { createDevHealthPki } from './dev-health-pki.js';
import { MemoryRevocationRegister } from './register.js';
import { verifyLeaf, writeCredential } from './fixtures.js';

const DAY = 86_400_000;

function write(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** `openssl crl -text` of a CRL file. */
function crlText(file: string): string {
  const out = openssl(['crl', '-in', file, '-noout', '-text']);
  assert.equal(out.status, 0, out.stderr);
  return out.stdout;
}

test('CRLs: openssl checks their signature, sees the reasons and increasing numbers, and refuses revoked certificates only', async () => {
  const { dir, cleanup } = tempDir();
  try {
    for (const keyAlgorithm of ['RSA-2048', 'ECDSA-P256'] as const) {
      const pki = await createDevHealthPki({ organisation: 'Demo', keyAlgorithm });
      const issue = (address: string) => pki.issueSmime(address, { usage: 'dual', keyAlgorithm: 'ECDSA-P256' });
      const [compromised, superseded, plain, kept] = await Promise.all(['a', 'b', 'c', 'd'].map((n) => issue(`${n}@hygie.test`)));
      const first = await pki.persons.crl();
      assert.equal(first.number, 1n);
      assert.equal(first.crl.revokedCertificates, undefined, 'no revoked certificate: no list at all');

      await pki.persons.revoke(compromised!.certificate.serialHex, 'keyCompromise');
      await pki.persons.revoke(superseded!.certificate.certificate, 'superseded');
      await pki.persons.revoke(plain!.certificate.serialHex.toLowerCase().replace(/(..)(?!$)/g, '$1:'));
      const crl = await pki.persons.crl();
      assert.equal(crl.number, 2n);
      const crlFile = write(dir, `persons-${keyAlgorithm}.crl`, crl.pem);
      assert.match(crl.pem, /^-----BEGIN X509 CRL-----\n/);

      // Its signature, against the sub-CA and the root.
      const chainFile = write(dir, `persons-chain-${keyAlgorithm}.pem`, pki.persons.pem + pki.root.pem);
      const signature = openssl(['crl', '-in', crlFile, '-CAfile', chainFile, '-noout']);
      assert.equal(signature.status, 0, signature.stderr);
      assert.match(signature.stdout + signature.stderr, /verify OK/);
      const tampered = Buffer.from(crl.der);
      tampered[tampered.length - 5]! ^= 0x01; // inside the signature
      const tamperedFile = write(dir, `tampered-${keyAlgorithm}.crl`, toPem(tampered, 'X509 CRL'));
      const bad = openssl(['crl', '-in', tamperedFile, '-CAfile', chainFile, '-noout']);
      assert.match(bad.stdout + bad.stderr, /verify fail/);

      // What openssl reads in it.
      const text = crlText(crlFile);
      assert.match(text, /Version 2 \(0x1\)/);
      assert.match(text, keyAlgorithm === 'RSA-2048' ? /Signature Algorithm: sha256WithRSAEncryption/ : /Signature Algorithm: ecdsa-with-SHA256/);
      assert.match(text, /Issuer: C = FR, O = Demo, OU = IGC HYGIE DEV, CN = AC HYGIE DEV PERSONNES/);
      assert.match(text, /X509v3 CRL Number: *\n\s*2\n/);
      assert.match(text, /X509v3 Authority Key Identifier: *\n\s*(keyid:)?([0-9A-F]{2}:){19}[0-9A-F]{2}\n/);
      const entry = (serial: string) => new RegExp(`Serial Number: ${serial}\\n\\s*Revocation Date: [^\\n]+\\n(\\s*CRL entry extensions:\\n\\s*X509v3 CRL Reason Code: *\\n\\s*(.*)\\n)?`).exec(text);
      assert.equal(entry(compromised!.certificate.serialHex)?.[2], 'Key Compromise');
      assert.equal(entry(superseded!.certificate.serialHex)?.[2], 'Superseded');
      assert.ok(entry(plain!.certificate.serialHex), 'the unspecified revocation is listed');
      assert.equal(entry(plain!.certificate.serialHex)?.[2], undefined, 'without a reasonCode (RFC 5280 §5.3.1)');
      assert.equal(entry(kept!.certificate.serialHex), null);

      // The same CRL read back by our own parser.
      const parsed = parseCrl(crl.pem);
      assert.equal(crlNumberOf(parsed), 2n);
      assert.deepEqual(crlEntriesOf(parsed).map((e) => [e.serialHex, e.reason]).sort(), [
        [compromised!.certificate.serialHex, 'keyCompromise'],
        [superseded!.certificate.serialHex, 'superseded'],
        [plain!.certificate.serialHex, 'unspecified'],
      ].sort());

      // openssl verify -crl_check: the revoked leaf fails, the other passes.
      for (const [credential, revoked] of [[compromised!, true], [superseded!, true], [kept!, false]] as const) {
        const files = writeCredential(dir, `${keyAlgorithm}-${credential.certificate.serialHex}`, credential);
        const result = verifyLeaf(files, '-crl_check', '-CRLfile', crlFile);
        assert.equal(result.ok, !revoked, result.output);
        if (revoked) assert.match(result.output, /certificate revoked/);
      }
      const third = await pki.persons.crl();
      assert.equal(third.number, 3n, 'every CRL gets a new, higher number');
    }
  } finally {
    cleanup();
  }
});

test('revoking a sub-CA at the root: crl_check_all refuses what it issued', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const pki = await createDevHealthPki({ organisation: 'Demo', keyAlgorithm: 'ECDSA-P256' });
    const server = writeCredential(dir, 'server', await pki.issueTlsServer(['mail.hygie.test']));
    const person = writeCredential(dir, 'person', await pki.issueSmime('a@hygie.test', { usage: 'signing' }));
    const crls = async () => write(dir, 'crls.pem', (await pki.root.crl()).pem + (await pki.servers.crl()).pem + (await pki.persons.crl()).pem);
    let file = await crls();
    assert.ok(verifyLeaf(server, '-crl_check_all', '-CRLfile', file).ok);
    assert.ok(verifyLeaf(person, '-crl_check_all', '-CRLfile', file).ok);

    const record = await pki.root.revoke(pki.servers.certificate, 'cACompromise');
    assert.equal(record.subject, 'CN=AC HYGIE DEV SERVEURS,OU=IGC HYGIE DEV,O=Demo,C=FR');
    file = await crls();
    const refused = verifyLeaf(server, '-crl_check_all', '-CRLfile', file);
    assert.equal(refused.ok, false);
    assert.match(refused.output, /certificate revoked/);
    assert.match(crlText(write(dir, 'root.crl', (await pki.root.crl()).pem)), /CA Compromise/);
    assert.ok(verifyLeaf(person, '-crl_check_all', '-CRLfile', file).ok, 'the other sub-CAs are unaffected');
  } finally {
    cleanup();
  }
});

test('revocation refuses unknown, foreign, repeated and future revocations; CRLs drop expired entries', async () => {
  let now = new Date();
  const keys = await generateKeyPair('ECDSA-P256');
  const ca = await CertificateAuthority.createRoot({
    subject: { commonName: 'Test CA' }, keys, register: new MemoryRevocationRegister(), validityDays: 3650, clock: () => now,
  });
  const leafKeys = await generateKeyPair('ECDSA-P256');
  const short = await ca.issue(PROFILES.tlsClient, { commonName: 'short' }, leafKeys.publicKey, { validityDays: 2 });
  const long = await ca.issue(PROFILES.tlsClient, { commonName: 'long' }, leafKeys.publicKey);
  assert.match(short.serialHex, /^[0-9A-F]{32}$/);
  const days = (long.certificate.notAfter.value.getTime() - long.certificate.notBefore.value.getTime()) / DAY;
  assert.equal(days, PROFILES.tlsClient.maxValidityDays, 'the profile maximum by default');
  assert.ok(long.certificate.notBefore.value < now, 'backdated');

  const invalid = (pattern: RegExp) => (e: unknown) => isHygieError(e, 'INVALID_INPUT') && pattern.test(e.message);
  await assert.rejects(ca.revoke('0123ABCD'), invalid(/was not issued by this CA/));
  await assert.rejects(ca.revoke('not hex'), invalid(/not a hexadecimal serial/));
  await assert.rejects(ca.revoke(short.serialHex, 'keyCompromise', new Date(now.getTime() + DAY)), invalid(/future/));
  const other = await createDevHealthPki({ organisation: 'Other', keyAlgorithm: 'ECDSA-P256' });
  await assert.rejects(ca.revoke((await other.issueTlsServer(['x.test'])).certificate.certificate), invalid(/not issued by CN=Test CA/));

  const revokedAt = new Date(now.getTime() - 60_000);
  const record = await ca.revoke(short.serialHex, 'privilegeWithdrawn', revokedAt);
  assert.deepEqual(record.revocation, { reason: 'privilegeWithdrawn', date: revokedAt });
  await assert.rejects(ca.revoke(short.serialHex), invalid(/already revoked \(privilegeWithdrawn/));
  await ca.revoke(long.serialHex, 'cessationOfOperation');
  assert.deepEqual(crlEntriesOf((await ca.crl()).crl).map((e) => e.reason).sort(), ['cessationOfOperation', 'privilegeWithdrawn']);

  now = new Date(now.getTime() + 3 * DAY); // the short certificate has expired
  const later = await ca.crl();
  assert.deepEqual(crlEntriesOf(later.crl).map((e) => e.serialHex), [long.serialHex]);
  assert.equal(later.crl.thisUpdate.value.getTime(), Math.floor(now.getTime() / 1000) * 1000);
  assert.equal(later.crl.nextUpdate!.value.getTime() - later.crl.thisUpdate.value.getTime(), 7 * DAY);
  await assert.rejects(ca.crl({ thisUpdate: now, nextUpdate: now }), invalid(/nextUpdate must be later/));
});

test('serials are normalised the way openssl prints them', () => {
  assert.equal(normaliseSerial('0a:bc:de'), '0ABCDE');
  assert.equal(normaliseSerial('00:FF'), 'FF');
  assert.equal(normaliseSerial('abc'), '0ABC');
  assert.equal(normaliseSerial('00'), '00');
});
