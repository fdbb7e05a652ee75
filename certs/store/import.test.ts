/**
 * Importing files made by openssl: PKCS#12 (OpenSSL 3 default and -legacy), PEM chains,
 * DER and PKCS#7 certificates, PKCS#8 and traditional keys, encrypted or not. After each
 * import with a key, the stored key signs data that Node verifies with the certificate's
 * public key: the key really is the certificate's.
 */
import assert from 'node:assert/strict';
import { getCiphers, verify, webcrypto, X509Certificate } from 'node:crypto';
import { after } from 'node:test';
import * as pkijs from 'pkijs';
import { toArrayBuffer } from '../pem.js';
import { isCertificateStoreError, type CertificateStoreErrorReason } from './errors.js';
import { describeOnEachEngine } from './testing-databases.js';
import { OpensslFixtures } from './testing-openssl.js';
import type { SigningIdentity } from './types.js';

const PASSWORD = 'mot de passe P12';
const fx = new OpensslFixtures();
after(() => fx.cleanup());

fx.leaf({ name: 'alice', subject: '/CN=Alice Martin', email: 'Alice@Example.test', keyUsage: 'digitalSignature,keyEncipherment', extendedKeyUsage: 'emailProtection', fromDays: -1, toDays: 365 });
fx.leaf({ name: 'dave', subject: '/CN=Dave Petit', email: 'dave@example.test', keyUsage: 'digitalSignature,keyAgreement', extendedKeyUsage: 'emailProtection', fromDays: -1, toDays: 365, key: 'ec' });
fx.leaf({ name: 'old', subject: '/CN=Old Timer', email: 'old@example.test', keyUsage: 'digitalSignature,keyEncipherment', fromDays: -400, toDays: -30 });

const files = {
  p12: fx.pkcs12('alice', 'alice.p12', PASSWORD),
  p12Legacy3des: fx.pkcs12('alice', 'alice-3des.p12', PASSWORD, ['-legacy', '-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES']),
  p12LegacyRc2: fx.pkcs12('alice', 'alice-rc2.p12', PASSWORD, ['-legacy']),
  p12Camellia: fx.pkcs12('alice', 'alice-camellia.p12', PASSWORD, ['-certpbe', 'CAMELLIA-256-CBC', '-keypbe', 'CAMELLIA-256-CBC']),
  p12Ec: fx.pkcs12('dave', 'dave.p12', PASSWORD),
  p12Old: fx.pkcs12('old', 'old.p12', PASSWORD),
};
fx.openssl(['x509', '-in', 'alice.pem', '-outform', 'DER', '-out', 'alice.der']);
fx.openssl(['crl2pkcs7', '-nocrl', '-certfile', 'alice.pem', '-certfile', 'ca.pem', '-outform', 'DER', '-out', 'chain.p7b']);
fx.openssl(['rsa', '-in', 'alice.key', '-traditional', '-out', 'alice.trad.pem']);
fx.openssl(['rsa', '-in', 'alice.key', '-traditional', '-aes256', '-passout', 'pass:pem-pass', '-out', 'alice.enc-trad.pem']);
fx.openssl(['pkcs8', '-topk8', '-in', 'alice.key', '-v2', 'aes-256-cbc', '-passout', 'pass:pem-pass', '-out', 'alice.enc-pkcs8.pem']);
fx.openssl(['ec', '-in', 'dave.key', '-out', 'dave.trad.pem']);
fx.openssl(['pkcs12', '-export', '-nocerts', '-inkey', 'dave.key', '-certfile', 'alice.pem', '-out', 'mismatch.p12', '-passout', `pass:${PASSWORD}`]);
const p12BadMac = corruptMac(files.p12);
const hasRc2 = getCiphers().includes('rc2-40-cbc');

