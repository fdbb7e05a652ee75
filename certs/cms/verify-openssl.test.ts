/**
 * Messages signed by `openssl cms -sign` (and the older `openssl smime`) verify with our
 * engine, and the content we hand back is the entity openssl signed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../trust/openssl-pki.js';
import { splitMessage } from './mime.js';
import { createSmimeWorld, entityText, frenchMultipartMessage, HELENE, MARC, type SmimeWorld } from './smime-fixtures.js';
import type { SignatureVerdict } from './verdict.js';
import { verifyMessage, type VerifyOptions } from './verify.js';
import type { TestCertificate } from '../trust/openssl-pki.js';

let world: SmimeWorld;
before(() => {
  world = createSmimeWorld();
});
after(() => world.cleanup());

/** The French text message as a client would send it: quoted-printable body. */
const TEXT_ENTITY = [
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'Cher confr=C3=A8re,',
  '',
  "Le compte-rendu de l'=C3=A9chographie est joint. Pas d'anomalie d=C3=A9cel=C3=A9e.",
  '',
  'Dr H=C3=A9l=C3=A8ne Lef=C3=A8vre',
  '',
].join('\n');
const SUBJECT = '=?UTF-8?Q?Compte-rendu_d=27=C3=A9chographie?=';

function opensslSign(name: string, entity: string, signer: TestCertificate, from: string, args: string[], command = 'cms'): Buffer {
  const input = world.write(`${name}.in`, entity);
  const out = world.write(`${name}.eml`, '');
  const result = run('openssl', [command, '-sign', '-in', input, '-signer', signer.certFile, '-inkey', signer.keyFile,
    '-certfile', world.persons.certFile, '-from', from, '-to', 'francois.berangere@cabinet-test.mssante.fr', '-subject', SUBJECT, '-out', out, ...args]);
  assert.equal(result.status, 0, result.stderr);
  return run('cat', [out]).stdout;
}

async function assertValid(message: Buffer, expectedEntity: string, options: Partial<VerifyOptions> = {}): Promise<SignatureVerdict & { status: 'valid' }> {
  const verdict = await verifyMessage(message, { trust: world.trust, ...options });
  assert.equal(verdict.status, 'valid', JSON.stringify(verdict, (k, v) => (k === 'certificate' || k === 'content' ? undefined : v)));
  if (verdict.status !== 'valid') throw new Error('unreachable');
  const { outer, entity } = splitMessage(verdict.content);
  assert.equal(entity.toString('latin1'), expectedEntity.replace(/\r?\n/g, '\r\n'));
  // The outer header openssl wrote comes back around the content.
  assert.deepEqual(outer.map((f) => f.name), ['To', 'From', 'Subject']);
  assert.ok(outer.some((f) => f.raw === `Subject: ${SUBJECT}`));
  return verdict;
}

test('openssl detached (multipart/signed) over a quoted-printable French text entity', async () => {
  const message = opensslSign('detached-text', TEXT_ENTITY, world.helene, HELENE, []);
  assert.match(message.toString('latin1'), /multipart\/signed; protocol="application\/(x-)?pkcs7-signature"; micalg="sha-256"/);
  const verdict = await assertValid(message, TEXT_ENTITY);
  assert.equal(verdict.form, 'detached');
  assert.deepEqual(verdict.signer.emails, [HELENE]);
  assert.equal(verdict.signer.subject, 'CN=Dr Hélène Lefèvre,O=Santé Test,C=FR');
  assert.ok(verdict.signingTime && Math.abs(verdict.signingTime.getTime() - Date.now()) < 120_000);
});

test('openssl detached over multipart/mixed with a base64 PDF attachment', async () => {
  const entity = entityText(frenchMultipartMessage());
  const message = opensslSign('detached-multipart', entity, world.helene, HELENE, []);
  await assertValid(message, entity);
});

test('openssl opaque (-nodetach) signed-data: the inner entity is returned with the outer header', async () => {
  const entity = entityText(frenchMultipartMessage());
  const message = opensslSign('opaque', entity, world.helene, HELENE, ['-nodetach']);
  assert.match(message.toString('latin1'), /application\/(x-)?pkcs7-mime; smime-type=signed-data/);
  const verdict = await assertValid(message, entity);
  assert.equal(verdict.form, 'opaque');
});

test('openssl streaming BER (-stream, chunked OCTET STRING) opaque and detached', async () => {
  await assertValid(opensslSign('stream-opaque', TEXT_ENTITY, world.helene, HELENE, ['-nodetach', '-stream']), TEXT_ENTITY);
  await assertValid(opensslSign('stream-detached', TEXT_ENTITY, world.helene, HELENE, ['-stream']), TEXT_ENTITY);
});

test('openssl ECDSA P-256 with SHA-384 and SHA-512, RSA with SHA-512', async () => {
  await assertValid(opensslSign('ec-384', TEXT_ENTITY, world.marc, MARC, ['-md', 'sha384']), TEXT_ENTITY);
  await assertValid(opensslSign('ec-512', TEXT_ENTITY, world.marc, MARC, ['-md', 'sha512', '-nodetach']), TEXT_ENTITY);
  await assertValid(opensslSign('rsa-512', TEXT_ENTITY, world.helene, HELENE, ['-md', 'sha512']), TEXT_ENTITY);
});

test('openssl RSASSA-PSS signatures', async () => {
  await assertValid(opensslSign('pss', TEXT_ENTITY, world.helene, HELENE, ['-keyopt', 'rsa_padding_mode:pss']), TEXT_ENTITY);
  await assertValid(opensslSign('pss-384', TEXT_ENTITY, world.helene, HELENE, ['-md', 'sha384', '-keyopt', 'rsa_padding_mode:pss', '-keyopt', 'rsa_pss_saltlen:20']), TEXT_ENTITY);
});

test('openssl without signed attributes (-noattr) and with a key identifier (-keyid)', async () => {
  const noAttributes = await assertValid(opensslSign('noattr', TEXT_ENTITY, world.helene, HELENE, ['-noattr']), TEXT_ENTITY);
  assert.equal(noAttributes.signingTime, undefined);
  await assertValid(opensslSign('keyid', TEXT_ENTITY, world.marc, MARC, ['-keyid', '-nodetach']), TEXT_ENTITY);
});

test('openssl -nocerts: unknown signer, unless the certificate is known from elsewhere', async () => {
  const message = opensslSign('nocerts', TEXT_ENTITY, world.helene, HELENE, ['-nocerts']);
  const verdict = await verifyMessage(message, { trust: world.trust });
  assert.equal(verdict.status, 'unknown-signer');
  assert.match(verdict.status === 'unknown-signer' ? verdict.detail : '', /no certificate for the signer \(serial [0-9A-F]+\)/);
  // The sub-CA was carried (-certfile) but not the signer; the directory knows it.
  await assertValid(message, TEXT_ENTITY, { knownCertificates: [world.helene.certificate] });
});

test('legacy `openssl smime` (PKCS#7, x-pkcs7 media types) verifies too', async () => {
  await assertValid(opensslSign('smime-detached', TEXT_ENTITY, world.helene, HELENE, [], 'smime'), TEXT_ENTITY);
  await assertValid(opensslSign('smime-opaque', TEXT_ENTITY, world.helene, HELENE, ['-nodetach'], 'smime'), TEXT_ENTITY);
});
