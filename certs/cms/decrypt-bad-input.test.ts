/**
 * decryptMessage / decryptCms on bad input: each case has its own reason, nothing throws,
 * and nothing but the original content ever comes back as "decrypted".
 */
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { tempDir } from '../testing.js';
import { decryptCms, decryptMessage, type DecryptFailureReason, type DecryptResult } from './decrypt.js';
import { encryptCms, encryptMessage } from './encrypt.js';
import { messageWith, OUTER_HEADER, opensslEncrypt, opensslSign, TestPki, TEXT_ENTITY, type Identity } from './envelope-testing.js';
import type { RecipientKey } from './envelope-recipients.js';
import { pkcs7MimeEntity } from './mime.js';

const tmp = tempDir();
let alice: Identity; // RSA
let bob: Identity; // EC P-256
let carol: Identity; // RSA, never among our keys

before(async () => {
  const pki = new TestPki(tmp.dir);
  alice = await pki.identity('Alice Martin', 'alice.martin@hopital.test', 'rsa');
  bob = await pki.identity('Bob Lefebvre', 'bob.lefebvre@cabinet.test', 'ec-p256');
  carol = await pki.identity('Carole Dubois', 'carole.dubois@labo.test', 'rsa');
});
after(() => tmp.cleanup());

const keyOf = (identity: Identity): RecipientKey => ({ certificate: identity.certificate, privateKey: identity.privateKey });
const ourKeys = (): RecipientKey[] => [keyOf(alice), keyOf(bob)];

function assertFailed(result: DecryptResult | Awaited<ReturnType<typeof decryptCms>>, reason: DecryptFailureReason): void {
  assert.equal(result.status, 'failed', JSON.stringify(result).slice(0, 300));
  if (result.status === 'failed') {
    assert.equal(result.reason, reason, result.detail);
    assert.ok(result.detail.length > 0);
  }
}

/** Our outer header over an application/pkcs7-mime entity carrying `der`. */
function messageOf(der: Uint8Array, smimeType: 'enveloped-data' | 'authEnveloped-data' = 'enveloped-data'): Buffer {
  return Buffer.concat([Buffer.from(OUTER_HEADER.join('\r\n') + '\r\nMIME-Version: 1.0\r\n'), pkcs7MimeEntity(der, smimeType)]);
}

/** A copy of `der` with one byte XORed. Our DER has definite lengths, so offsets from the end are stable. */
function flip(der: Uint8Array, offset: number, mask = 0x01): Buffer {
  const copy = Buffer.from(der);
  copy[offset]! ^= mask;
  return copy;
}

/** Offset of the value that follows `prefix` (an OID and the header of the value) in `der`. */
function offsetAfter(der: Uint8Array, prefixHex: string): number {
  const prefix = Buffer.from(prefixHex.replace(/ /g, ''), 'hex');
  const at = Buffer.from(der).indexOf(prefix);
  assert.ok(at >= 0, `${prefixHex} found`);
  return at + prefix.length;
}

const AES256_CBC_IV = '06 09 60 86 48 01 65 03 04 01 2A 04 10'; // OID aes-256-cbc, OCTET STRING (16)
const RSA_ENCRYPTED_KEY = '06 09 2A 86 48 86 F7 0D 01 01 01 05 00 04 82 01 00'; // rsaEncryption, NULL, OCTET STRING (256)