/** A copy of a PKCS#12 file with one bit of its MAC value flipped. */
function corruptMac(p12: Buffer): Buffer {
  const pfx = pkijs.PFX.fromBER(toArrayBuffer(p12));
  const mac = Buffer.from(pfx.macData!.mac.digest.valueBlock.valueHexView);
  const at = p12.lastIndexOf(mac);
  assert.ok(at > 0);
  const copy = Buffer.from(p12);
  copy[at + 3]! ^= 0x01;
  return copy;
}

/** Signs with the stored key through WebCrypto; Node verifies with the certificate's public key. */
async function assertKeyMatchesCertificate(identity: SigningIdentity | undefined): Promise<void> {
  assert.ok(identity, 'a signing identity is found');
  const data = Buffer.from('Compte rendu : élévation des troponines, à revoir en consultation.', 'utf8');
  const algorithm = identity.privateKey.algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-256' } : identity.privateKey.algorithm;
  const signature = Buffer.from(await webcrypto.subtle.sign(algorithm, identity.privateKey, data));
  const publicKey = new X509Certificate(identity.certificate.der).publicKey;
  assert.ok(verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature), 'the signature verifies with the certificate');
  assert.ok(!verify('sha256', Buffer.from('altered'), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature));
  assert.equal(identity.privateKey.extractable, false);
}

