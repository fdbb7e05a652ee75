import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { isHygieError } from '../core/errors.js';
import { generateKeyPair, type KeyPairInfo } from './keys.js';
import { PROFILES } from './profiles.js';
import { issueCertificate, randomSerial, type IssuedCertificate } from './x509.js';
import { openssl, tempDir } from './testing.js';

const DAY = 86_400_000;
const now = new Date();
const validity = (days: number) => ({ notBefore: new Date(now.getTime() - 60_000), notAfter: new Date(now.getTime() + days * DAY) });

async function rootCa(keys: KeyPairInfo): Promise<IssuedCertificate> {
  return issueCertificate({
    profile: PROFILES.rootCa,
    subject: { country: 'FR', organisation: 'Test', commonName: 'Test Root' },
    issuer: { selfSigned: true, privateKey: keys.privateKey },
    publicKey: keys.publicKey,
    validity: validity(3650),
  });
}

function write(dir: string, name: string, pem: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, pem);
  return file;
}

function text(file: string): string {
  const out = openssl(['x509', '-in', file, '-noout', '-text']);
  assert.equal(out.status, 0, out.stderr);
  return out.stdout;
}

/** The lines of an extension's value in `openssl x509 -text` output. */
function extensionValue(dump: string, name: string): { critical: boolean; value: string } {
  const match = new RegExp(`X509v3 ${name}:( critical)?\\s*\\n\\s*(.*)`).exec(dump);
  assert.ok(match, `extension ${name} missing in:\n${dump}`);
  return { critical: match[1] !== undefined, value: match[2]!.trim() };
}

test('root CA and RSA TLS server certificate have the intended extensions and verify with openssl', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const caKeys = await generateKeyPair();
    const ca = await rootCa(caKeys);
    const serverKeys = await generateKeyPair('RSA-2048');
    const server = await issueCertificate({
      profile: PROFILES.tlsServer,
      subject: { organisation: 'Test', commonName: 'mail.example.test' },
      issuer: { certificate: ca.certificate, privateKey: caKeys.privateKey },
      publicKey: serverKeys.publicKey,
      validity: validity(397),
      subjectAltNames: [{ dns: 'mail.example.test' }, { dns: '*.example.test' }, { ip: '127.0.0.1' }, { ip: '::1' }],
    });
    const caFile = write(dir, 'ca.crt', ca.pem);
    const serverFile = write(dir, 'server.crt', server.pem);

    const verify = openssl(['verify', '-CAfile', caFile, serverFile]);
    assert.equal(verify.status, 0, verify.stderr);
    assert.match(verify.stdout, /server\.crt: OK/);
    const strict = openssl(['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', caFile, serverFile]);
    assert.equal(strict.status, 0, strict.stderr);
    const asClient = openssl(['verify', '-purpose', 'sslclient', '-CAfile', caFile, serverFile]);
    assert.equal(asClient.status, 0, asClient.stderr);

    const caText = text(caFile);
    assert.match(caText, /Version: 3 \(0x2\)/);
    assert.match(caText, /Signature Algorithm: sha256WithRSAEncryption/);
    assert.match(caText, /Subject: C = FR, O = Test, CN = Test Root/);
    assert.deepEqual(extensionValue(caText, 'Basic Constraints'), { critical: true, value: 'CA:TRUE' });
    assert.deepEqual(extensionValue(caText, 'Key Usage'), { critical: true, value: 'Certificate Sign, CRL Sign' });
    const caSki = extensionValue(caText, 'Subject Key Identifier').value;
    assert.match(caSki, /^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
    assert.doesNotMatch(caText, /Authority Key Identifier|Subject Alternative Name|Extended Key Usage/);

    const serverText = text(serverFile);
    assert.match(serverText, /Public-Key: \(2048 bit\)/);
    assert.match(serverText, /Issuer: C = FR, O = Test, CN = Test Root/);
    assert.deepEqual(extensionValue(serverText, 'Basic Constraints'), { critical: true, value: 'CA:FALSE' });
    assert.deepEqual(extensionValue(serverText, 'Key Usage'), { critical: true, value: 'Digital Signature, Key Encipherment' });
    assert.deepEqual(extensionValue(serverText, 'Extended Key Usage'), {
      critical: false, value: 'TLS Web Server Authentication, TLS Web Client Authentication',
    });
    assert.deepEqual(extensionValue(serverText, 'Subject Alternative Name'), {
      critical: false, value: 'DNS:mail.example.test, DNS:*.example.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    });
    // The AKI of the server certificate is the SKI of the CA (openssl 3 may prefix "keyid:").
    assert.equal(extensionValue(serverText, 'Authority Key Identifier').value.replace(/^keyid:/, ''), caSki);
    assert.notEqual(extensionValue(serverText, 'Subject Key Identifier').value, caSki);
  } finally {
    cleanup();
  }
});

test('ECDSA P-256 server keys (under an RSA or an ECDSA CA) verify with openssl and drop keyEncipherment', async () => {
  const { dir, cleanup } = tempDir();
  try {
    for (const caAlgorithm of ['RSA-2048', 'ECDSA-P256'] as const) {
      const caKeys = await generateKeyPair(caAlgorithm);
      const ca = await rootCa(caKeys);
      const serverKeys = await generateKeyPair('ECDSA-P256');
      const server = await issueCertificate({
        profile: PROFILES.tlsServer,
        subject: { commonName: 'mail.example.test' },
        issuer: { certificate: ca.certificate, privateKey: caKeys.privateKey },
        publicKey: serverKeys.publicKey,
        validity: validity(90),
        subjectAltNames: [{ dns: 'mail.example.test' }],
      });
      const caFile = write(dir, `ca-${caAlgorithm}.crt`, ca.pem);
      const serverFile = write(dir, `server-${caAlgorithm}.crt`, server.pem);
      const verify = openssl(['verify', '-x509_strict', '-CAfile', caFile, serverFile]);
      assert.equal(verify.status, 0, verify.stderr);
      const dump = text(serverFile);
      assert.match(dump, /Public Key Algorithm: id-ecPublicKey/);
      assert.match(dump, /NIST CURVE: P-256/);
      assert.match(dump, caAlgorithm === 'RSA-2048' ? /Signature Algorithm: sha256WithRSAEncryption/ : /Signature Algorithm: ecdsa-with-SHA256/);
      assert.deepEqual(extensionValue(dump, 'Key Usage'), { critical: true, value: 'Digital Signature' });
    }
  } finally {
    cleanup();
  }
});

test('a subordinate CA between root and server makes a chain openssl accepts', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const rootKeys = await generateKeyPair();
    const root = await rootCa(rootKeys);
    const subKeys = await generateKeyPair('ECDSA-P256');
    const sub = await issueCertificate({
      profile: PROFILES.subordinateCa,
      subject: { organisation: 'Test', commonName: 'Test Issuing CA' },
      issuer: { certificate: root.certificate, privateKey: rootKeys.privateKey },
      publicKey: subKeys.publicKey,
      validity: validity(1825),
    });
    const leafKeys = await generateKeyPair('ECDSA-P256');
    const leaf = await issueCertificate({
      profile: PROFILES.tlsServer,
      subject: { commonName: 'leaf.example.test' },
      issuer: { certificate: sub.certificate, privateKey: subKeys.privateKey },
      publicKey: leafKeys.publicKey,
      validity: validity(30),
      subjectAltNames: [{ dns: 'leaf.example.test' }],
    });
    const rootFile = write(dir, 'root.crt', root.pem);
    const subFile = write(dir, 'sub.crt', sub.pem);
    const leafFile = write(dir, 'leaf.crt', leaf.pem);
    assert.match(text(subFile), /CA:TRUE, pathlen:0/);
    const withChain = openssl(['verify', '-x509_strict', '-CAfile', rootFile, '-untrusted', subFile, leafFile]);
    assert.equal(withChain.status, 0, withChain.stderr);
    const withoutChain = openssl(['verify', '-CAfile', rootFile, leafFile]);
    assert.notEqual(withoutChain.status, 0, 'the leaf must not verify without its issuing CA');
  } finally {
    cleanup();
  }
});

