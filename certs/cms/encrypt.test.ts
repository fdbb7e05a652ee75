/**
 * encryptMessage / encryptCms, checked by an independent reader: every form we produce
 * must decrypt with `openssl cms -decrypt` to the exact original entity.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as pkijs from 'pkijs';
import { HygieError } from '../../core/errors.js';
import { toArrayBuffer } from '../pem.js';
import { tempDir } from '../testing.js';
import { encryptCms, encryptMessage, type ProducedContentEncryption, type RsaKeyTransport } from './encrypt.js';
import { decryptCms } from './decrypt.js';
import {
  messageWith, multipartEntity, OUTER_HEADER_TEXT, opensslDecrypt, runOpenssl, TestPki, TEXT_ENTITY, type Identity,
} from './envelope-testing.js';
import { splitMessage } from './mime.js';

const tmp = tempDir();
let alice: Identity; // RSA
let bob: Identity; // EC P-256
let carol: Identity; // RSA
let dave: Identity; // EC P-384
let pki: TestPki;

before(async () => {
  pki = new TestPki(tmp.dir);
  alice = await pki.identity('Alice Martin', 'alice.martin@hopital.test', 'rsa');
  bob = await pki.identity('Bob Lefebvre', 'bob.lefebvre@cabinet.test', 'ec-p256');
  carol = await pki.identity('Carole Dubois', 'carole.dubois@labo.test', 'rsa');
  dave = await pki.identity('David Moreau', 'david.moreau@clinique.test', 'ec-p384');
});
after(() => tmp.cleanup());

/** What `openssl cms -cmsout -print` says about an S/MIME message: the structure as OpenSSL reads it. */
function opensslPrint(message: Buffer): string {
  const printed = runOpenssl(['cms', '-cmsout', '-print', '-inform', 'SMIME'], message);
  assert.equal(printed.status, 0, printed.stderr);
  return printed.stdout.toString('utf8');
}

function assertOpensslReads(encrypted: Buffer, recipients: readonly Identity[], entity: Buffer): void {
  for (const recipient of recipients) {
    const decrypted = opensslDecrypt(encrypted, recipient);
    assert.equal(decrypted.status, 0, `${recipient.email}: ${decrypted.stderr}`);
    assert.ok(decrypted.stdout.equals(entity), `${recipient.email} reads the exact entity`);
  }
}

const CONTENT_ENCRYPTIONS: readonly ProducedContentEncryption[] = ['AES-256-CBC', 'AES-128-CBC', 'AES-128-GCM', 'AES-256-GCM'];
const RSA_KEY_TRANSPORTS: readonly RsaKeyTransport[] = ['PKCS1-v1_5', 'RSA-OAEP'];

describe('encryptMessage, read back by openssl cms -decrypt', () => {
  for (const contentEncryption of CONTENT_ENCRYPTIONS) {
    for (const rsaKeyTransport of RSA_KEY_TRANSPORTS) {
      test(`${contentEncryption}, RSA ${rsaKeyTransport} and EC P-256 recipients`, async () => {
        const gcm = contentEncryption.endsWith('GCM');
        const encrypted = await encryptMessage(messageWith(TEXT_ENTITY), [alice.certificate, bob.certificate], { contentEncryption, rsaKeyTransport });

        const text = encrypted.toString('latin1');
        assert.ok(text.startsWith(OUTER_HEADER_TEXT + 'MIME-Version: 1.0\r\n'), 'outer header kept, in order');
        assert.match(text, new RegExp(`^Content-Type: application/pkcs7-mime; smime-type=${gcm ? 'authEnveloped-data' : 'enveloped-data'}; name="smime.p7m"\r$`, 'm'));
        assert.ok(!encrypted.includes(Buffer.from('hémoglobine')) && !encrypted.includes(Buffer.from('text/plain')), 'no clear text left');

        const printed = opensslPrint(encrypted);
        assert.match(printed, gcm ? /contentType: id-smime-ct-authEnvelopedData/ : /contentType: pkcs7-envelopedData/);
        assert.match(printed, new RegExp(`algorithm: ${contentEncryption.toLowerCase()}`));
        assert.match(printed, rsaKeyTransport === 'RSA-OAEP' ? /algorithm: rsaesOaep/ : /algorithm: rsaEncryption/);
        if (rsaKeyTransport === 'RSA-OAEP') assert.match(printed, /OBJECT +:sha256[\s\S]+OBJECT +:mgf1\s[\s\S]+OBJECT +:sha256/);
        assert.match(printed, /algorithm: dhSinglePass-stdDH-sha256kdf-scheme/);
        if (gcm) assert.match(printed, /OCTET STRING +\[HEX DUMP\]:[0-9A-F]{24}\n.*INTEGER +:10\n/, '12-byte nonce, 16-byte ICV');

        assertOpensslReads(encrypted, [alice, bob], TEXT_ENTITY);
      });
    }
  }

  test('a multipart/mixed message with a base64 attachment, three recipients mixing RSA and EC', async () => {
    const entity = multipartEntity();
    const message = messageWith(entity);
    for (const contentEncryption of ['AES-256-CBC', 'AES-256-GCM'] as const) {
      const encrypted = await encryptMessage(message, [alice.certificate, bob.certificate, carol.certificate], { contentEncryption, rsaKeyTransport: 'RSA-OAEP' });
      assert.ok(encrypted.toString('latin1').startsWith(OUTER_HEADER_TEXT));
      assert.ok(splitMessage(message).entity.equals(entity), 'the encrypted entity is the message\'s own');
      assertOpensslReads(encrypted, [alice, bob, carol], entity);
    }
  });

  test('defaults: AES-256-CBC EnvelopedData with RSA PKCS#1 v1.5, two RSA recipients', async () => {
    const encrypted = await encryptMessage(messageWith(TEXT_ENTITY), [alice.certificate, carol.certificate]);
    const printed = opensslPrint(encrypted);
    assert.match(printed, /contentType: pkcs7-envelopedData/);
    assert.match(printed, /algorithm: aes-256-cbc/);
    assert.doesNotMatch(printed, /rsaesOaep/);
    assert.match(printed, /version: 0/, 'all KeyTransRecipientInfo v0: EnvelopedData v0');
    assertOpensslReads(encrypted, [alice, carol], TEXT_ENTITY);
  });

  test('an EC P-384 recipient', async () => {
    for (const contentEncryption of ['AES-128-CBC', 'AES-256-GCM'] as const) {
      const encrypted = await encryptMessage(messageWith(TEXT_ENTITY), [dave.certificate], { contentEncryption });
      assertOpensslReads(encrypted, [dave], TEXT_ENTITY);
    }
  });

  test('bare LF line ends are encrypted in canonical CRLF form', async () => {
    const lf = Buffer.from(messageWith(TEXT_ENTITY).toString('utf8').replace(/\r\n/g, '\n'), 'utf8');
    const encrypted = await encryptMessage(lf, [alice.certificate]);
    assert.ok(encrypted.toString('latin1').startsWith(OUTER_HEADER_TEXT));
    assertOpensslReads(encrypted, [alice], TEXT_ENTITY);
  });

  test('a message without Content-Type is encrypted as text/plain, explicitly', async () => {
    const message = Buffer.from('From: a@hopital.test\r\nSubject: test\r\n\r\nBonjour\r\n');
    const encrypted = await encryptMessage(message, [bob.certificate]);
    assertOpensslReads(encrypted, [bob], Buffer.from('Content-Type: text/plain; charset=us-ascii\r\n\r\nBonjour\r\n'));
  });
});

