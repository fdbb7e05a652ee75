import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { CertificateStoreError } from './errors.js';
import { readPrivateKeyPem } from './private-keys.js';
import { OpensslFixtures } from './testing-openssl.js';

const fx = new OpensslFixtures();
after(() => fx.cleanup());

fx.openssl(['genrsa', '-out', 'key.pem', '2048']);
fx.openssl(['pkcs8', '-topk8', '-in', 'key.pem', '-v2', 'aes-256-cbc', '-passout', 'pass:pem-pass', '-out', 'key.enc-pkcs8.pem']);
fx.openssl(['rsa', '-in', 'key.pem', '-traditional', '-aes256', '-passout', 'pass:pem-pass', '-out', 'key.enc-trad.pem']);

function reasonOf(pem: string, password: string): string {
  try {
    readPrivateKeyPem(pem, password);
    return 'read';
  } catch (error) {
    assert.ok(error instanceof CertificateStoreError, String(error));
    return error.reason;
  }
}

test('every wrong password is called a wrong password, also the ones whose decryption happens to look padded', () => {
  // About one wrong password in 200 gets past the padding check: 1500 tries meet several.
  for (const file of ['key.enc-pkcs8.pem', 'key.enc-trad.pem']) {
    const pem = fx.text(file);
    const reasons = new Map<string, number>();
    for (let i = 0; i < 1500; i++) {
      const reason = reasonOf(pem, `wrong-${i}`);
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    assert.deepEqual([...reasons], [['wrong-password', 1500]], file);
    assert.equal(reasonOf(pem, 'pem-pass'), 'read', file);
  }
});
