import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import * as pkijs from 'pkijs';
import { tempDir } from '../testing.js';
import { parseCertificate, certificateDer } from '../x509.js';
import { StaticCrlSource } from './crl-source.js';
import { validateCertificatePath, type PathValidationResult } from './path-validation.js';
import { OpensslPki, type TestCa, type TestCertificate } from './openssl-pki.js';
import { TrustStore } from './trust-store.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const { dir, cleanup } = tempDir();
const pki = new OpensslPki(dir);
let root: TestCa;
let persons: TestCa;
let alice: TestCertificate;
let trust: TrustStore;

before(() => {
  root = pki.root('root-ca', { commonName: 'Racine Santé Test' });
  persons = pki.intermediate('persons-ca', root);
  alice = pki.leaf('alice', persons, { commonName: 'Dr Hélène Lefèvre' });
  trust = new TrustStore({ anchors: [root.certificate] });
});
after(cleanup);

function assertFailure(result: PathValidationResult, reason: string, detail?: RegExp): void {
  assert.equal(result.ok, false, 'expected a failure');
  if (result.ok) return;
  assert.equal(result.reason, reason, result.detail);
  if (detail) assert.match(result.detail, detail);
}

test('a leaf chains through an intermediate carried with it to the anchor', async () => {
  const result = await validateCertificatePath(alice.certificate, { trust, untrusted: [persons.certificate, alice.certificate] });
  assert.ok(result.ok, result.ok ? '' : result.detail);
  assert.equal(result.chain.length, 3);
  assert.equal(result.chain[2], root.certificate);
  assert.deepEqual(result.revocation, { status: 'not-checked' });
});

test('an intermediate configured in the trust store completes the path', async () => {
  const withIntermediate = new TrustStore({ anchors: [root.certificate], intermediates: [persons.certificate] });
  const result = await validateCertificatePath(alice.certificate, { trust: withIntermediate });
  assert.ok(result.ok);
});

test('a missing intermediate or another root gives untrusted-chain naming the missing issuer', async () => {
  assertFailure(await validateCertificatePath(alice.certificate, { trust }), 'untrusted-chain', /no trusted issuer found for "CN=Dr Hélène Lefèvre.*issuer "CN=persons-ca/);
  const otherRoot = pki.root('other-root');
  const stranger = pki.leaf('stranger', otherRoot);
  assertFailure(await validateCertificatePath(stranger.certificate, { trust, untrusted: [otherRoot.certificate] }), 'untrusted-chain', /CN=other-root/);
});

