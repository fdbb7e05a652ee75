/**
 * decryptMessage on messages produced by `openssl cms -encrypt`: every content cipher,
 * RSA PKCS#1 v1.5 and OAEP, EC recipients, several recipients, recipients named by
 * subject key identifier. The outer header must come back as it was, and the entity
 * byte for byte.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { tempDir } from '../testing.js';
import { decryptMessage, type DecryptResult } from './decrypt.js';
import {
  importKey, messageWith, multipartEntity, OUTER_HEADER, opensslEncrypt, TestPki, TEXT_ENTITY, type Identity,
} from './envelope-testing.js';
import type { RecipientKey } from './envelope-recipients.js';

const tmp = tempDir();
let alice: Identity; // RSA
let bob: Identity; // EC P-256
let carol: Identity; // RSA
let dave: Identity; // EC P-384

before(async () => {
  const pki = new TestPki(tmp.dir);
  alice = await pki.identity('Alice Martin', 'alice.martin@hopital.test', 'rsa');
  bob = await pki.identity('Bob Lefebvre', 'bob.lefebvre@cabinet.test', 'ec-p256');
  carol = await pki.identity('Carole Dubois', 'carole.dubois@labo.test', 'rsa');
  dave = await pki.identity('David Moreau', 'david.moreau@clinique.test', 'ec-p384');
});
after(() => tmp.cleanup());

const keyOf = (identity: Identity): RecipientKey => ({ certificate: identity.certificate, privateKey: identity.privateKey });

/** An OpenSSL-encrypted entity under our outer header, as a mail client would send it. */
function opensslMessage(entity: Buffer, recipients: readonly Identity[], extra: readonly string[]): Buffer {
  return Buffer.concat([Buffer.from(OUTER_HEADER.join('\r\n') + '\r\n'), opensslEncrypt(entity, recipients, extra)]);
}

function assertDecrypted(result: DecryptResult, entity: Buffer, expected: { algorithm: string; keyManagement: string; structure: string; recipient: Identity }): void {
  assert.equal(result.status, 'decrypted', JSON.stringify(result));
  if (result.status !== 'decrypted') return;
  assert.ok(result.message.equals(messageWith(entity)), 'outer header + MIME-Version + the exact entity');
  assert.equal(result.algorithm, expected.algorithm);
  assert.equal(result.keyManagement, expected.keyManagement);
  assert.equal(result.structure, expected.structure);
  assert.equal(result.recipient.email, expected.recipient.email);
  assert.equal(result.recipient.issuer, 'CN=Hygie Test S-MIME CA,O=Hygie Test,C=FR');
  assert.match(result.recipient.serial, /^[0-9A-F]+$/);
}

