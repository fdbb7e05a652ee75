/**
 * Finding certificates for an address: only valid, encryption-capable, S/MIME certificates
 * come back for encryption, newest first, whatever their source and whatever the case of
 * the address; signing needs a stored private key. Also: certificates seen in mail,
 * listing with filters, deletion.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after } from 'node:test';
import * as pkijs from 'pkijs';
import { toArrayBuffer } from '../pem.js';
import { describeOnEachEngine } from './testing-databases.js';
import { OpensslFixtures } from './testing-openssl.js';

const DAY = 86_400_000;
const fx = new OpensslFixtures();
after(() => fx.cleanup());

const smime = { extendedKeyUsage: 'emailProtection' } as const;
fx.leaf({ name: 'expired', subject: '/CN=Bob Expired', email: 'bob@example.test', keyUsage: 'keyEncipherment', ...smime, fromDays: -400, toDays: -30 });
fx.leaf({ name: 'signing', subject: '/CN=Bob Signing', email: 'Bob@Example.TEST', keyUsage: 'digitalSignature,nonRepudiation', ...smime, fromDays: -2, toDays: 365 });
fx.leaf({ name: 'encryption', subject: '/CN=Bob Encryption', email: 'BOB@example.test', keyUsage: 'keyEncipherment', ...smime, fromDays: -1, toDays: 365 });
fx.leaf({ name: 'older', subject: '/CN=Bob Older', email: 'bob@example.test', keyUsage: 'keyEncipherment', fromDays: -60, toDays: 365 });
fx.leaf({ name: 'tls', subject: '/CN=Bob TLS', email: 'bob@example.test', keyUsage: 'digitalSignature,keyEncipherment', extendedKeyUsage: 'serverAuth', fromDays: -1, toDays: 365 });
fx.leaf({ name: 'future', subject: '/CN=Bob Future', email: 'bob@example.test', keyUsage: 'keyEncipherment', fromDays: 10, toDays: 365 });

const der = (name: string): Uint8Array => new Uint8Array(new X509Certificate(fx.bytes(`${name}.pem`)).raw);
const subjects = (list: readonly { subject: string }[]): string[] => list.map((c) => c.subject);

describeOnEachEngine('certificate lookup', (storeTest) => {
  storeTest('one expired, one signing-only, one encryption-capable: only the last is for encryption, any case', async (env) => {
    const store = env.store();
    await store.importPem(fx.text('expired.pem'));
    await store.recordSeenCertificate(der('signing'));
    await store.addCertificate(der('encryption'), { source: 'directory' });
    for (const address of ['bob@example.test', 'Bob@EXAMPLE.test', '  BOB@example.TEST ']) {
      assert.deepEqual(subjects(await store.findEncryptionCertificates(address)), ['CN=Bob Encryption'], address);
    }
    const [found] = await store.findEncryptionCertificates('bob@example.test');
    assert.equal(found?.source, 'directory');
    assert.deepEqual(found?.addresses, ['bob@example.test']);
    assert.deepEqual(await store.findEncryptionCertificates('alice@example.test'), []);
  });

  storeTest('newest first; not-yet-valid and non-S/MIME certificates left out; `now` decides validity', async (env) => {
    const store = env.store();
    for (const name of ['expired', 'signing', 'encryption', 'older', 'tls', 'future']) await store.importDer(der(name));
    assert.deepEqual(subjects(await store.findEncryptionCertificates('bob@example.test')), ['CN=Bob Encryption', 'CN=Bob Older']);
    const now = Date.now();
    assert.deepEqual(subjects(await store.findEncryptionCertificates('bob@example.test', new Date(now - 45 * DAY))), ['CN=Bob Older', 'CN=Bob Expired']);
    assert.deepEqual(subjects(await store.findEncryptionCertificates('bob@example.test', new Date(now + 20 * DAY))), ['CN=Bob Future', 'CN=Bob Encryption', 'CN=Bob Older']);
    assert.deepEqual(await store.findEncryptionCertificates('bob@example.test', new Date(now + 400 * DAY)), []);
  });

  storeTest('a signing identity needs a signing certificate with its private key here', async (env) => {
    const store = env.store();
    await store.importDer(der('signing'));
    assert.equal(await store.findSigningIdentity('bob@example.test'), undefined, 'certificate without key');
    await store.importPem(fx.text('encryption.pem') + fx.text('encryption.key'));
    assert.equal(await store.findSigningIdentity('bob@example.test'), undefined, 'key of an encryption-only certificate');
    await store.importPem(fx.text('signing.pem') + fx.text('signing.key'));
    const identity = await store.findSigningIdentity('BOB@EXAMPLE.TEST');
    assert.equal(identity?.certificate.subject, 'CN=Bob Signing');
    assert.ok(identity?.x509 instanceof pkijs.Certificate);
    assert.equal(identity?.privateKey.type, 'private');
    assert.deepEqual(subjects(await store.findEncryptionCertificates('bob@example.test')), ['CN=Bob Encryption']);
    const decrypting = await store.privateKeyFor(identity!.certificate.sha256, { name: 'RSA-OAEP', hash: 'SHA-256' }, ['decrypt']);
    assert.deepEqual(decrypting.usages, ['decrypt']);
  });

  storeTest('a decryption key: an encryption certificate with its private key, nothing less', async (env) => {
    const store = env.store();
    assert.equal(await store.hasDecryptionKey('bob@example.test'), false, 'nothing stored');
    await store.importDer(der('encryption'));
    assert.equal(await store.hasDecryptionKey('bob@example.test'), false, 'certificate without its key');
    await store.importPem(fx.text('signing.pem') + fx.text('signing.key'));
    assert.equal(await store.hasDecryptionKey('bob@example.test'), false, 'key of a signing-only certificate');
    await store.importPem(fx.text('encryption.pem') + fx.text('encryption.key'));
    assert.equal(await store.hasDecryptionKey('BOB@Example.test'), true, 'any case');
    assert.equal(await store.hasDecryptionKey('alice@example.test'), false, 'another address');
  });

  storeTest('a certificate seen in signed mail is stored once, audited once, and its last-seen date moves', async (env) => {
    const store = env.store();
    const first = await store.recordSeenCertificate(pkijs.Certificate.fromBER(toArrayBuffer(der('encryption'))));
    assert.equal(first.source, 'seen-in-signed-mail');
    env.clock.advance(3 * DAY);
    const again = await store.recordSeenCertificate(der('encryption'));
    assert.equal(again.id, first.id);
    assert.equal(again.lastSeenAt.getTime() - first.lastSeenAt.getTime(), 3 * DAY);
    assert.deepEqual(again.firstSeenAt, first.firstSeenAt);
    assert.equal((await env.audit.list({ action: 'certs.seen' })).length, 1);
  });

  storeTest('listing with filters, fetching by id or fingerprint, deleting', async (env) => {
    const store = env.store();
    await store.importPem(fx.text('signing.pem') + fx.text('signing.key') + fx.text('ca.pem'));
    await store.recordSeenCertificate(der('older'));
    await store.importDer(der('expired'));
    assert.equal((await store.listCertificates()).length, 4);
    assert.deepEqual(subjects(await store.listCertificates({ withPrivateKey: true })), ['CN=Bob Signing']);
    assert.deepEqual(subjects(await store.listCertificates({ source: 'seen-in-signed-mail' })), ['CN=Bob Older']);
    assert.deepEqual(subjects(await store.listCertificates({ isCa: true })), ['CN=Test Root CA,O=Hygie Test,C=FR']);
    assert.deepEqual(subjects(await store.listCertificates({ address: 'BOB@example.test', validAt: new Date() })), ['CN=Bob Signing', 'CN=Bob Older']);
    assert.equal((await store.listCertificates({ limit: 1 })).length, 1);

    const signing = (await store.listCertificates({ withPrivateKey: true }))[0]!;
    const colonFingerprint = new X509Certificate(fx.bytes('signing.pem')).fingerprint256;
    assert.equal((await store.getCertificate(colonFingerprint))?.id, signing.id);
    assert.equal((await store.getCertificate(signing.id))?.sha256, signing.sha256);
    assert.ok(await store.deleteCertificate(colonFingerprint, 'operator:test'));
    assert.equal(await store.getCertificate(signing.id), undefined);
    assert.equal(await env.db('private_keys').count({ n: '*' }).first().then((r) => Number(r?.n)), 0, 'its key went with it');
    assert.equal(await env.db('certificate_addresses').where({ certificate_id: signing.id }).count({ n: '*' }).first().then((r) => Number(r?.n)), 0);
    assert.equal(await store.deleteCertificate(signing.id, 'operator:test'), false);
    const [record] = await env.audit.list({ action: 'certs.delete' });
    assert.deepEqual(record?.details, { subject: 'CN=Bob Signing', hadPrivateKey: true, trustAnchorFor: [] });
    await assert.rejects(store.getCertificate('not-a-fingerprint'), /not a SHA-256 fingerprint/);
  });
});