describe('encryptCms', () => {
  test('DER that openssl decrypts (-inform DER), with a fresh key and IV each time', async () => {
    const first = await encryptCms(TEXT_ENTITY, [alice.certificate, bob.certificate], { contentEncryption: 'AES-128-GCM' });
    const second = await encryptCms(TEXT_ENTITY, [alice.certificate, bob.certificate], { contentEncryption: 'AES-128-GCM' });
    assert.notDeepEqual(first, second);
    for (const recipient of [alice, bob]) {
      const decrypted = opensslDecrypt(Buffer.from(first), recipient, 'DER');
      assert.equal(decrypted.status, 0, decrypted.stderr);
      assert.ok(decrypted.stdout.equals(TEXT_ENTITY));
    }
  });

  test('the sender passed again among the recipients gets one RecipientInfo', async () => {
    const der = await encryptCms(TEXT_ENTITY, [alice.certificate, bob.certificate, alice.certificate]);
    const enveloped = new pkijs.EnvelopedData({ schema: pkijs.ContentInfo.fromBER(toArrayBuffer(der)).content });
    assert.equal(enveloped.recipientInfos.length, 2);
    assert.equal(enveloped.version, 2, 'a KeyAgreeRecipientInfo (v3) makes EnvelopedData v2');
  });

  test('round trip through our own decryption', async () => {
    for (const contentEncryption of CONTENT_ENCRYPTIONS) {
      const der = await encryptCms(TEXT_ENTITY, [alice.certificate, bob.certificate], { contentEncryption, rsaKeyTransport: 'RSA-OAEP' });
      for (const recipient of [alice, bob]) {
        const result = await decryptCms(der, [{ certificate: recipient.certificate, privateKey: recipient.privateKey }]);
        assert.equal(result.status, 'decrypted', JSON.stringify(result));
        if (result.status === 'decrypted') {
          assert.ok(result.content.equals(TEXT_ENTITY));
          assert.equal(result.algorithm, contentEncryption);
        }
      }
    }
  });

  test('refuses no recipient, and certificates whose keyUsage forbids the key management', async () => {
    const rsaSigningOnly = await pki.identity('Signature RSA', 'signature@hopital.test', 'rsa', { keyUsage: 'critical,digitalSignature,nonRepudiation' });
    const ecSigningOnly = await pki.identity('Signature EC', 'signature-ec@hopital.test', 'ec-p256', { keyUsage: 'critical,digitalSignature' });
    await assert.rejects(encryptCms(TEXT_ENTITY, []), (e: unknown) => e instanceof HygieError && e.code === 'INVALID_INPUT');
    await assert.rejects(encryptCms(TEXT_ENTITY, [alice.certificate, rsaSigningOnly.certificate]), /keyUsage does not allow keyEncipherment/);
    await assert.rejects(encryptCms(TEXT_ENTITY, [ecSigningOnly.certificate]), /keyUsage does not allow keyAgreement/);
  });

  test('refuses a message whose header cannot be parsed', async () => {
    await assert.rejects(encryptMessage(Buffer.from('not a header line\r\n\r\nbody'), [alice.certificate]),
      (e: unknown) => e instanceof HygieError && e.code === 'MESSAGE_MALFORMED');
  });
});
