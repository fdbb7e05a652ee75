import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { isHygieError } from '../core/errors.js';
import { subtle } from './engine.js';
import {
  exportPrivateKeyPem, generateKeyPair, importPrivateKeyPem, importPublicKeySpki, isKeyAlgorithm, keyAlgorithmOf, keyFamilyOf, KEY_ALGORITHMS,
} from './keys.js';

test('every key algorithm generates, exports to PKCS#8, re-imports and is recognised from either half', async () => {
  const algorithms = Object.keys(KEY_ALGORITHMS).filter(isKeyAlgorithm).filter((a) => a !== 'RSA-4096'); // 4096: same code, slow
  for (const algorithm of algorithms) {
    const pair = await generateKeyPair(algorithm);
    assert.equal(keyAlgorithmOf(pair.publicKey), algorithm);
    assert.equal(keyAlgorithmOf(pair.privateKey), algorithm);
    const imported = await importPrivateKeyPem(await exportPrivateKeyPem(pair.privateKey));
    assert.equal(imported.algorithm, algorithm);
    assert.equal(imported.privateKey.extractable, false);
    const spki = new Uint8Array(await subtle.exportKey('spki', pair.publicKey));
    assert.equal((await importPublicKeySpki(spki)).algorithm, algorithm);
  }
  assert.equal(keyFamilyOf('RSA-3072'), 'rsa');
  assert.equal(keyFamilyOf('ECDSA-P256'), 'ec');
  assert.equal(isKeyAlgorithm('RSA-1024'), false);
});

test('keys imported for encryption (RSA-OAEP, ECDH) are recognised; other sizes and curves are refused', async () => {
  const oaep = await subtle.generateKey({ name: 'RSA-OAEP', modulusLength: 3072, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['encrypt', 'decrypt']);
  assert.equal(keyAlgorithmOf(oaep.publicKey), 'RSA-3072');
  const ecdh = await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits']);
  assert.equal(keyAlgorithmOf(ecdh.publicKey), 'ECDSA-P256');
  const p384 = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify']);
  assert.throws(() => keyAlgorithmOf(p384.publicKey), (e: unknown) => isHygieError(e, 'INVALID_INPUT') && /P-384/.test(e.message));
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
  await assert.rejects(importPrivateKeyPem(small.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string), /unsupported private key: rsa 1024/);
  await assert.rejects(importPublicKeySpki(new Uint8Array(small.publicKey.export({ type: 'spki', format: 'der' }))), /unsupported public key: rsa 1024/);
  await assert.rejects(importPublicKeySpki(new Uint8Array([1, 2, 3])), /not a readable SubjectPublicKeyInfo/);
});
