/**
 * The pieces OpenSSL does not exercise: EME-PKCS1-v1_5 decoding with implicit rejection,
 * the MIME plausibility check, AuthEnvelopedData with authenticated attributes (AAD),
 * and envelopes written by pkijs itself (a second implementation, with UKM and SHA-512).
 */
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import * as pkijs from 'pkijs';
import { cryptoEngine } from '../engine.js';
import { toArrayBuffer } from '../pem.js';
import { tempDir } from '../testing.js';
import { decryptCms, looksLikeMimeEntity } from './decrypt.js';
import { contextTag, objectIdentifier, octetString, sequence, setOf, smallInteger, tlv } from './der-writer.js';
import { CONTENT_TYPE_OID } from './envelope-algorithms.js';
import { BerError, childrenOf, octetsOf, readTlv, smallIntegerOf } from './envelope-ber.js';
import { unpadPkcs1v15 } from './envelope-key-transport.js';
import { recipientInfoFor, type RecipientKey } from './envelope-recipients.js';
import { TestPki, TEXT_ENTITY, type Identity } from './envelope-testing.js';

describe('EME-PKCS1-v1_5 decoding with implicit rejection', () => {
  const k = 256;
  const key = randomBytes(32);
  const fallback = Buffer.alloc(32, 0xee);
  const encode = (ps: number, message: Buffer, first = 0, second = 2) =>
    Buffer.concat([Buffer.from([first, second]), randomBytes(ps).map((b) => b || 1), Buffer.from([0]), message, Buffer.alloc(k - 3 - ps - message.length)]).subarray(0, k);
  const padded = (message: Buffer) => encode(k - 3 - message.length, message);

  test('a valid block gives the key', () => {
    assert.deepEqual(unpadPkcs1v15(padded(key), 32, fallback), key);
  });

  test('every kind of bad padding gives the fallback, never an error', () => {
    const bad = [
      Buffer.concat([Buffer.from([1]), padded(key).subarray(1)]), // first byte not 00
      Buffer.concat([Buffer.from([0, 1]), padded(key).subarray(2)]), // block type 01
      Buffer.concat([Buffer.from([0, 2]), Buffer.alloc(k - 2, 0x55)]), // no separator
      Buffer.concat([Buffer.from([0, 2]), Buffer.alloc(5, 0x55), Buffer.from([0]), randomBytes(k - 8)]), // PS shorter than 8
      padded(randomBytes(24)), // a key of the wrong length
      Buffer.alloc(k), // what a failed RSA operation turns into
    ];
    for (const block of bad) assert.deepEqual(unpadPkcs1v15(block, 32, fallback), fallback);
  });
});

describe('BER reader', () => {
  const hex = (text: string) => Buffer.from(text.replace(/ /g, ''), 'hex');

  test('reads indefinite lengths and constructed OCTET STRINGs', () => {
    // SEQUENCE (indefinite) { OCTET STRING (constructed, indefinite) { "ab", "c" }, INTEGER 5 }
    const outer = readTlv(hex('30 80 24 80 04 02 61 62 04 01 63 00 00 02 01 05 00 00'));
    const [octets, integer] = childrenOf(outer);
    assert.equal(octetsOf(octets!).toString(), 'abc');
    assert.equal(smallIntegerOf(integer!), 5);
    assert.equal(outer.encoding.length, 18);
  });

  test('refuses what does not add up', () => {
    for (const bad of [
      '30 05 02 01 05', // length beyond the data
      '04 80 61 00 00', // indefinite length on a primitive
      '30 80 02 01 05', // no end-of-contents
      '30 85 01 00 00 00 00', // 5-byte length
      '1f 81 01 00', // high tag number
      '24 03 02 01 05', // constructed OCTET STRING holding an INTEGER
      '30 80 '.repeat(50) + '00 00'.repeat(50), // nesting too deep
    ]) {
      assert.throws(() => {
        const tlv = readTlv(hex(bad));
        if (tlv.tag === 0x24) octetsOf(tlv);
      }, BerError, bad);
    }
  });
});

describe('looksLikeMimeEntity', () => {
  test('accepts entities', () => {
    assert.ok(looksLikeMimeEntity(TEXT_ENTITY));
    assert.ok(looksLikeMimeEntity(Buffer.from('Content-Type: text/plain;\r\n charset="utf-8"\r\nSubject: =?UTF-8?Q?=C3=A9?=\r\n\r\nbody')));
    assert.ok(looksLikeMimeEntity(Buffer.from('Content-Type: text/plain\nContent-Description: Résumé brut en UTF-8\n\nbody', 'utf8')));
  });

  test('refuses bytes that are not', () => {
    assert.ok(!looksLikeMimeEntity(Buffer.from('\xc3ontent-Type: text/plain\r\n\r\n', 'latin1')));
    assert.ok(!looksLikeMimeEntity(Buffer.from(' folded first line: no\r\n\r\n')));
    assert.ok(!looksLikeMimeEntity(Buffer.from('\r\nno header field at all')));
    assert.ok(!looksLikeMimeEntity(Buffer.from('no colon on this line\r\n\r\n')));
    assert.ok(!looksLikeMimeEntity(Buffer.from('Content-Type: text/\x01plain\r\n\r\n')));
    let accepted = 0;
    for (let i = 0; i < 2000; i++) if (looksLikeMimeEntity(randomBytes(200))) accepted++;
    assert.ok(accepted <= 1, `${accepted} random blocks accepted`); // about 2e-7 each
  });
});

