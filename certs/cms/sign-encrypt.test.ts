/**
 * Sign-then-encrypt in one pass writes the signed entity into a buffer shared by every
 * message of the thread, then encrypts it at once: concurrent messages, whose signatures
 * complete in any order on libuv's pool, must each come out with their own content.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { signingKeyOf } from '../trust/openssl-pki.js';
import { decryptMessage } from './decrypt.js';
import { signAndEncryptMessage } from './sign-encrypt.js';
import { createSmimeWorld, frenchMultipartMessage, frenchTextMessage, type SmimeWorld } from './smime-fixtures.js';
import { verifyMessage } from './verify.js';

let world: SmimeWorld;
before(() => {
  world = createSmimeWorld();
});
after(() => world.cleanup());

test('concurrent sign-then-encrypt of different messages: each decrypts and verifies to its own content', async () => {
  const signer = await world.signer(world.helene);
  const key = { certificate: world.helene.certificate, privateKey: await signingKeyOf(world.helene) };
  const messages = Array.from({ length: 12 }, (_, i) => {
    const base = (i % 2 ? frenchMultipartMessage() : frenchTextMessage()).toString('latin1');
    // A marker in the body, and different lengths, so that a mix-up cannot go unnoticed.
    return Buffer.from(base.replace(/(Veuillez|Ci-joint)/, `Index-${i}.\r\n${'x'.repeat(i * 40)}\r\n$1`), 'latin1');
  });
  const sealed = await Promise.all(messages.map((message, i) =>
    signAndEncryptMessage(message, signer, [world.helene.certificate], { sign: { mode: i % 3 ? 'detached' : 'opaque' } })));
  for (const [i, message] of sealed.entries()) {
    const opened = await decryptMessage(message, [key]);
    assert.equal(opened.status, 'decrypted');
    const verdict = await verifyMessage(opened.status === 'decrypted' ? opened.message : Buffer.alloc(0), { trust: world.trust });
    assert.equal(verdict.status, 'valid', JSON.stringify(verdict));
    const signedText = verdict.status === 'valid' ? verdict.content.toString('latin1') : '';
    assert.match(signedText, i % 2 ? /bilan sanguin de Mme D=C3=A9j=C3=A0/ : /Cher confr=C3=A8re/);
    assert.equal(signedText.match(/Index-\d+\./g)?.join(), `Index-${i}.`);
  }
});
