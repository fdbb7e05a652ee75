/**
 * Bad input gives a specific verdict: never an exception, never 'valid'.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { StaticCrlSource } from '../trust/crl-source.js';
import { run, type TestCertificate } from '../trust/openssl-pki.js';
import { TrustStore } from '../trust/trust-store.js';
import { signMessage, type SignOptions } from './sign.js';
import { createSmimeWorld, frenchMultipartMessage, frenchTextMessage, HELENE, type SmimeWorld } from './smime-fixtures.js';
import type { InvalidReason, SignatureVerdict } from './verdict.js';
import { verifyMessage, type VerifyOptions } from './verify.js';

const DAY = 86_400_000;
let world: SmimeWorld;
before(() => {
  world = createSmimeWorld();
});
after(() => world.cleanup());

const show = (v: SignatureVerdict): string => JSON.stringify(v, (k, value) => (k === 'certificate' || k === 'content' ? undefined : value));

async function verify(message: Buffer, options: Partial<VerifyOptions> = {}): Promise<SignatureVerdict> {
  return verifyMessage(message, { trust: world.trust, ...options });
}

function assertInvalid(verdict: SignatureVerdict, reason: InvalidReason, detail?: RegExp): void {
  assert.equal(verdict.status, 'invalid', show(verdict));
  if (verdict.status !== 'invalid') return;
  assert.equal(verdict.reason, reason, show(verdict));
  if (detail) assert.match(verdict.detail, detail);
}

async function signedBy(cert: TestCertificate, message = frenchTextMessage(), options: SignOptions = {}): Promise<Buffer> {
  return signMessage(message, await world.signer(cert), options);
}

/** Replaces the base64 CMS of a signed message by `transform(der)`. */
function withCms(message: Buffer, transform: (der: Buffer) => Buffer): Buffer {
  const text = message.toString('latin1');
  const match = /(Content-Type: application\/pkcs7-(?:signature|mime)[^]*?\r\n\r\n)([A-Za-z0-9+/=\r\n]+)/.exec(text);
  assert.ok(match);
  const der = transform(Buffer.from(match[2]!.replace(/\s+/g, ''), 'base64'));
  const base64 = (der.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n') + '\r\n';
  return Buffer.from(text.slice(0, match.index + match[1]!.length) + base64 + text.slice(match.index + match[0].length), 'latin1');
}

/** Offset of the first occurrence of `needle` in the DER. */
function offsetOf(der: Buffer, needle: Buffer): number {
  const at = der.indexOf(needle);
  assert.ok(at >= 0, 'needle not found');
  return at;
}

test('truncated, garbage or empty CMS is malformed', async () => {
  for (const mode of ['detached', 'opaque'] as const) {
    const signed = await signedBy(world.helene, frenchTextMessage(), { mode });
    assertInvalid(await verify(withCms(signed, (der) => der.subarray(0, der.length >> 1))), 'malformed');
    assertInvalid(await verify(withCms(signed, (der) => der.subarray(0, 40))), 'malformed');
    assertInvalid(await verify(withCms(signed, () => randomBytes(700))), 'malformed');
    assertInvalid(await verify(withCms(signed, () => Buffer.alloc(0))), 'malformed', /empty/);
  }
});

test('truncation at any length never throws and is never valid', async () => {
  const signed = await signedBy(world.marc, frenchTextMessage('marc.dupre@labo-test.mssante.fr'), { mode: 'opaque' });
  let der: Buffer = Buffer.alloc(0);
  withCms(signed, (d) => (der = d));
  for (let length = 0; length < der.length; length += 37) {
    const verdict = await verify(withCms(signed, (d) => d.subarray(0, length)));
    assert.notEqual(verdict.status, 'valid', `length ${length}`);
  }
});

test('broken MIME around the signature is malformed, not an exception', async () => {
  const signed = (await signedBy(world.helene)).toString('latin1');
  const boundary = /boundary="([^"]+)"/.exec(signed)![1]!;
  const noClose = signed.replace(`--${boundary}--`, '');
  assertInvalid(await verify(Buffer.from(noClose, 'latin1')), 'malformed', /closing delimiter/);
  const onePart = signed.slice(0, signed.indexOf(`\r\n--${boundary}\r\nContent-Type: application/pkcs7-signature`)) + `\r\n--${boundary}--\r\n`;
  assertInvalid(await verify(Buffer.from(onePart, 'latin1')), 'malformed', /2 parts, found 1/);
  const pgp = signed.replace('protocol="application/pkcs7-signature"', 'protocol="application/pgp-signature"');
  assertInvalid(await verify(Buffer.from(pgp, 'latin1')), 'malformed', /not S\/MIME/);
  assertInvalid(await verify(Buffer.from('\x00\x01garbage without header\r\n\r\nbody')), 'malformed');
  for (let i = 0; i < 20; i++) await verify(randomBytes(200)); // must not throw
});

