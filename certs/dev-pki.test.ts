import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { isHygieError } from '../core/errors.js';
import { ensureDevPki, type DevPki } from './dev-pki.js';
import { describeCertificate } from './describe.js';
import { openssl, tempDir } from './testing.js';

const HOST = 'mail.esante-demo.test';
const DAY = 86_400_000;

const mode = (file: string) => fs.statSync(file).mode & 0o777;

function verifyWithOpenssl(pki: DevPki): void {
  const out = openssl(['verify', '-x509_strict', '-CAfile', pki.caCertFile, pki.serverCertFile]);
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stdout, /: OK/);
}

interface Handshake {
  authorized: boolean;
  error?: string;
  clientAuthorized?: boolean;
}

/** One TLS connection to a server using the dev PKI; resolves with what the client saw. */
async function handshake(pki: DevPki, client: tls.ConnectionOptions, mutual = false): Promise<Handshake> {
  const serverSide: { authorized?: boolean } = {};
  const server = tls.createServer({
    cert: pki.serverCertPem, key: pki.serverKeyPem,
    ...(mutual ? { requestCert: true, rejectUnauthorized: false, ca: pki.caCertPem } : {}),
  }, (socket) => {
    serverSide.authorized = socket.authorized;
    socket.end('hello');
  });
  server.on('tlsClientError', () => { /* the client gave up: expected in negative tests */ });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<Handshake>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ...client }, () => {
        const authorized = socket.authorized;
        socket.once('data', () => {
          socket.end();
          resolve({ authorized, ...(mutual ? { clientAuthorized: serverSide.authorized } : {}) });
        });
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve({ authorized: false, error: error.code ?? error.message }));
    });
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

test('first call creates CA and server certificate with safe file modes; openssl verifies them', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const pkiDir = path.join(dir, 'pki');
    const pki = await ensureDevPki({ dir: pkiDir, hostnames: [HOST, 'imap.esante-demo.test'], organisation: 'Démo Santé' });
    assert.equal(pki.created, true);
    assert.equal(pki.serverIssued, true);
    assert.equal(mode(pkiDir), 0o700);
    assert.equal(mode(path.join(pkiDir, 'ca.key')), 0o600);
    assert.equal(mode(pki.serverKeyFile), 0o600);
    assert.deepEqual(fs.readdirSync(pkiDir).sort(), ['ca.crt', 'ca.key', 'server.crt', 'server.key'], 'no temp file left behind');
    assert.equal(fs.readFileSync(pki.caCertFile, 'utf8'), pki.caCertPem);
    assert.equal(fs.readFileSync(pki.serverCertFile, 'utf8'), pki.serverCertPem);
    assert.equal(fs.readFileSync(pki.serverKeyFile, 'utf8'), pki.serverKeyPem);
    assert.match(pki.serverKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    verifyWithOpenssl(pki);

    const ca = openssl(['x509', '-in', pki.caCertFile, '-noout', '-text', '-nameopt', 'utf8,sep_comma_plus_space']);
    assert.match(ca.stdout, /Subject: O=Démo Santé, CN=Hygie Dev Root CA – Démo Santé/);
    assert.match(ca.stdout, /CA:TRUE/);
    const caDescription = describeCertificate(pki.caCertPem);
    const years = (caDescription.notAfter.getTime() - caDescription.notBefore.getTime()) / (365.25 * DAY);
    assert.ok(Math.abs(years - 10) < 0.01, `CA validity ${years} years`);

    const server = openssl(['x509', '-in', pki.serverCertFile, '-noout', '-text']);
    assert.match(server.stdout, /DNS:mail\.esante-demo\.test, DNS:imap\.esante-demo\.test, IP Address:127\.0\.0\.1/);
    assert.match(server.stdout, /TLS Web Server Authentication, TLS Web Client Authentication/);
    const description = describeCertificate(pki.serverCertPem);
    const days = (description.notAfter.getTime() - Date.now()) / DAY;
    assert.ok(days > 396.9 && days <= 397, `server validity ${days} days`);
  } finally {
    cleanup();
  }
});

