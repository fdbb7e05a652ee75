import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { openssl, tempDir } from '../testing.js';
import { createDevHealthPki, type IssuedCredential } from './dev-health-pki.js';
import { writeCredential } from './fixtures.js';

/** What a TLS peer sends: its certificate, then the sub-CA (the root is the other side's anchor). */
const certChain = (credential: IssuedCredential) => credential.certificate.pem + credential.chain[0]!.pem;

interface Outcome {
  /** What the client read from the server: only a client the server accepted gets "welcome". */
  received?: string;
  /** The subject CN the server saw in the client certificate, when it accepted it. */
  serverSawClient?: string;
  /** Why the server refused the client certificate (Node's authorizationError code). */
  refusedBecause?: string | null;
}

test('mutual TLS: a server requiring client certificates accepts issueTlsClient certificates and refuses others', async () => {
  const pki = await createDevHealthPki({ organisation: 'Opérateur Démo', keyAlgorithm: 'ECDSA-P256' });
  const server = await pki.issueTlsServer(['mx.hygie.test', '127.0.0.1'], { keyAlgorithm: 'RSA-2048' });
  const operator = await pki.issueTlsClient('relay.operateur-pair.test', 'operator');
  const application = await pki.issueTlsClient('Laboratoire Démo – SIL', 'application', { keyAlgorithm: 'RSA-3072' });
  const smime = await pki.issueSmime('jeanne.martin@hygie.test', { usage: 'signing' });
  const revoked = await pki.issueTlsClient('ancien-relais.operateur-pair.test', 'operator');
  await pki.servers.revoke(revoked.certificate.serialHex, 'cessationOfOperation');
  const foreign = await (await createDevHealthPki({ organisation: 'Autre', keyAlgorithm: 'ECDSA-P256' })).issueTlsClient('relay.autre.test', 'operator');
  const crl = await Promise.all((['root', 'servers', 'persons', 'organisations'] as const).map(async (ca) => (await pki[ca].crl()).pem));

  let outcome: Outcome = {};
  const listener = tls.createServer({
    key: server.privateKeyPem, cert: certChain(server),
    requestCert: true, rejectUnauthorized: true, ca: [pki.root.pem], crl,
  }, (socket) => {
    outcome.serverSawClient = socket.getPeerCertificate().subject.CN as string;
    socket.end('welcome');
  });
  listener.on('tlsClientError', (_error, socket) => {
    outcome.refusedBecause = socket.authorizationError as unknown as string | null; // a code, despite its declared type
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address() as AddressInfo;
  const connect = (client: IssuedCredential | undefined) => new Promise<Outcome>((resolve) => {
    outcome = {};
    let received = '';
    const socket = tls.connect({
      host: '127.0.0.1', port, servername: 'mx.hygie.test', ca: pki.root.pem,
      ...(client ? { cert: certChain(client), key: client.privateKeyPem } : {}),
    }, () => assert.equal(socket.authorized, true, 'the client accepts the server certificate'));
    socket.on('data', (chunk) => { received += chunk; });
    socket.on('error', () => { /* a refused client sees a reset or an alert */ });
    // The server's tlsClientError may follow the client's close by a tick.
    socket.on('close', () => setTimeout(() => resolve({ ...outcome, ...(received ? { received } : {}) }), 20));
  });
  try {
    assert.deepEqual(await connect(operator), { received: 'welcome', serverSawClient: 'relay.operateur-pair.test' });
    assert.deepEqual(await connect(application), { received: 'welcome', serverSawClient: 'Laboratoire Démo – SIL' });
    assert.deepEqual(await connect(smime), { refusedBecause: 'INVALID_PURPOSE' }, 'an S/MIME certificate is no TLS client certificate');
    assert.deepEqual(await connect(revoked), { refusedBecause: 'CERT_REVOKED' });
    // Another PKI's certificate: refused (openssl reports the last of its errors, a missing issuer or CRL).
    const stranger = await connect(foreign);
    assert.equal(stranger.received, undefined);
    assert.match(stranger.refusedBecause ?? '', /^UNABLE_TO_GET_(ISSUER_CERT|CRL)/);
    assert.deepEqual(await connect(undefined), { refusedBecause: null }, 'no certificate: refused during the handshake');
  } finally {
    await new Promise<void>((resolve) => listener.close(() => resolve()));
  }
});

test('S/MIME with openssl cms: signed by our leaves and verified against the root; encrypted to them and decrypted', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const pki = await createDevHealthPki({ organisation: 'Opérateur Démo' });
    const message = path.join(dir, 'message.eml');
    const body = 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
      + 'Compte rendu de biologie : résultats normaux, à revoir dans 3 mois.\r\n';
    fs.writeFileSync(message, body);
    const cms = (name: string, args: string[]) => {
      const out = openssl(['cms', ...args]);
      return { ok: out.status === 0, output: `${name}: ${out.stdout}${out.stderr}` };
    };
    const signAndVerify = (name: string, files: ReturnType<typeof writeCredential>) => {
      const signed = path.join(dir, `${name}.signed.eml`);
      const verified = path.join(dir, `${name}.verified.eml`);
      const sign = cms(name, ['-sign', '-signer', files.cert, '-inkey', files.key, '-certfile', files.subCa, '-in', message, '-out', signed]);
      assert.ok(sign.ok, sign.output);
      assert.match(fs.readFileSync(signed, 'utf8'), /Content-Type: multipart\/signed; protocol="application\/pkcs7-signature"; micalg="sha-256"/);
      const verify = cms(name, ['-verify', '-CAfile', files.root, '-in', signed, '-out', verified]);
      return { ...verify, content: verify.ok ? fs.readFileSync(verified, 'utf8') : '' };
    };
    const encryptAndDecrypt = (name: string, files: ReturnType<typeof writeCredential>, cipher: string, ...keyOptions: string[]) => {
      const encrypted = path.join(dir, `${name}.encrypted.eml`);
      const encrypt = cms(name, ['-encrypt', cipher, '-in', message, '-out', encrypted, '-recip', files.cert, ...keyOptions]);
      assert.ok(encrypt.ok, encrypt.output);
      assert.match(fs.readFileSync(encrypted, 'utf8'), /application\/(x-)?pkcs7-mime; smime-type=(enveloped|authEnveloped)-data/);
      const decrypt = cms(name, ['-decrypt', '-in', encrypted, '-recip', files.cert, '-inkey', files.key]);
      assert.ok(decrypt.ok, decrypt.output);
      assert.equal(decrypt.output.slice(name.length + 2), body);
    };

    for (const keyAlgorithm of ['RSA-2048', 'ECDSA-P256', 'RSA-3072'] as const) {
      const issue = (usage: 'signing' | 'encryption' | 'dual') =>
        pki.issueSmime(`jeanne.martin+${usage}@hygie.test`, { usage, keyAlgorithm });
      const [signing, encryption, dual] = await Promise.all([issue('signing'), issue('encryption'), issue('dual')]);
      const files = {
        signing: writeCredential(dir, `signing-${keyAlgorithm}`, signing),
        encryption: writeCredential(dir, `encryption-${keyAlgorithm}`, encryption),
        dual: writeCredential(dir, `dual-${keyAlgorithm}`, dual),
      };
      for (const usage of ['signing', 'dual'] as const) {
        const result = signAndVerify(`${usage}-${keyAlgorithm}`, files[usage]);
        assert.ok(result.ok, result.output);
        assert.match(result.output, /Verification successful/);
        assert.equal(result.content, body);
      }
      // The wrong certificate for signing: an encryption-only one.
      const wrong = signAndVerify(`misuse-${keyAlgorithm}`, files.encryption);
      assert.equal(wrong.ok, false);
      assert.match(wrong.output, /unsuitable certificate purpose|key usage/);

      for (const usage of ['encryption', 'dual'] as const) {
        encryptAndDecrypt(`${usage}-${keyAlgorithm}-cbc`, files[usage], '-aes-256-cbc');
        encryptAndDecrypt(`${usage}-${keyAlgorithm}-gcm`, files[usage], '-aes-256-gcm');
        if (keyAlgorithm !== 'ECDSA-P256') {
          encryptAndDecrypt(`${usage}-${keyAlgorithm}-oaep`, files[usage], '-aes-256-cbc', '-keyopt', 'rsa_padding_mode:oaep');
        }
      }
    }
    // A TLS client certificate is not for mail either.
    const client = writeCredential(dir, 'client', await pki.issueTlsClient('Laboratoire Démo', 'application'));
    const misuse = signAndVerify('tls-client', client);
    assert.equal(misuse.ok, false);
    assert.match(misuse.output, /unsuitable certificate purpose/);
  } finally {
    cleanup();
  }
});