describe('decryptMessage reads openssl cms -encrypt', () => {
  const cases = [
    { name: '-aes-256-cbc, RSA PKCS#1 v1.5', args: ['-aes-256-cbc'], to: () => alice, algorithm: 'AES-256-CBC', keyManagement: 'RSA-PKCS1-v1_5', structure: 'enveloped-data' },
    { name: '-aes-128-cbc, RSA PKCS#1 v1.5', args: ['-aes-128-cbc'], to: () => alice, algorithm: 'AES-128-CBC', keyManagement: 'RSA-PKCS1-v1_5', structure: 'enveloped-data' },
    { name: '-aes-256-gcm, RSA PKCS#1 v1.5', args: ['-aes-256-gcm'], to: () => alice, algorithm: 'AES-256-GCM', keyManagement: 'RSA-PKCS1-v1_5', structure: 'authEnveloped-data' },
    { name: '-aes-128-gcm, RSA PKCS#1 v1.5', args: ['-aes-128-gcm'], to: () => alice, algorithm: 'AES-128-GCM', keyManagement: 'RSA-PKCS1-v1_5', structure: 'authEnveloped-data' },
    { name: '-keyopt rsa_padding_mode:oaep (SHA-1)', args: ['-aes-256-cbc', 'rsa_padding_mode:oaep'], to: () => alice, algorithm: 'AES-256-CBC', keyManagement: 'RSA-OAEP', structure: 'enveloped-data' },
    { name: 'OAEP with SHA-256, -aes-256-gcm', args: ['-aes-256-gcm', 'rsa_padding_mode:oaep', 'rsa_oaep_md:sha256'], to: () => alice, algorithm: 'AES-256-GCM', keyManagement: 'RSA-OAEP', structure: 'authEnveloped-data' },
    { name: 'OAEP with SHA-512, -aes-192-cbc', args: ['-aes-192-cbc', 'rsa_padding_mode:oaep', 'rsa_oaep_md:sha512'], to: () => alice, algorithm: 'AES-192-CBC', keyManagement: 'RSA-OAEP', structure: 'enveloped-data' },
    { name: 'EC P-256 recipient, -aes-256-gcm', args: ['-aes-256-gcm'], to: () => bob, algorithm: 'AES-256-GCM', keyManagement: 'ECDH', structure: 'authEnveloped-data' },
    { name: 'EC P-256 recipient, -aes-128-cbc', args: ['-aes-128-cbc'], to: () => bob, algorithm: 'AES-128-CBC', keyManagement: 'ECDH', structure: 'enveloped-data' },
    { name: 'EC P-256 recipient, SHA-256 KDF', args: ['-aes-256-cbc', 'ecdh_kdf_md:sha256'], to: () => bob, algorithm: 'AES-256-CBC', keyManagement: 'ECDH', structure: 'enveloped-data' },
    { name: 'EC P-384 recipient, -aes-256-gcm', args: ['-aes-256-gcm'], to: () => dave, algorithm: 'AES-256-GCM', keyManagement: 'ECDH', structure: 'authEnveloped-data' },
    // Legacy: read (never written), and reported by name so that policy can flag it.
    { name: '-des3 (legacy Triple-DES, read only)', args: ['-des3'], to: () => alice, algorithm: 'DES-EDE3-CBC', keyManagement: 'RSA-PKCS1-v1_5', structure: 'enveloped-data' },
  ] as const;

  for (const c of cases) {
    test(c.name, async () => {
      const recipient = c.to();
      const message = opensslMessage(TEXT_ENTITY, [recipient], c.args);
      assertDecrypted(await decryptMessage(message, [keyOf(recipient)]), TEXT_ENTITY, { ...c, recipient });
    });
  }

  test('several recipients mixing RSA and EC: each reads it with its own key (streamed BER too)', async () => {
    const entity = multipartEntity();
    // -stream writes indefinite lengths and the content as a constructed OCTET STRING.
    for (const args of [['-aes-256-cbc'], ['-aes-256-gcm', 'rsa_padding_mode:oaep'], ['-aes-128-cbc', '-stream'], ['-aes-256-gcm', '-stream']]) {
      const message = opensslMessage(entity, [alice, bob, carol, dave], args);
      for (const recipient of [alice, bob, carol, dave]) {
        const result = await decryptMessage(message, [keyOf(recipient)]);
        assertDecrypted(result, entity, {
          algorithm: args[0]!.slice(1).toUpperCase(),
          keyManagement: recipient.kind === 'rsa' ? (args.includes('rsa_padding_mode:oaep') ? 'RSA-OAEP' : 'RSA-PKCS1-v1_5') : 'ECDH',
          structure: args[0] === '-aes-256-gcm' ? 'authEnveloped-data' : 'enveloped-data',
          recipient,
        });
      }
    }
  });

  test('recipients named by subject key identifier (-keyid), RSA and EC', async () => {
    const message = opensslMessage(TEXT_ENTITY, [alice, bob], ['-aes-256-gcm', '-keyid']);
    assertDecrypted(await decryptMessage(message, [keyOf(alice)]), TEXT_ENTITY,
      { algorithm: 'AES-256-GCM', keyManagement: 'RSA-PKCS1-v1_5', structure: 'authEnveloped-data', recipient: alice });
    assertDecrypted(await decryptMessage(message, [keyOf(bob)]), TEXT_ENTITY,
      { algorithm: 'AES-256-GCM', keyManagement: 'ECDH', structure: 'authEnveloped-data', recipient: bob });
  });

  test('the key that matches is found among several, whatever their order', async () => {
    const message = opensslMessage(TEXT_ENTITY, [carol, bob], ['-aes-128-gcm']);
    const result = await decryptMessage(message, [keyOf(alice), keyOf(dave), keyOf(bob)]);
    assertDecrypted(result, TEXT_ENTITY, { algorithm: 'AES-128-GCM', keyManagement: 'ECDH', structure: 'authEnveloped-data', recipient: bob });
  });

  test('keys imported as signing keys (RSASSA, ECDSA, not extractable) decrypt too', async () => {
    const message = opensslMessage(TEXT_ENTITY, [alice, bob], ['-aes-256-cbc']);
    for (const recipient of [alice, bob]) {
      const privateKey = await importKey(recipient.keyPath, recipient.kind, 'sign');
      const result = await decryptMessage(message, [{ certificate: recipient.certificate, privateKey }]);
      assert.equal(result.status, 'decrypted', JSON.stringify(result));
    }
  });

  test('headers written by openssl itself (-from -to -subject) are kept as the outer header', async () => {
    const subject = '=?UTF-8?Q?Compte_rendu_op=C3=A9ratoire?=';
    const message = opensslEncrypt(TEXT_ENTITY, [alice], ['-aes-256-gcm', '-from', 'elise.durand@hopital.test', '-to', alice.email, '-subject', subject]);
    const result = await decryptMessage(message, [keyOf(alice)]);
    assert.equal(result.status, 'decrypted', JSON.stringify(result));
    if (result.status !== 'decrypted') return;
    const text = result.message.toString('latin1');
    assert.match(text, new RegExp(`^Subject: ${subject.replace(/[?=]/g, '\\$&')}\r$`, 'm'));
    assert.match(text, /^From: elise\.durand@hopital\.test\r$/m);
    assert.ok(result.message.subarray(result.message.length - TEXT_ENTITY.length).equals(TEXT_ENTITY));
    assert.equal(text.match(/^MIME-Version:/gim)?.length, 1);
  });
});
