/**
 * Everything signMessage produces must verify with `openssl cms -verify`: detached and
 * opaque, RSA and ECDSA, SHA-256/384/512, on realistic French messages.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { run } from '../trust/openssl-pki.js';
import { entityParts, splitMessage } from './mime.js';
import { signMessage, signCms, type SignatureHash, type SignatureMode } from './sign.js';
import { createSmimeWorld, frenchMultipartMessage, frenchTextMessage, HELENE, MARC, type SmimeWorld } from './smime-fixtures.js';
import { verifyMessage } from './verify.js';

let world: SmimeWorld;
before(() => {
  world = createSmimeWorld();
});
after(() => world.cleanup());

function opensslVerify(file: string, extra: string[] = []): { status: number | null; stderr: string; content: string } {
  const out = `${file}.out`;
  const result = run('openssl', ['cms', '-verify', '-in', file, '-CAfile', world.caFile, '-purpose', 'smimesign', '-out', out, ...extra]);
  return { status: result.status, stderr: result.stderr, content: fs.existsSync(out) ? fs.readFileSync(out, 'latin1') : '' };
}

const crlfToLf = (text: string): string => text.replace(/\r\n/g, '\n');

for (const mode of ['detached', 'opaque'] as SignatureMode[]) {
  for (const key of ['rsa', 'ec'] as const) {
    for (const hash of ['SHA-256', 'SHA-384', 'SHA-512'] as SignatureHash[]) {
      test(`openssl verifies ${mode} ${key.toUpperCase()} ${hash} signatures of French text and multipart messages`, async () => {
        const cert = key === 'rsa' ? world.helene : world.marc;
        const address = key === 'rsa' ? HELENE : MARC;
        const signer = await world.signer(cert);
        for (const [kind, message] of [['text', frenchTextMessage(address)], ['multipart', frenchMultipartMessage(address)]] as const) {
          const signed = await signMessage(message, signer, { mode, hash });
          const file = world.write(`${mode}-${key}-${hash}-${kind}.eml`, signed);

          const { entity } = splitMessage(signed);
          const contentType = entityParts(entity).contentType;
          if (mode === 'detached') {
            assert.equal(contentType.type, 'multipart/signed');
            assert.equal(contentType.params.protocol, 'application/pkcs7-signature');
            assert.equal(contentType.params.micalg, hash.toLowerCase());
          } else {
            assert.equal(contentType.type, 'application/pkcs7-mime');
            assert.equal(contentType.params['smime-type'], 'signed-data');
          }
          // The outer header is untouched and the result is 7-bit clean.
          assert.match(signed.toString('latin1'), /^From: =\?UTF-8\?Q\?Dr_H=C3=A9l=C3=A8ne_Lef=C3=A8vre\?= </);
          assert.ok(![...signed].some((b) => b >= 0x80), 'signed message must be 7-bit');

          const verified = opensslVerify(file);
          assert.equal(verified.status, 0, `${kind}: ${verified.stderr}`);
          assert.match(verified.stderr, /Verification successful/);
          const ours = await verifyMessage(signed, { trust: world.trust });
          assert.equal(ours.status, 'valid', JSON.stringify(ours));
          // openssl returns the signed entity: the same bytes we return (line ends aside).
          const ourEntity = splitMessage(ours.status === 'valid' ? ours.content : Buffer.alloc(0)).entity.toString('latin1');
          assert.equal(crlfToLf(verified.content), crlfToLf(ourEntity));
        }
      });
    }
  }
}

test('the 8-bit text body was re-encoded as quoted-printable and decodes back to the original', async () => {
  const signed = await signMessage(frenchTextMessage(), await world.signer(world.helene));
  const verdict = await verifyMessage(signed, { trust: world.trust });
  assert.equal(verdict.status, 'valid');
  const { body, fields } = entityParts(splitMessage(verdict.status === 'valid' ? verdict.content : Buffer.alloc(0)).entity);
  assert.ok(fields.some((f) => /^Content-Transfer-Encoding: quoted-printable$/i.test(f.raw)));
  assert.ok(!fields.some((f) => /8bit/i.test(f.raw)));
  const text = body.toString('latin1');
  assert.match(text, /^=46rom the desk/m, '"From " at a line start is protected');
  const decoded = Buffer.from(text.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
  assert.match(decoded, /Résultat : pas d’anomalie décelée/);
});

test('signed attributes, signer identifier and certificates are what RFC 8551 asks for', async () => {
  const signingTime = new Date('2026-11-24T08:30:00Z');
  const signed = await signMessage(frenchTextMessage(), await world.signer(world.helene), { signingTime });
  const file = world.write('attributes.eml', signed);
  const printed = run('openssl', ['cms', '-cmsout', '-print', '-inform', 'SMIME', '-in', file]);
  assert.equal(printed.status, 0, printed.stderr);
  const dump = printed.stdout.toString('utf8');
  assert.match(dump, /d\.issuerAndSerialNumber:/);
  assert.match(dump, /object: contentType \(1\.2\.840\.113549\.1\.9\.3\)[\s\S]*?OBJECT:pkcs7-data/);
  assert.match(dump, /object: signingTime \(1\.2\.840\.113549\.1\.9\.5\)[\s\S]*?UTCTIME:Nov 24 08:30:00 2026 GMT/);
  assert.match(dump, /object: messageDigest \(1\.2\.840\.113549\.1\.9\.4\)/);
  assert.match(dump, /object: S\/MIME Capabilities \(1\.2\.840\.113549\.1\.9\.15\)/);
  // The capabilities, in order of preference: AES-256-GCM, AES-128-GCM, AES-256-CBC, AES-128-CBC.
  const asn1 = run('openssl', ['asn1parse', '-inform', 'DER'], { input: Buffer.from(extractDer(signed)) });
  const oids = [...asn1.stdout.toString('latin1').matchAll(/OBJECT\s+:([^\r\n]+)/g)].map((m) => m[1]!.trim());
  const capabilities = oids.slice(oids.indexOf('S/MIME Capabilities') + 1, oids.indexOf('S/MIME Capabilities') + 5);
  assert.deepEqual(capabilities, ['aes-256-gcm', 'aes-128-gcm', 'aes-256-cbc', 'aes-128-cbc']);
  // Signer certificate and the sub-CA are both carried (2 certificates).
  assert.equal((dump.match(/cert_info:/g) ?? []).length, 2);
});

test('signCms detached output is a DER SignedData that openssl verifies against the content', async () => {
  const content = Buffer.from('Content-Type: text/plain; charset=us-ascii\r\n\r\nBonjour\r\n');
  const der = await signCms(content, await world.signer(world.marc), { hash: 'SHA-384' });
  const sig = world.write('detached.p7s', der);
  const data = world.write('detached.content', content);
  const result = run('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', sig, '-content', data, '-CAfile', world.caFile, '-purpose', 'smimesign', '-out', '/dev/null']);
  assert.equal(result.status, 0, result.stderr);
  // DER, not merely BER: openssl re-encoding the structure gives the same bytes.
  const reencoded = run('openssl', ['cms', '-cmsout', '-inform', 'DER', '-outform', 'DER', '-in', sig]);
  assert.ok(Buffer.from(der).equals(reencoded.stdout));
});

test('a separate encryption certificate is carried and named in SMIMEEncryptionKeyPreference', async () => {
  const encryption = world.pki.leaf('helene-enc', world.persons, { email: HELENE, keyUsage: 'keyEncipherment' });
  const signer = { ...(await world.signer(world.helene)), encryptionCertificate: encryption.certificate };
  const signed = await signMessage(frenchTextMessage(), signer);
  const file = world.write('keypref.eml', signed);
  const printed = run('openssl', ['cms', '-cmsout', '-print', '-inform', 'SMIME', '-in', file]).stdout.toString('utf8');
  assert.match(printed, /object: id-smime-aa-encrypKeyPref \(1\.2\.840\.113549\.1\.9\.16\.2\.11\)/);
  assert.equal((printed.match(/cert_info:/g) ?? []).length, 3);
  assert.equal(opensslVerify(file).status, 0);
});

test('signing refuses a key that does not belong to the certificate', async () => {
  const wrong = { ...(await world.signer(world.helene)), certificate: world.marc.certificate };
  await assert.rejects(signMessage(frenchTextMessage(), wrong), /does not belong to the signer certificate/);
});

/** The DER of an S/MIME message's CMS part (either form). */
function extractDer(message: Buffer): Uint8Array {
  const text = message.toString('latin1');
  const match = /Content-Type: application\/pkcs7-(?:signature|mime)[^\r]*\r\n(?:[^\r]+\r\n)*\r\n([A-Za-z0-9+/=\r\n]+)/.exec(text);
  assert.ok(match, 'no CMS part');
  return new Uint8Array(Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64'));
}