test('requests that break the profile or the issuer are refused', async () => {
  const caKeys = await generateKeyPair('ECDSA-P256');
  const ca = await rootCa(caKeys);
  const keys = await generateKeyPair('ECDSA-P256');
  const base = {
    profile: PROFILES.tlsServer,
    subject: { commonName: 'mail.example.test' },
    issuer: { certificate: ca.certificate, privateKey: caKeys.privateKey },
    publicKey: keys.publicKey,
    validity: validity(397),
    subjectAltNames: [{ dns: 'mail.example.test' }],
  };
  const refused = async (changes: object, pattern: RegExp) => {
    await assert.rejects(issueCertificate({ ...base, ...changes }), (error: unknown) => {
      assert.ok(isHygieError(error, 'INVALID_INPUT'), String(error));
      assert.match(error.message, pattern);
      return true;
    });
  };
  await refused({ validity: validity(399) }, /longer than 398 days/);
  await refused({ validity: { notBefore: now, notAfter: now } }, /later than notBefore/);
  await refused({ subjectAltNames: [] }, /needs at least one subject alternative name/);
  await refused({ subjectAltNames: [{ dns: 'bad_name.example' }] }, /not a valid DNS name/);
  await refused({ subjectAltNames: [{ ip: '999.1.1.1' }] }, /not an IP address/);
  await refused({ subject: { country: 'FRA' } }, /C must be 1 to 2 characters/);
  await refused({ subject: {} }, /at least one attribute/);
  await refused({ serial: new Uint8Array([0x80, 1]) }, /positive/);
  // The leaf would outlive the CA (10 years) only if longer than it: move the CA window instead.
  const shortCa = await issueCertificate({
    profile: PROFILES.rootCa, subject: { commonName: 'Short' },
    issuer: { selfSigned: true, privateKey: caKeys.privateKey }, publicKey: caKeys.publicKey, validity: validity(10),
  });
  await refused({ issuer: { certificate: shortCa.certificate, privateKey: caKeys.privateKey } }, /outlive its issuer/);
  // A leaf cannot issue, and a key that is not the issuer's is caught by the self-check.
  const leaf = await issueCertificate(base);
  await refused({ issuer: { certificate: leaf.certificate, privateKey: keys.privateKey } }, /not a CA/);
  await refused({ issuer: { certificate: ca.certificate, privateKey: keys.privateKey } }, /issuer key does not match/);
  await refused({ issuer: { selfSigned: true, privateKey: keys.privateKey } }, /cannot be self-signed/);
});

test('random serials are 16 bytes, positive and distinct', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const serial = randomSerial();
    assert.equal(serial.length, 16);
    assert.equal(serial[0]! & 0x80, 0);
    assert.notEqual(serial[0], 0);
    seen.add(Buffer.from(serial).toString('hex'));
  }
  assert.equal(seen.size, 200);
});