test('TLS handshake: authorized with the dev CA, refused for another name or another CA, mutual TLS works', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const pki = await ensureDevPki({ dir: path.join(dir, 'a'), hostnames: [HOST], organisation: 'Demo' });
    const ok = await handshake(pki, { ca: pki.caCertPem, servername: HOST });
    assert.deepEqual(ok, { authorized: true });
    const byIp = await handshake(pki, { ca: pki.caCertPem });
    assert.deepEqual(byIp, { authorized: true }, 'the IP SAN 127.0.0.1 matches a connection by address');
    const wrongName = await handshake(pki, { ca: pki.caCertPem, servername: 'mail.other-operator.test' });
    assert.deepEqual(wrongName, { authorized: false, error: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    const other = await ensureDevPki({ dir: path.join(dir, 'b'), hostnames: [HOST], organisation: 'Other' });
    const wrongCa = await handshake(pki, { ca: other.caCertPem, servername: HOST });
    assert.equal(wrongCa.authorized, false);
    assert.equal(wrongCa.error, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    // Operators relay to each other with mutual TLS: the same certificate serves as a client certificate.
    const mutual = await handshake(pki, { ca: pki.caCertPem, servername: HOST, cert: pki.serverCertPem, key: pki.serverKeyPem }, true);
    assert.deepEqual(mutual, { authorized: true, clientAuthorized: true });
  } finally {
    cleanup();
  }
});

test('reload is idempotent and fast; host name changes re-issue the server certificate under the same CA', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const options = { dir: path.join(dir, 'pki'), hostnames: [HOST, 'imap.esante-demo.test'], organisation: 'Demo' };
    const first = await ensureDevPki(options);
    const keyBefore = fs.readFileSync(first.serverKeyFile, 'utf8');
    const files = ['ca.crt', 'ca.key', 'server.crt', 'server.key'].map((name) => path.join(options.dir, name));
    const inodes = () => files.map((file) => fs.statSync(file).ino);
    const inodesBefore = inodes();

    const started = performance.now();
    const second = await ensureDevPki({ ...options, hostnames: ['IMAP.esante-demo.test', HOST + '.', '127.0.0.1'] });
    const elapsed = performance.now() - started;
    assert.deepEqual(second, { ...first, created: false, serverIssued: false });
    assert.deepEqual(inodes(), inodesBefore, 'a reload rewrites no file');
    assert.ok(elapsed < 500, `reload took ${elapsed} ms (no key generation expected)`);

    const third = await ensureDevPki({ ...options, hostnames: [HOST, 'webmail.esante-demo.test'] });
    assert.equal(third.created, false);
    assert.equal(third.serverIssued, true);
    assert.equal(third.caCertPem, first.caCertPem);
    assert.notEqual(third.serverCertPem, first.serverCertPem);
    assert.equal(third.serverKeyPem, keyBefore, 'renewal keeps the server key');
    assert.deepEqual(describeCertificate(third.serverCertPem).dnsNames, [HOST, 'webmail.esante-demo.test']);
    assert.equal(mode(third.serverKeyFile), 0o600);
    verifyWithOpenssl(third);

    const fourth = await ensureDevPki({ ...options, hostnames: [HOST, 'webmail.esante-demo.test'] });
    assert.equal(fourth.serverIssued, false);
    assert.equal(fourth.serverCertPem, third.serverCertPem);
  } finally {
    cleanup();
  }
});