describe('not for us, not encrypted, not readable', () => {
  test('a plain message is not-encrypted', async () => {
    assertFailed(await decryptMessage(messageWith(TEXT_ENTITY), ourKeys()), 'not-encrypted');
  });

  test('an opaque signed message (smime-type=signed-data) is not-encrypted', async () => {
    const signed = Buffer.concat([Buffer.from(OUTER_HEADER.join('\r\n') + '\r\n'), opensslSign(TEXT_ENTITY, alice)]);
    assertFailed(await decryptMessage(signed, ourKeys()), 'not-encrypted');
  });

  test('signed-data without smime-type is recognised from the CMS content type', async () => {
    const signed = opensslSign(TEXT_ENTITY, alice).toString('latin1').replace(/; smime-type=signed-data/, '');
    assertFailed(await decryptMessage(Buffer.from(signed, 'latin1'), ourKeys()), 'not-encrypted');
  });

  test('a message encrypted for someone else is no-matching-key', async () => {
    const forCarol = Buffer.concat([Buffer.from(OUTER_HEADER.join('\r\n') + '\r\n'), opensslEncrypt(TEXT_ENTITY, [carol], ['-aes-256-gcm'])]);
    const result = await decryptMessage(forCarol, ourKeys());
    assertFailed(result, 'no-matching-key');
    if (result.status === 'failed') assert.match(result.detail, /the message is for: serial [0-9A-F]+ of CN=Hygie Test S-MIME CA,O=Hygie Test,C=FR$/);
    assertFailed(await decryptMessage(forCarol, []), 'no-matching-key');
  });

  test('truncated CMS is malformed', async () => {
    const der = await encryptCms(TEXT_ENTITY, [alice.certificate, bob.certificate]);
    for (const length of [0, 1, 10, Math.floor(der.length / 2), der.length - 1]) {
      assertFailed(await decryptMessage(messageOf(der.subarray(0, length)), ourKeys()), 'malformed');
    }
  });

  test('a truncated base64 body (message cut in transit) is malformed', async () => {
    const encrypted = (await encryptMessage(messageWith(TEXT_ENTITY), [alice.certificate], { contentEncryption: 'AES-256-GCM' })).toString('latin1');
    const cut = encrypted.slice(0, encrypted.length - 200);
    assertFailed(await decryptMessage(Buffer.from(cut, 'latin1'), ourKeys()), 'malformed');
  });

  test('garbage CMS is malformed', async () => {
    assertFailed(await decryptMessage(messageOf(randomBytes(500)), ourKeys()), 'malformed');
    assertFailed(await decryptCms(Buffer.from('30 03 02 01 00'.replace(/ /g, ''), 'hex'), ourKeys()), 'malformed');
    const notBase64 = Buffer.from('Subject: x\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!! ????\r\n');
    assertFailed(await decryptMessage(notBase64, ourKeys()), 'malformed');
  });

  test('a broken outer header is malformed', async () => {
    assertFailed(await decryptMessage(Buffer.from('this is not a header\r\n\r\nbody'), ourKeys()), 'malformed');
  });
});

describe('unsupported algorithms', () => {
  test('Camellia and ARIA content encryption from openssl are unsupported-algorithm', async () => {
    for (const cipher of ['-camellia-256-cbc', '-aria-128-cbc']) {
      const message = Buffer.concat([Buffer.from(OUTER_HEADER.join('\r\n') + '\r\n'), opensslEncrypt(TEXT_ENTITY, [alice], [cipher])]);
      assertFailed(await decryptMessage(message, ourKeys()), 'unsupported-algorithm');
    }
  });

  test('an unknown key-transport algorithm is unsupported-algorithm (checked before any RSA operation)', async () => {
    const der = await encryptCms(TEXT_ENTITY, [alice.certificate]);
    // rsaEncryption 1.2.840.113549.1.1.1 → 1.2.840.113549.1.1.2 (md2WithRSA, not a key transport)
    const forged = flip(der, offsetAfter(der, RSA_ENCRYPTED_KEY) - 17 + 10, 0x03);
    assertFailed(await decryptCms(forged, ourKeys()), 'unsupported-algorithm');
  });
});