test('a certificate whose signature was tampered with is untrusted', async () => {
  const der = Buffer.from(certificateDer(alice.certificate));
  der[der.length - 10]! ^= 0x01; // inside the signature value
  const tampered = parseCertificate(new Uint8Array(der));
  assertFailure(await validateCertificatePath(tampered, { trust, untrusted: [persons.certificate] }), 'untrusted-chain', /does not verify with the key of "CN=persons-ca/);
});

test('validity dates are checked at the injected time', async () => {
  const shortLived = pki.leaf('short-lived', persons, { days: 1 });
  const options = { trust, untrusted: [persons.certificate] };
  assert.ok((await validateCertificatePath(shortLived.certificate, options)).ok);
  assertFailure(await validateCertificatePath(shortLived.certificate, { ...options, now: new Date(Date.now() + 2 * DAY) }), 'expired', /CN=short-lived,[^"]*" expired on/);
  assertFailure(await validateCertificatePath(shortLived.certificate, { ...options, now: new Date(Date.now() - 2 * DAY) }), 'not-yet-valid');
  // The CA expiring makes the path fail too, naming the CA.
  assertFailure(await validateCertificatePath(alice.certificate, { ...options, now: new Date(Date.now() + 4000 * DAY) }), 'expired');
});

test('key usage and extended key usage must allow the intended use', async () => {
  const options = { trust, untrusted: [persons.certificate] };
  const encipherOnly = pki.leaf('encipher-only', persons, { keyUsage: 'keyEncipherment' });
  assertFailure(await validateCertificatePath(encipherOnly.certificate, options), 'wrong-key-usage', /keyUsage \(keyEncipherment\) has none of digitalSignature, nonRepudiation/);
  assert.ok((await validateCertificatePath(encipherOnly.certificate, { ...options, usage: 'smime-encryption' })).ok);

  const tlsOnly = pki.leaf('tls-only', persons, { extendedKeyUsage: 'serverAuth,clientAuth' });
  assertFailure(await validateCertificatePath(tlsOnly.certificate, options), 'wrong-key-usage', /emailProtection/);
  assert.ok((await validateCertificatePath(tlsOnly.certificate, { ...options, usage: 'any' })).ok);

  const noEku = pki.leaf('no-eku', persons, { extendedKeyUsage: null, keyUsage: 'nonRepudiation' });
  assert.ok((await validateCertificatePath(noEku.certificate, options)).ok, 'no EKU extension means any purpose');
});

test('an intermediate restricted to TLS cannot vouch for e-mail', async () => {
  const tlsCa = pki.intermediate('tls-ca', root, {
    extensions: 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nextendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
  });
  const leaf = pki.leaf('under-tls-ca', tlsCa, { extendedKeyUsage: null });
  assertFailure(await validateCertificatePath(leaf.certificate, { trust, untrusted: [tlsCa.certificate] }), 'wrong-key-usage', /CN=tls-ca,[^"]*" extendedKeyUsage/);
});

test('CA constraints: an end entity cannot issue, and pathlen is enforced', async () => {
  const notCa = pki.asCa(pki.leaf('not-a-ca', persons));
  const underLeaf = pki.leaf('under-leaf', notCa);
  assertFailure(await validateCertificatePath(underLeaf.certificate, { trust, untrusted: [persons.certificate, notCa.certificate] }), 'untrusted-chain', /CN=not-a-ca,[^"]*" is not a CA/);

  const subSub = pki.intermediate('sub-sub-ca', persons); // persons has pathlen:0
  const deep = pki.leaf('deep', subSub);
  assertFailure(
    await validateCertificatePath(deep.certificate, { trust, untrusted: [persons.certificate, subSub.certificate] }),
    'untrusted-chain', /CN=persons-ca,[^"]*" allows 0 intermediate CA\(s\) below it, the path has 1/,
  );
});

test('a certificate signed with SHA-1 is refused with a clear reason', async () => {
  const sha1 = pki.leaf('sha1-signed', persons, { md: 'sha1' });
  assertFailure(await validateCertificatePath(sha1.certificate, { trust, untrusted: [persons.certificate] }), 'untrusted-chain', /sha1WithRSAEncryption is not accepted/);
});

test('an ECDSA hierarchy validates too', async () => {
  const ecRoot = pki.root('ec-root', { key: 'ec' });
  const ecLeaf = pki.leaf('ec-leaf', ecRoot, { key: 'ec', keyUsage: 'digitalSignature' });
  const result = await validateCertificatePath(ecLeaf.certificate, { trust: new TrustStore({ anchors: [ecRoot.certificate] }) });
  assert.ok(result.ok, result.ok ? '' : result.detail);
});

test('revocation: revoked, good, unknown without a CRL, unknown with a stale or foreign CRL', async () => {
  const revoked = pki.leaf('revoked', persons);
  pki.revoke(revoked, persons, 'keyCompromise');
  const personsCrl = pki.crl(persons, { hours: 1 });
  const rootCrl = pki.crl(root);
  const crls = new StaticCrlSource([personsCrl.crl, rootCrl.crl]);
  const options = { trust, untrusted: [persons.certificate], crls };

  assertFailure(await validateCertificatePath(revoked.certificate, options), 'revoked', /CN=revoked,[^"]*" was revoked on .* \(keyCompromise\)/);
  const good = await validateCertificatePath(alice.certificate, options);
  assert.ok(good.ok);
  assert.deepEqual(good.revocation, { status: 'good' });

  const onlyLeafCrl = await validateCertificatePath(alice.certificate, { ...options, crls: new StaticCrlSource([personsCrl.crl]) });
  assert.ok(onlyLeafCrl.ok);
  assert.equal(onlyLeafCrl.revocation.status, 'unknown');
  assert.match(onlyLeafCrl.revocation.status === 'unknown' ? onlyLeafCrl.revocation.detail : '', /no CRL available for CN=Racine Santé Test/);

  // Two hours later the persons CRL (valid one hour) is stale: it no longer proves anything, either way.
  const later = await validateCertificatePath(revoked.certificate, { ...options, now: new Date(Date.now() + 2 * HOUR) });
  assert.ok(later.ok);
  assert.equal(later.revocation.status, 'unknown');
  assert.match(later.revocation.status === 'unknown' ? later.revocation.detail : '', /CRL stale since/);

  // A CRL under the same name but signed by another key is ignored, whatever it lists.
  const impostor = pki.root('impostor', { commonName: 'persons-ca' });
  pki.revoke(alice, impostor);
  const forged = pki.crl(impostor);
  const withForged = await validateCertificatePath(alice.certificate, { ...options, crls: new StaticCrlSource([forged.crl, rootCrl.crl]) });
  assert.ok(withForged.ok);
  assert.equal(withForged.revocation.status, 'unknown');
});

test('a CRL whose signature was tampered with is not used', async () => {
  const crl = pki.crl(persons, { file: 'persons-tampered.crl' });
  const der = Buffer.from(crl.crl.toSchema().toBER(false));
  der[der.length - 5]! ^= 0x01;
  const tampered = pkijs.CertificateRevocationList.fromBER(new Uint8Array(der));
  const result = await validateCertificatePath(alice.certificate, {
    trust, untrusted: [persons.certificate], crls: new StaticCrlSource([tampered, pki.crl(root).crl]),
  });
  assert.ok(result.ok);
  assert.equal(result.revocation.status, 'unknown');
  assert.match(result.revocation.status === 'unknown' ? result.revocation.detail : '', /CRL signature does not verify/);
});

test('trust store loads anchors from PEM', () => {
  const store = TrustStore.fromPem(fs.readFileSync(root.certFile, 'utf8') + fs.readFileSync(pki.file('persons-ca.crt'), 'utf8'));
  assert.equal(store.anchors.length, 2);
  assert.ok(store.anchorFor(parseCertificate(fs.readFileSync(root.certFile, 'utf8'))));
});