test('the server certificate is renewed within 30 days of expiry, not before', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const start = new Date();
    const options = { dir: path.join(dir, 'pki'), hostnames: [HOST], organisation: 'Demo' };
    const first = await ensureDevPki({ ...options, now: start });
    const notAfter = describeCertificate(first.serverCertPem).notAfter.getTime();

    const before = await ensureDevPki({ ...options, now: new Date(notAfter - 31 * DAY) });
    assert.equal(before.serverIssued, false);
    const later = new Date(notAfter - 29 * DAY);
    const renewed = await ensureDevPki({ ...options, now: later });
    assert.equal(renewed.created, false);
    assert.equal(renewed.serverIssued, true);
    assert.equal(renewed.caCertPem, first.caCertPem);
    const description = describeCertificate(renewed.serverCertPem);
    assert.ok(description.notAfter.getTime() > notAfter);
    assert.ok(Math.abs(description.notBefore.getTime() - (later.getTime() - 3_600_000)) < 1000);
    const out = openssl(['verify', '-attime', String(Math.floor(later.getTime() / 1000)), '-CAfile', renewed.caCertFile, renewed.serverCertFile]);
    assert.equal(out.status, 0, out.stderr);
  } finally {
    cleanup();
  }
});

test('ECDSA P-256 server key variant verifies with openssl and completes a TLS handshake', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const options = { dir: path.join(dir, 'pki'), hostnames: [HOST], organisation: 'Demo', serverKeyAlgorithm: 'ECDSA-P256' as const };
    const pki = await ensureDevPki(options);
    verifyWithOpenssl(pki);
    const dump = openssl(['x509', '-in', pki.serverCertFile, '-noout', '-text']).stdout;
    assert.match(dump, /id-ecPublicKey/);
    assert.match(dump, /Key Usage: critical\s*\n\s*Digital Signature\n/);
    assert.match(openssl(['pkey', '-in', pki.serverKeyFile, '-noout', '-text']).stdout, /ASN1 OID: prime256v1/);
    assert.deepEqual(await handshake(pki, { ca: pki.caCertPem, servername: HOST }), { authorized: true });
    // Same options again: nothing changes. Back to the RSA default: a new RSA key, same CA.
    assert.equal((await ensureDevPki(options)).serverIssued, false);
    const rsa = await ensureDevPki({ ...options, serverKeyAlgorithm: 'RSA-2048' });
    assert.equal(rsa.serverIssued, true);
    assert.equal(rsa.caCertPem, pki.caCertPem);
    assert.match(openssl(['x509', '-in', rsa.serverCertFile, '-noout', '-text']).stdout, /rsaEncryption/);
  } finally {
    cleanup();
  }
});

test('damaged PKI directories are repaired where safe and refused where not', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const options = { dir: path.join(dir, 'pki'), hostnames: [HOST], organisation: 'Demo' };
    const first = await ensureDevPki(options);
    // A lost server certificate is re-issued for the same key and CA.
    fs.rmSync(first.serverCertFile);
    const again = await ensureDevPki(options);
    assert.equal(again.serverIssued, true);
    assert.equal(again.created, false);
    assert.equal(again.serverKeyPem, first.serverKeyPem);
    // A server certificate from another CA is replaced.
    const foreign = await ensureDevPki({ ...options, dir: path.join(dir, 'foreign') });
    fs.copyFileSync(foreign.serverCertFile, first.serverCertFile);
    fs.copyFileSync(foreign.serverKeyFile, first.serverKeyFile);
    const replaced = await ensureDevPki(options);
    assert.equal(replaced.serverIssued, true);
    verifyWithOpenssl(replaced);
    // A CA certificate without its key is never silently replaced: users may trust it.
    fs.rmSync(path.join(options.dir, 'ca.key'));
    await assert.rejects(ensureDevPki(options), (error: unknown) => isHygieError(error, 'CONFIG_INVALID') && /ca\.key is missing/.test(error.message));
    await assert.rejects(
      ensureDevPki({ ...options, dir: path.join(dir, 'bad'), hostnames: ['not a host'] }),
      (error: unknown) => isHygieError(error, 'CONFIG_INVALID') && /invalid host name/.test(error.message),
    );
  } finally {
    cleanup();
  }
});