describe('altered ciphertexts', () => {
  test('a tampered GCM ciphertext is integrity-failure', async () => {
    for (const recipient of [alice, bob]) {
      const der = await encryptCms(TEXT_ENTITY, [recipient.certificate], { contentEncryption: 'AES-256-GCM' });
      // The content sits right before the mac (OCTET STRING, 2 + 16 bytes) at the end.
      assertFailed(await decryptMessage(messageOf(flip(der, der.length - 18 - 5), 'authEnveloped-data'), ourKeys()), 'integrity-failure');
    }
  });

  test('a tampered GCM tag is integrity-failure', async () => {
    const der = await encryptCms(TEXT_ENTITY, [alice.certificate], { contentEncryption: 'AES-128-GCM' });
    assertFailed(await decryptCms(flip(der, der.length - 1), ourKeys()), 'integrity-failure');
  });

  test('a tampered GCM nonce is integrity-failure', async () => {
    const der = await encryptCms(TEXT_ENTITY, [alice.certificate], { contentEncryption: 'AES-256-GCM' });
    const nonce = offsetAfter(der, '06 09 60 86 48 01 65 03 04 01 2E 30 11 04 0C');
    assertFailed(await decryptCms(flip(der, nonce), ourKeys()), 'integrity-failure');
  });

  test('a tampered CBC last block is decryption-failed (padding)', async () => {
    const der = await encryptCms(TEXT_ENTITY, [alice.certificate, bob.certificate]);
    // Flipping the last byte of the penultimate block flips the last padding byte: always invalid.
    assertFailed(await decryptMessage(messageOf(flip(der, der.length - 17)), [keyOf(alice)]), 'decryption-failed');
    assertFailed(await decryptMessage(messageOf(flip(der, der.length - 17)), [keyOf(bob)]), 'decryption-failed');
  });

  test('a tampered CBC first block is decryption-failed (the result is not a MIME entity)', async () => {
    const der = await encryptCms(TEXT_ENTITY, [alice.certificate]);
    // The IV: CBC turns the flip into a chosen change of the first plaintext byte ("C" → 0xC3).
    const altered = flip(der, offsetAfter(der, AES256_CBC_IV), 0x80);
    assertFailed(await decryptMessage(messageOf(altered), [keyOf(alice)]), 'decryption-failed');
    assertFailed(await decryptCms(altered, [keyOf(alice)]), 'decryption-failed');
    // Only a caller that asked for non-MIME content gets the bytes, as CBC leaves them.
    const raw = await decryptCms(altered, [keyOf(alice)], { requireMimeEntity: false });
    assert.equal(raw.status, 'decrypted');
  });

  test('a tampered RSA-wrapped key gives the same outcome as a tampered content (no padding oracle)', async () => {
    const cbc = await encryptCms(TEXT_ENTITY, [alice.certificate]);
    assertFailed(await decryptCms(flip(cbc, offsetAfter(cbc, RSA_ENCRYPTED_KEY) + 100), [keyOf(alice)]), 'decryption-failed');
    const gcm = await encryptCms(TEXT_ENTITY, [alice.certificate], { contentEncryption: 'AES-256-GCM' });
    assertFailed(await decryptCms(flip(gcm, offsetAfter(gcm, RSA_ENCRYPTED_KEY) + 100), [keyOf(alice)]), 'integrity-failure');
  });

  test('a tampered ECDH-wrapped key is decryption-failed', async () => {
    const der = await encryptCms(TEXT_ENTITY, [bob.certificate]);
    // The wrapped key (40 bytes) is the last field before the EncryptedContentInfo; find it after id-aes256-wrap.
    const wrapOid = offsetAfter(der, '06 09 60 86 48 01 65 03 04 01 2D');
    const wrapped = Buffer.from(der).indexOf(Buffer.from('0428', 'hex'), wrapOid) + 2;
    assertFailed(await decryptCms(flip(der, wrapped + 5), [keyOf(bob)]), 'decryption-failed');
  });

  test('the right certificate with the wrong private key is decryption-failed', async () => {
    const der = await encryptCms(TEXT_ENTITY, [alice.certificate]);
    assertFailed(await decryptCms(der, [{ certificate: alice.certificate, privateKey: carol.privateKey }]), 'decryption-failed');
  });

  test('a certificate paired with a key of the other type is unsupported-algorithm', async () => {
    const der = await encryptCms(TEXT_ENTITY, [alice.certificate]);
    assertFailed(await decryptCms(der, [{ certificate: alice.certificate, privateKey: bob.privateKey }]), 'unsupported-algorithm');
  });

  test('random single-byte corruption of a GCM message: never throws, never returns other content', async () => {
    const der = await encryptCms(TEXT_ENTITY, [alice.certificate, bob.certificate], { contentEncryption: 'AES-128-GCM' });
    const reasons = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const offset = randomInt(der.length);
      const corrupted = i % 10 === 0 ? Buffer.from(der).subarray(0, offset) : flip(der, offset, 1 + randomInt(255));
      const result = await decryptCms(corrupted, i % 2 ? [keyOf(alice)] : [keyOf(bob)]);
      if (result.status === 'decrypted') {
        assert.ok(result.content.equals(TEXT_ENTITY), `offset ${offset}: decrypted content must be the original`);
      } else {
        reasons.add(result.reason);
      }
    }
    assert.ok(reasons.has('integrity-failure') && reasons.has('malformed'), [...reasons].join(', '));
  });
});
