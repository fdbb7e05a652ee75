/**
 * SmimeService over a real store, in this thread and through a worker pool: sign then
 * encrypt for the recipients and the sender, each side opens and verifies; lookups are
 * remembered until their time to live, forget() or a decryption that finds no key.
 */
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { IN_PROCESS } from './cms/operations.js';
import { SmimeService } from './smime-service.js';
import { describeOnEachEngine } from './store/testing-databases.js';
import { OpensslFixtures } from './store/testing-openssl.js';
import { certificateFromDer } from './trust/certificate-cache.js';
import { SmimePool } from './workers/smime-pool.js';

const fx = new OpensslFixtures();
const pool = new SmimePool({ size: 2 });
after(async () => {
  await pool.close();
  fx.cleanup();
});

const dual = { keyUsage: 'digitalSignature,keyEncipherment', extendedKeyUsage: 'emailProtection', toDays: 365 } as const;
fx.leaf({ name: 'alice', subject: '/CN=Alice', email: 'alice@example.test', fromDays: -3, ...dual });
fx.leaf({ name: 'alice-new', subject: '/CN=Alice New', email: 'alice@example.test', fromDays: -1, ...dual });
fx.leaf({ name: 'bob', subject: '/CN=Bob', email: 'bob@example.test', fromDays: -3, ...dual });
fx.leaf({ name: 'bob-new', subject: '/CN=Bob New', email: 'bob@example.test', fromDays: -1, ...dual });

const withKey = (name: string): string => fx.text(`${name}.pem`) + fx.text(`${name}.key`);

const MESSAGE = Buffer.from([
  'From: Alice <alice@example.test>', 'To: Bob <bob@example.test>', 'Subject: =?UTF-8?Q?R=C3=A9sultats?=',
  'Date: Tue, 24 Nov 2026 10:00:00 +0100', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: 8bit', '', 'Résultats normaux, à revoir dans six mois.', '',
].join('\r\n'), 'utf8');

describeOnEachEngine('S/MIME service', (storeTest) => {
  for (const [where, operations] of [['in this thread', IN_PROCESS], ['in worker threads', pool]] as const) {
    storeTest(`sign then encrypt ${where}: the recipient and the sender decrypt, the signature verifies`, async (env) => {
      const store = env.store();
      for (const name of ['alice', 'bob']) await store.importPem(withKey(name));
      await store.addTrustAnchor(derOf('ca'), 'smime', 'test');
      const service = new SmimeService({ certificates: store, operations, clock: env.clock });

      const sealed = await service.signAndEncryptFor(MESSAGE, 'alice@example.test', ['Bob@Example.test']);
      assert.equal(sealed.certificate.subject, 'CN=Alice');
      assert.deepEqual(sealed.recipients.map((r) => [r.address, r.certificate.subject]), [['bob@example.test', 'CN=Bob'], ['alice@example.test', 'CN=Alice']]);
      for (const reader of ['bob@example.test', 'alice@example.test']) {
        const opened = await service.decryptAs(sealed.message, reader);
        assert.equal(opened.status, 'decrypted', reader);
        const verdict = await service.verify(opened.status === 'decrypted' ? opened.message : Buffer.alloc(0));
        assert.equal(verdict.status, 'valid', JSON.stringify(verdict));
      }

      const signed = await service.signAs(MESSAGE, 'alice@example.test', 'opaque');
      assert.equal((await service.verify(signed.message)).status, 'valid');
      const encrypted = await service.encryptFor(MESSAGE, ['bob@example.test']);
      assert.equal((await service.decryptAs(encrypted.message, 'bob@example.test')).status, 'decrypted');
      await assert.rejects(service.signAndEncryptFor(MESSAGE, 'alice@example.test', ['carol@example.test']), /no valid encryption certificate is stored for carol@example.test/);
      await assert.rejects(service.signAs(MESSAGE, 'dave@example.test'), /no valid signing certificate/);
    });
  }

  storeTest('a newer certificate is used once the remembered lookup expires, or at once after forget()', async (env) => {
    const store = env.store();
    await store.importPem(withKey('alice'));
    await store.importPem(withKey('bob'));
    const service = new SmimeService({ certificates: store, clock: env.clock, lookupCacheMs: 60_000 });
    assert.equal((await service.signAs(MESSAGE, 'alice@example.test')).certificate.subject, 'CN=Alice');
    assert.equal((await service.encryptFor(MESSAGE, ['bob@example.test'])).recipients[0]!.certificate.subject, 'CN=Bob');

    await store.importPem(withKey('alice-new'));
    await store.importPem(fx.text('bob-new.pem'));
    assert.equal((await service.signAs(MESSAGE, 'alice@example.test')).certificate.subject, 'CN=Alice', 'still remembered');
    env.clock.advance(61_000);
    assert.equal((await service.signAs(MESSAGE, 'alice@example.test')).certificate.subject, 'CN=Alice New', 'expired');
    assert.equal((await service.encryptFor(MESSAGE, ['bob@example.test'])).recipients[0]!.certificate.subject, 'CN=Bob New');

    const uncached = new SmimeService({ certificates: store, clock: env.clock, lookupCacheMs: 0 });
    assert.equal((await uncached.signAs(MESSAGE, 'alice@example.test')).certificate.subject, 'CN=Alice New');
    service.forget('ALICE@example.test');
    assert.equal((await service.signAs(MESSAGE, 'alice@example.test')).certificate.subject, 'CN=Alice New');
  });

  storeTest('decryption looks again when no remembered key fits (a key imported since)', async (env) => {
    const store = env.store();
    await store.importPem(withKey('bob'));
    const service = new SmimeService({ certificates: store, clock: env.clock });
    const first = await service.encryptFor(MESSAGE, ['bob@example.test']);
    assert.equal((await service.decryptAs(first.message, 'bob@example.test')).status, 'decrypted');

    await store.importPem(withKey('bob-new'));
    // Encrypted by someone else for the new certificate, while the service remembers the old key only.
    const forNew = await IN_PROCESS.encryptMessage(MESSAGE, [certificateFromDer(derOf('bob-new'))]);
    const opened = await service.decryptAs(forNew, 'bob@example.test');
    assert.equal(opened.status, 'decrypted', JSON.stringify(opened));
  });
});

function derOf(name: string): Uint8Array {
  const base64 = fx.text(`${name}.pem`).replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(base64, 'base64'));
}
