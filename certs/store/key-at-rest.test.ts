/**
 * Private keys at rest: sealed with AES-256-GCM under a configured secret (asserted on
 * the database row itself), opened back with it, refused cleanly with a wrong or missing
 * secret; clear keys from before a secret existed stay readable and can be resealed.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { isHygieError } from '../../core/errors.js';
import { isCertificateStoreError } from './errors.js';
import { PrivateKeyVault, type KeySecret } from './key-vault.js';
import { describeOnEachEngine } from './testing-databases.js';
import { OpensslFixtures } from './testing-openssl.js';

const K1: KeySecret = { id: 'k1', secret: 'correct horse battery staple' };
const K1_WRONG: KeySecret = { id: 'k1', secret: 'incorrect donkey battery clip' };
const K2: KeySecret = { id: 'k2', secret: Buffer.alloc(32, 7) };

const fx = new OpensslFixtures();
after(() => fx.cleanup());
fx.leaf({ name: 'alice', subject: '/CN=Alice Martin', email: 'alice@example.test', keyUsage: 'digitalSignature,keyEncipherment', fromDays: -1, toDays: 365 });
fx.leaf({ name: 'dave', subject: '/CN=Dave Petit', email: 'dave@example.test', keyUsage: 'digitalSignature,keyEncipherment', fromDays: -1, toDays: 365 });
fx.openssl(['pkcs8', '-topk8', '-nocrypt', '-in', 'alice.key', '-outform', 'DER', '-out', 'alice.pk8.der']);
const alicePem = fx.text('alice.pem') + fx.text('alice.key');
/** The key as OpenSSL itself writes PKCS#8 DER. */
const alicePkcs8 = fx.bytes('alice.pk8.der');

interface KeyRow { certificate_id: number; encryption: 'none' | 'aes-256-gcm'; secret_id: string | null; data: Buffer }

function assertNoPlainKeyIn(data: Buffer): void {
  assert.ok(!data.equals(alicePkcs8));
  for (let at = 0; at + 16 <= alicePkcs8.length; at += 16) {
    assert.equal(data.indexOf(alicePkcs8.subarray(at, at + 16)), -1, `PKCS#8 bytes ${at}..${at + 16} appear in the sealed row`);
  }
}

describeOnEachEngine('private keys at rest', (storeTest) => {
  storeTest('with a secret, the stored bytes are not the PKCS#8; they open back with the secret', async (env) => {
    const store = env.store([K1]);
    const [alice] = (await store.importPem(alicePem)).certificates;
    const row = (await env.db('private_keys').first()) as KeyRow;
    assert.equal(row.encryption, 'aes-256-gcm');
    assert.equal(row.secret_id, 'k1');
    assertNoPlainKeyIn(Buffer.from(row.data));

    const opened = await new PrivateKeyVault([K1]).open({ encryption: row.encryption, secretId: row.secret_id, data: row.data }, alice!.sha256);
    assert.deepEqual(opened, alicePkcs8, 'decrypts to exactly the PKCS#8 openssl writes for this key');
    assert.ok(await store.findSigningIdentity('alice@example.test'));
  });

  storeTest('the wrong secret fails cleanly, naming the secret id and never the secret', async (env) => {
    await env.store([K1]).importPem(alicePem);
    const wrong = env.store([K1_WRONG]);
    await assert.rejects(wrong.findSigningIdentity('alice@example.test'), (error: unknown) => {
      assert.ok(isCertificateStoreError(error, 'key-unavailable'));
      assert.ok(isHygieError(error, 'CONFIG_INVALID'), 'an operator configuration problem');
      assert.match(error.message, /could not be decrypted with secret "k1": wrong secret/);
      assert.doesNotMatch(error.message + String(error.stack), /horse|donkey/);
      assert.equal(error.cause, undefined);
      return true;
    });
    await assert.rejects(env.store().findSigningIdentity('alice@example.test'), /sealed with secret "k1", which is not configured/);
  });

  storeTest('a sealed key moved to another certificate\'s row does not open', async (env) => {
    const store = env.store([K1]);
    await store.importPem(alicePem);
    const [dave] = (await store.importPem(fx.text('dave.pem') + fx.text('dave.key'))).certificates;
    const aliceRow = (await env.db('private_keys').whereNot({ certificate_id: dave!.id }).first()) as KeyRow;
    await env.db('private_keys').where({ certificate_id: dave!.id }).update({ data: aliceRow.data });
    await assert.rejects(store.privateKeyFor(dave!.id), (error: unknown) => isCertificateStoreError(error, 'key-unavailable'));
  });

  storeTest('keys stored clear before a secret existed stay readable, and are sealed by resealPrivateKeys', async (env) => {
    await env.store().importPem(alicePem);
    let row = (await env.db('private_keys').first()) as KeyRow;
    assert.equal(row.encryption, 'none');
    assert.equal(row.secret_id, null);
    assert.deepEqual(Buffer.from(row.data), alicePkcs8);

    const store = env.store([K1]);
    assert.ok(await store.findSigningIdentity('alice@example.test'), 'a clear key opens with a secret configured');
    assert.equal(await store.resealPrivateKeys('operator:test'), 1);
    row = (await env.db('private_keys').first()) as KeyRow;
    assert.equal(row.encryption, 'aes-256-gcm');
    assertNoPlainKeyIn(Buffer.from(row.data));
    assert.ok(await store.findSigningIdentity('alice@example.test'));
    assert.equal(await store.resealPrivateKeys('operator:test'), 0, 'nothing left to reseal');
    const [record] = await env.audit.list({ action: 'certs.keys.reseal' });
    assert.deepEqual(record?.details, { count: 0, secretId: 'k1' });
  });

  storeTest('rotation: a new secret listed first reseals keys sealed under the old one', async (env) => {
    await env.store([K1]).importPem(alicePem);
    const rotating = env.store([K2, K1]);
    assert.equal(await rotating.resealPrivateKeys('operator:test'), 1);
    assert.equal(((await env.db('private_keys').first()) as KeyRow).secret_id, 'k2');
    assert.ok(await env.store([K2]).findSigningIdentity('alice@example.test'), 'the old secret is no longer needed');
  });
});

test('secrets are checked when the vault is built', () => {
  assert.throws(() => new PrivateKeyVault([{ id: 'k1', secret: 'short' }]), /too short/);
  assert.throws(() => new PrivateKeyVault([K1, K1]), /given twice/);
  assert.throws(() => new PrivateKeyVault([{ id: 'bad id!', secret: K1.secret }]), /secret id/);
  assert.equal(new PrivateKeyVault().sealingSecretId, undefined);
});