async function assertRefused(promise: Promise<unknown>, reason: CertificateStoreErrorReason, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isCertificateStoreError(error), `a CertificateStoreError, got ${String(error)}`);
    assert.equal(error.reason, reason, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

describeOnEachEngine('certificate store imports', (storeTest) => {
  storeTest('a default OpenSSL 3 PKCS#12 (PBES2, AES-256-CBC, MAC SHA-256) with its chain', async (env) => {
    const store = env.store();
    const result = await store.importPkcs12(files.p12, PASSWORD, { actor: 'operator:test' });
    assert.equal(result.certificates.length, 2);
    const [alice, ca] = [result.certificates.find((c) => !c.isCa)!, result.certificates.find((c) => c.isCa)!];
    assert.equal(alice.subject, 'CN=Alice Martin');
    assert.deepEqual(alice.addresses, ['alice@example.test']);
    assert.ok(alice.privateKeyAdded && alice.hasPrivateKey && alice.created && !alice.expired);
    assert.ok(alice.canSign && alice.canEncrypt && alice.emailProtection);
    assert.equal(alice.keyAlgorithm, 'RSA-2048');
    assert.equal(ca.subject, 'CN=Test Root CA,O=Hygie Test,C=FR');
    assert.ok(!ca.hasPrivateKey);
    assert.equal(`serial=${alice.serialHex}\n`, fx.openssl(['x509', '-in', 'alice.pem', '-noout', '-serial']), 'as openssl prints it');
    await assertKeyMatchesCertificate(await store.findSigningIdentity('alice@example.test'));

    const [record] = await env.audit.list({ action: 'certs.import' });
    assert.equal(record?.outcome, 'success');
    const details = JSON.stringify(record?.details);
    assert.match(details, /alice@example\.test/);
    assert.doesNotMatch(details, /PRIVATE KEY|MII/);

    const again = await store.importPkcs12(files.p12, PASSWORD);
    assert.deepEqual(again.certificates.map((c) => [c.created, c.privateKeyAdded, c.hasPrivateKey]), [[false, false, true], [false, false, false]], 'a second import changes nothing');
    assert.equal((await store.listCertificates()).length, 2);
  });

  storeTest('a -legacy PKCS#12 with pbeWithSHAAnd3-KeyTripleDES-CBC and a SHA-1 MAC', async (env) => {
    const store = env.store();
    const result = await store.importPkcs12(files.p12Legacy3des, PASSWORD);
    assert.equal(result.certificates.length, 2);
    await assertKeyMatchesCertificate(await store.findSigningIdentity('alice@example.test'));
  });

  storeTest('the default -legacy PKCS#12 (RC2-40 certificates): imported, or refused naming RC2 when Node lacks it', async (env) => {
    const store = env.store();
    if (hasRc2) {
      await store.importPkcs12(files.p12LegacyRc2, PASSWORD);
      await assertKeyMatchesCertificate(await store.findSigningIdentity('alice@example.test'));
    } else {
      await assertRefused(store.importPkcs12(files.p12LegacyRc2, PASSWORD), 'unsupported-algorithm', /pbeWithSHAAnd40BitRC2-CBC.*--openssl-legacy-provider/s);
      // Yet a wrong password is still told apart: the SHA-1 MAC needs no legacy algorithm.
      await assertRefused(store.importPkcs12(files.p12LegacyRc2, 'not the password'), 'wrong-password');
    }
  });

  storeTest('an EC (P-256) PKCS#12: the ECDSA key signs', async (env) => {
    const store = env.store();
    const [dave] = (await store.importPkcs12(files.p12Ec, PASSWORD)).certificates;
    assert.equal(dave?.keyAlgorithm, 'EC-P-256');
    assert.ok(dave?.canEncrypt, 'keyAgreement on an EC key allows ECDH encryption');
    await assertKeyMatchesCertificate(await store.findSigningIdentity('dave@example.test'));
  });

  storeTest('a PEM chain with a PKCS#8 key, in any order', async (env) => {
    const store = env.store();
    const pem = fx.text('ca.pem') + fx.text('alice.key') + fx.text('alice.pem');
    const result = await store.importPem(pem);
    assert.equal(result.certificates.length, 2);
    assert.ok(result.certificates.find((c) => c.subject === 'CN=Alice Martin')?.privateKeyAdded);
    await assertKeyMatchesCertificate(await store.findSigningIdentity('alice@example.test'));
  });

  storeTest('a traditional RSA key ("RSA PRIVATE KEY") and a traditional EC key ("EC PRIVATE KEY")', async (env) => {
    const store = env.store();
    await store.importPem(fx.text('alice.pem') + fx.text('alice.trad.pem'));
    await assertKeyMatchesCertificate(await store.findSigningIdentity('alice@example.test'));
    await store.importPem(fx.text('dave.pem') + fx.text('dave.trad.pem'));
    await assertKeyMatchesCertificate(await store.findSigningIdentity('dave@example.test'));
  });

  storeTest('encrypted PEM keys (PKCS#8 and traditional) with their password; without it or with a wrong one, a clear error', async (env) => {
    const store = env.store();
    const encryptedPkcs8 = fx.text('alice.pem') + fx.text('alice.enc-pkcs8.pem');
    await assertRefused(store.importPem(encryptedPkcs8), 'password-required');
    await assertRefused(store.importPem(encryptedPkcs8, { password: 'wrong' }), 'wrong-password');
    await store.importPem(encryptedPkcs8, { password: 'pem-pass' });
    await assertKeyMatchesCertificate(await store.findSigningIdentity('alice@example.test'));

    await store.deleteCertificate((await store.listCertificates())[0]!.id, 'operator:test');
    await store.importPem(fx.text('alice.pem') + fx.text('alice.enc-trad.pem'), { password: 'pem-pass' });
    await assertKeyMatchesCertificate(await store.findSigningIdentity('alice@example.test'));
  });

  storeTest('a DER certificate and a DER PKCS#7 bundle; a key can follow later in PEM', async (env) => {
    const store = env.store();
    const [alice] = (await store.importDer(fx.bytes('alice.der'))).certificates;
    assert.equal(alice?.sha256, new X509Certificate(fx.bytes('alice.der')).fingerprint256.replace(/:/g, '').toLowerCase());
    assert.ok(!alice?.hasPrivateKey);
    assert.equal(await store.findSigningIdentity('alice@example.test'), undefined, 'no key, no signing identity');
    const bundle = await store.importDer(fx.bytes('chain.p7b'));
    assert.deepEqual(bundle.certificates.map((c) => c.created), [false, true], 'the chain adds the CA only');
    const withKey = await store.importPem(fx.text('alice.pem') + fx.text('alice.key'));
    assert.ok(withKey.certificates[0]?.privateKeyAdded);
    await assertKeyMatchesCertificate(await store.findSigningIdentity('alice@example.test'));
  });

  storeTest('importFile recognises PEM, PKCS#12 and DER', async (env) => {
    const store = env.store();
    assert.equal((await store.importFile(fx.bytes('alice.der'))).certificates.length, 1);
    assert.equal((await store.importFile(fx.bytes('ca.pem'))).certificates.length, 1);
    await assertRefused(store.importFile(files.p12), 'password-required');
    assert.equal((await store.importFile(files.p12, { password: PASSWORD })).certificates.length, 2);
  });

  storeTest('an expired certificate is imported but flagged, and no lookup returns it', async (env) => {
    const store = env.store();
    const result = await store.importPkcs12(files.p12Old, PASSWORD);
    const old = result.certificates.find((c) => !c.isCa)!;
    assert.ok(old.expired && old.hasPrivateKey);
    assert.match(result.warnings.join('\n'), /CN=Old Timer expired on/);
    assert.deepEqual(await store.findEncryptionCertificates('old@example.test'), []);
    assert.equal(await store.findSigningIdentity('old@example.test'), undefined);
    const [record] = await env.audit.list({ action: 'certs.import' });
    assert.match(JSON.stringify(record?.details), /"expired":true/);
  });

  storeTest('bad input: each refused with its own reason, audited, nothing stored', async (env) => {
    const store = env.store();
    await assertRefused(store.importPem('hello, this is not a certificate'), 'unreadable-input', /not PEM/);
    await assertRefused(store.importPem('-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----\n'), 'unreadable-input', /base64/);
    await assertRefused(store.importPem(fx.text('alice.key')), 'no-certificate');
    await assertRefused(store.importPem('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), 'unreadable-input');
    await assertRefused(store.importDer(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05])), 'unreadable-input', /X\.509/);
    await assertRefused(store.importDer(Buffer.from('garbage garbage garbage')), 'unreadable-input', /DER/);
    await assertRefused(store.importDer(fx.bytes('alice.pem')), 'unreadable-input', /PEM text/);
    await assertRefused(store.importDer(files.p12), 'unreadable-input', /PKCS#12/);
    await assertRefused(store.importPkcs12(Buffer.from('not a pfx at all'), PASSWORD), 'unreadable-input', /not a PKCS#12/);
    await assertRefused(store.importPkcs12(files.p12.subarray(0, files.p12.length - 200), PASSWORD), 'unreadable-input');
    await assertRefused(store.importPkcs12(files.p12, 'wrong password'), 'wrong-password', /wrong password/);
    await assertRefused(store.importPkcs12(files.p12Legacy3des, 'wrong password'), 'wrong-password');
    await assertRefused(store.importPkcs12(p12BadMac, PASSWORD), 'mac-invalid', /corrupted or was altered/);
    await assertRefused(store.importPkcs12(fx.bytes('mismatch.p12'), PASSWORD), 'key-mismatch');
    await assertRefused(store.importPem(fx.text('alice.pem') + fx.text('dave.key')), 'key-mismatch');
    await assertRefused(store.importPkcs12(files.p12Camellia, PASSWORD), 'unsupported-algorithm', /camellia-256-cbc/);
    assert.equal((await store.listCertificates()).length, 0, 'nothing half-imported');

    const failures = (await env.audit.list({ action: 'certs.import' })).filter((r) => r.outcome === 'failure');
    assert.equal(failures.length, 16);
    assert.ok(failures.some((r) => r.details.reason === 'mac-invalid'));
    assert.doesNotMatch(JSON.stringify(failures), new RegExp(`${PASSWORD}|PRIVATE KEY`));
  });
});