test('messages that are not signed say so', async () => {
  const plain = await verify(frenchTextMessage());
  assert.equal(plain.status, 'unsigned');
  const enveloped = Buffer.from('From: a@example.test\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\r\nContent-Transfer-Encoding: base64\r\n\r\nMAA=\r\n');
  const verdict = await verify(enveloped);
  assert.equal(verdict.status, 'unsigned');
  assert.match(verdict.status === 'unsigned' ? verdict.detail : '', /decrypt it first/);
});

test('altered content: content-altered; altered signed attributes or signature: bad-signature', async () => {
  const detached = (await signedBy(world.helene)).toString('latin1');
  const altered = detached.replace('compte-rendu', 'compte-rendo');
  assert.notEqual(altered, detached);
  assertInvalid(await verify(Buffer.from(altered, 'latin1')), 'content-altered', /digest of the content differs/);
  const altered2 = (await signedBy(world.helene, frenchMultipartMessage())).toString('latin1').replace('Mme D=C3=A9j=C3=A0', 'Mme D=C3=A9j=C3=A1');
  assertInvalid(await verify(Buffer.from(altered2, 'latin1')), 'content-altered');

  const opaque = await signedBy(world.helene, frenchTextMessage(), { mode: 'opaque' });
  const inContent = withCms(opaque, (der) => {
    const copy = Buffer.from(der);
    copy[offsetOf(copy, Buffer.from('compte-rendu')) + 3] ^= 0x20;
    return copy;
  });
  assertInvalid(await verify(inContent), 'content-altered');

  const signingTime = new Date('2026-11-24T08:30:00Z');
  const withTime = await signedBy(world.helene, frenchTextMessage(), { signingTime });
  const inAttributes = withCms(withTime, (der) => {
    const copy = Buffer.from(der);
    copy[offsetOf(copy, Buffer.from('261124083000Z')) + 11] = 0x31; // 08:30:01
    return copy;
  });
  assertInvalid(await verify(inAttributes), 'bad-signature', /signature over the signed attributes does not verify/);
  const inSignature = withCms(withTime, (der) => {
    const copy = Buffer.from(der);
    copy[copy.length - 7] ^= 0x01; // the signature value ends the SignedData
    return copy;
  });
  assertInvalid(await verify(inSignature), 'bad-signature');
});

test('a signer from an untrusted CA: untrusted-chain', async () => {
  const rogueRoot = world.pki.root('rogue-root', { commonName: 'AC Racine Santé Test' }); // same name, other key
  const rogue = world.pki.leaf('rogue', rogueRoot, { email: HELENE });
  const verdict = await verify(await signMessage(frenchTextMessage(), { certificate: rogue.certificate, privateKey: (await world.signer(rogue)).privateKey }));
  assertInvalid(verdict, 'untrusted-chain');
  // And an empty trust store trusts nobody.
  assertInvalid(await verify(await signedBy(world.helene), { trust: new TrustStore({ anchors: [] }) }), 'untrusted-chain');
});

test('an expired or not yet valid signer certificate', async () => {
  const shortLived = world.pki.leaf('short', world.persons, { email: HELENE, days: 1 });
  const signed = await signedBy(shortLived);
  assert.equal((await verify(signed)).status, 'valid');
  assertInvalid(await verify(signed, { now: new Date(Date.now() + 2 * DAY) }), 'expired', /CN=short,.*expired on/);
  assertInvalid(await verify(signed, { now: new Date(Date.now() - 2 * DAY) }), 'not-yet-valid');
  // openssl agrees at the same time.
  const file = world.write('expired.eml', signed);
  const later = String(Math.floor((Date.now() + 2 * DAY) / 1000));
  const openssl = run('openssl', ['cms', '-verify', '-in', file, '-CAfile', world.caFile, '-attime', later, '-out', '/dev/null']);
  assert.notEqual(openssl.status, 0);
  assert.match(openssl.stderr, /certificate has expired/);
});

test('an implausible claimed signing time is a warning, not a failure', async () => {
  const verdict = await verify(await signedBy(world.helene, frenchTextMessage(), { signingTime: new Date(Date.now() + 30 * DAY) }));
  assert.equal(verdict.status, 'valid');
  assert.match(verdict.status === 'valid' ? verdict.warnings.join() : '', /claimed signing time .* is in the future/);
});