const tmp = tempDir();
let alice: Identity; // RSA
let bob: Identity; // EC P-256

before(async () => {
  const pki = new TestPki(tmp.dir);
  alice = await pki.identity('Alice Martin', 'alice.martin@hopital.test', 'rsa');
  bob = await pki.identity('Bob Lefebvre', 'bob.lefebvre@cabinet.test', 'ec-p256');
});
after(() => tmp.cleanup());

const keyOf = (identity: Identity): RecipientKey => ({ certificate: identity.certificate, privateKey: identity.privateKey });

describe('AuthEnvelopedData with authenticated attributes', () => {
  /**
   * An AuthEnvelopedData whose GCM AAD is `attributesAad` while it carries `writtenAttributes`
   * (RFC 5083 §2.2: the AAD is the DER SET OF the authAttrs), with a 12-byte ICV left to
   * the GCMParameters DEFAULT.
   */
  function withAuthAttrs(recipient: Identity, attributesAad: Buffer, writtenAttributes: Buffer): Buffer {
    const contentKey = randomBytes(16);
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-128-gcm', contentKey, nonce, { authTagLength: 12 });
    cipher.setAAD(attributesAad);
    const ciphertext = Buffer.concat([cipher.update(TEXT_ENTITY), cipher.final()]);
    const authAttrs = Buffer.concat([Buffer.from([0xa1]), writtenAttributes.subarray(1)]); // SET OF → [1] IMPLICIT
    return sequence(objectIdentifier(CONTENT_TYPE_OID.authEnvelopedData), contextTag(0, sequence(
      smallInteger(0),
      setOf([recipientInfoFor(recipient.certificate, contentKey, 'RSA-OAEP')]),
      sequence(
        objectIdentifier(CONTENT_TYPE_OID.data),
        sequence(objectIdentifier('2.16.840.1.101.3.4.1.6'), sequence(octetString(nonce))), // aes128-GCM, ICV length left to DEFAULT
        tlv(0x80, ciphertext),
      ),
      authAttrs,
      octetString(cipher.getAuthTag()),
    )));
  }

  // SET OF { Attribute { contentType, SET { id-data } } }
  const attributesDer = setOf([sequence(objectIdentifier('1.2.840.113549.1.9.3'), setOf([objectIdentifier(CONTENT_TYPE_OID.data)]))]);

  test('intact attributes: decrypted', async () => {
    const result = await decryptCms(withAuthAttrs(alice, attributesDer, attributesDer), [keyOf(alice)]);
    assert.equal(result.status, 'decrypted', JSON.stringify(result));
    if (result.status === 'decrypted') assert.ok(result.content.equals(TEXT_ENTITY));
  });

  test('altered attributes: integrity-failure', async () => {
    const other = Buffer.from(attributesDer);
    other[other.length - 1]! ^= 0x02; // id-data → id-signedData
    assertFailure(await decryptCms(withAuthAttrs(alice, attributesDer, other), [keyOf(alice)]), 'integrity-failure');
  });
});

describe('envelopes written by pkijs (a second implementation)', () => {
  async function pkijsEnvelope(recipient: Identity, algorithm: 'AES-CBC' | 'AES-GCM'): Promise<Uint8Array> {
    const enveloped = new pkijs.EnvelopedData();
    // pkijs defaults: RSA-OAEP with SHA-512; ECDH with a 64-byte UKM and the SHA-512 KDF.
    enveloped.addRecipientByCertificate(recipient.certificate, {}, undefined, cryptoEngine());
    await enveloped.encrypt({ name: algorithm, length: 256 } as Parameters<pkijs.EnvelopedData['encrypt']>[0], toArrayBuffer(TEXT_ENTITY), cryptoEngine());
    return new Uint8Array(new pkijs.ContentInfo({ contentType: CONTENT_TYPE_OID.envelopedData, content: enveloped.toSchema() }).toSchema().toBER(false));
  }

  test('AES-256-CBC for RSA (OAEP SHA-512) and EC (UKM, SHA-512 KDF) recipients', async () => {
    for (const recipient of [alice, bob]) {
      const result = await decryptCms(await pkijsEnvelope(recipient, 'AES-CBC'), [keyOf(recipient)]);
      assert.equal(result.status, 'decrypted', JSON.stringify(result));
      if (result.status === 'decrypted') {
        assert.ok(result.content.equals(TEXT_ENTITY));
        assert.equal(result.keyManagement, recipient.kind === 'rsa' ? 'RSA-OAEP' : 'ECDH');
      }
    }
  });

  test('AES-GCM inside EnvelopedData (no mac, as pkijs writes it) is unsupported-algorithm', async () => {
    assertFailure(await decryptCms(await pkijsEnvelope(alice, 'AES-GCM'), [keyOf(alice)]), 'unsupported-algorithm');
  });
});

function assertFailure(result: Awaited<ReturnType<typeof decryptCms>>, reason: string): void {
  assert.equal(result.status, 'failed', JSON.stringify(result).slice(0, 300));
  if (result.status === 'failed') assert.equal(result.reason, reason, result.detail);
}