test('a revoked signer certificate with CRLs; revocation unknown per policy', async () => {
  const revoked = world.pki.leaf('revoked', world.persons, { email: HELENE });
  world.pki.revoke(revoked, world.persons, 'keyCompromise');
  const crls = new StaticCrlSource([world.pki.crl(world.persons).crl, world.pki.crl(world.root).crl]);
  assertInvalid(await verify(await signedBy(revoked), { crls }), 'revoked', /keyCompromise/);

  const good = await verify(await signedBy(world.helene), { crls, requireRevocationCheck: true });
  assert.equal(good.status, 'valid');
  assert.equal(good.status === 'valid' ? good.revocation : '', 'good');

  // No CRL for the sub-CA's issuer: revocation unknown.
  const partial = new StaticCrlSource([world.pki.crl(world.persons, { file: 'persons-2.crl' }).crl]);
  const required = await verify(await signedBy(world.helene), { crls: partial, requireRevocationCheck: true });
  assert.equal(required.status, 'revocation-unknown', show(required));
  const tolerated = await verify(await signedBy(world.helene), { crls: partial });
  assert.equal(tolerated.status, 'valid');
  if (tolerated.status === 'valid') {
    assert.equal(tolerated.revocation, 'unknown');
    assert.match(tolerated.warnings.join(), /revocation unknown: no CRL available for CN=AC Racine Santé Test/);
  }
  const noSource = await verify(await signedBy(world.helene), { requireRevocationCheck: true });
  assert.equal(noSource.status, 'revocation-unknown');
});

test('From must be one of the signer certificate addresses (case-insensitive; Sender also counts)', async () => {
  assertInvalid(await verify(await signedBy(world.helene, frenchTextMessage('usurpateur@chu-test.mssante.fr'))), 'from-mismatch',
    /From usurpateur@chu-test\.mssante\.fr is not an address of the signer certificate \(helene\.lefevre@chu-test\.mssante\.fr\)/);
  assert.equal((await verify(await signedBy(world.helene, frenchTextMessage('Helene.LEFEVRE@CHU-test.MSSante.fr')))).status, 'valid');
  const withSender = Buffer.concat([Buffer.from(`Sender: ${HELENE}\r\n`), frenchTextMessage('secretariat@chu-test.mssante.fr')]);
  assert.equal((await verify(await signedBy(world.helene, withSender))).status, 'valid');
  const noFrom = Buffer.from(frenchTextMessage().toString('latin1').replace(/^From: .*\n/m, ''), 'latin1');
  assertInvalid(await verify(await signedBy(world.helene, noFrom)), 'from-mismatch', /no From address/);
  // The legacy emailAddress in the subject is used when the certificate has no rfc822Name.
  const legacy = world.pki.leaf('legacy', world.persons, { email: null, subjectEmail: HELENE });
  assert.equal((await verify(await signedBy(legacy))).status, 'valid');
});

test('a certificate not meant for signing mail: wrong-key-usage', async () => {
  const tlsOnly = world.pki.leaf('tls-client', world.persons, { email: HELENE, extendedKeyUsage: 'clientAuth' });
  assertInvalid(await verify(await signedBy(tlsOnly)), 'wrong-key-usage', /emailProtection/);
  const encryptionOnly = world.pki.leaf('enc-only', world.persons, { email: HELENE, keyUsage: 'keyEncipherment' });
  assertInvalid(await verify(await signedBy(encryptionOnly)), 'wrong-key-usage', /keyUsage \(keyEncipherment\)/);
});

test('MD5 and SHA-1 digests (made by openssl) are unsupported-algorithm', async () => {
  const entity = world.write('md5.in', 'Content-Type: text/plain\n\nhello\n');
  for (const md of ['md5', 'sha1']) {
    const out = world.write(`${md}.eml`, '');
    const made = run('openssl', ['cms', '-sign', '-in', entity, '-signer', world.helene.certFile, '-inkey', world.helene.keyFile, '-md', md, '-from', HELENE, '-out', out]);
    assert.equal(made.status, 0, made.stderr);
    assertInvalid(await verify(run('cat', [out]).stdout), 'unsupported-algorithm', new RegExp(`digest ${md === 'md5' ? 'MD5' : 'SHA-1'} is not accepted`));
  }
});

test('flipping any bit of the CMS never throws, and a flip that stays valid changes neither content nor signer', async () => {
  // Some fields are not covered by the signature and may change harmlessly (the SignedData
  // digestAlgorithms list, which RFC 5652 §5.1 allows to be empty); what matters is that
  // no flip makes other content or another signer pass.
  const signed = await signedBy(world.marc, frenchTextMessage('marc.dupre@labo-test.mssante.fr'), { mode: 'opaque' });
  const original = await verify(signed);
  assert.equal(original.status, 'valid');
  if (original.status !== 'valid') return;
  let length = 0;
  withCms(signed, (d) => ((length = d.length), d));
  for (let i = 0; i < 300; i++) {
    const at = Math.floor(Math.random() * length);
    const bit = 1 << Math.floor(Math.random() * 8);
    const verdict = await verify(withCms(signed, (d) => {
      const copy = Buffer.from(d);
      copy[at] ^= bit;
      return copy;
    }));
    if (verdict.status !== 'valid') continue;
    assert.ok(verdict.content.equals(original.content), `flip at ${at} changed the content yet stayed valid`);
    assert.equal(verdict.signer.fingerprint, original.signer.fingerprint, `flip at ${at} changed the signer yet stayed valid`);
  }
});
