/**
 * The PKI and S/MIME command line as an operator types it: a real `node dist/app/cli.js`
 * process per command on a temporary data folder, with OpenSSL checking what it produces.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI } from './harness.js';

const ALICE = 'alice.martin@esante-demo.test';
const BOB = 'bob.durand@esante-demo.test';
const BODY = 'Bonjour, voici le compte rendu de la consultation de Mme Lefèvre.';
const MESSAGE = [
  `From: Alice Martin <${ALICE}>`, `To: ${BOB}`, 'Subject: =?UTF-8?Q?Compte_rendu_m=C3=A9dical?=',
  'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', BODY, '',
].join('\r\n');

describe('hygie pki and smime command line', () => {
  let dir: string;
  let dataDir: string;
  const file = (name: string) => path.join(dir, name);
  const run = (args: string[]) => {
    const result = spawnSync(process.execPath, [CLI, ...args], {
      encoding: 'utf8', input: '',
      env: { PATH: process.env.PATH ?? '', HYGIE_SERVER_DATA_DIR: dataDir },
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const openssl = (args: string[]) => spawnSync('openssl', args, { encoding: 'utf8' });

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'hygie-pki-cli-'));
    dataDir = path.join(dir, 'data');
    writeFileSync(file('message.eml'), MESSAGE);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('create, issue, sign, verify, encrypt, decrypt, tamper, revoke, list, import', () => {
    // pki create: four CAs and the root fingerprint; a second run reopens the same PKI.
    const created = run(['pki', 'create']);
    assert.equal(created.code, 0, created.stderr);
    for (const ca of ['AC RACINE HYGIE DEV', 'AC HYGIE DEV SERVEURS', 'AC HYGIE DEV PERSONNES', 'AC HYGIE DEV ORGANISATIONS']) {
      assert.match(created.stdout, new RegExp(`CN=${ca},`));
    }
    const fingerprint = /Root SHA-256 fingerprint: ([0-9A-F:]{95})/.exec(created.stdout)?.[1];
    assert.ok(fingerprint, created.stdout);
    const again = run(['pki', 'create']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /reopened/);
    assert.ok(again.stdout.includes(fingerprint));

    // pki issue smime for two addresses (RSA and EC); bad options are usage errors.
    const alice = run(['pki', 'issue', 'smime', ALICE]);
    assert.equal(alice.code, 0, alice.stderr);
    assert.match(alice.stdout, /usage\s+dual/);
    assert.match(alice.stdout, /notAfter\s+\d{4}-/);
    assert.match(alice.stdout, /SHA-256\s+[0-9A-F:]{95}/);
    const aliceSerial = /serial\s+([0-9A-F]+)/.exec(alice.stdout)?.[1];
    assert.ok(aliceSerial, alice.stdout);
    const bob = run(['pki', 'issue', 'smime', BOB, '--usage', 'dual', '--key', 'ECDSA-P256']);
    assert.equal(bob.code, 0, bob.stderr);
    assert.match(bob.stdout, /EC-P-256 \(private key stored\)/);
    assert.equal(run(['pki', 'issue', 'smime', BOB, '--key', 'DSA-1024']).code, 2);
    assert.equal(run(['pki', 'issue', 'smime']).code, 2);

    // smime sign, then smime verify: valid, with an Authentication-Results value.
    const signedFile = file('signed.eml');
    const signed = run(['smime', 'sign', file('message.eml'), '--from', ALICE, '--out', signedFile]);
    assert.equal(signed.code, 0, signed.stderr);
    const verified = run(['smime', 'verify', signedFile]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.match(verified.stdout, /^Status: valid$/m);
    assert.match(verified.stdout, /^Revocation: good$/m);
    assert.match(verified.stdout, new RegExp(`^Authentication-Results: \\S+; smime=pass header\\.from=${ALICE.replace(/\./g, '\\.')}`, 'm'));
    assert.equal(run(['smime', 'sign', file('message.eml'), '--from', 'nobody@esante-demo.test']).code, 1);

    // OpenSSL verifies the signed file against the root alone (the sub-CA travels in the message).
    const rootFile = path.join(dataDir, 'pki', 'health', 'root', 'ca.crt');
    const osslVerify = openssl(['cms', '-verify', '-in', signedFile, '-CAfile', rootFile, '-purpose', 'any', '-out', file('ossl-content.eml')]);
    assert.equal(osslVerify.status, 0, osslVerify.stderr);
    assert.ok(readFileSync(file('ossl-content.eml'), 'utf8').includes('Lef'));

    // smime encrypt to Bob (and Alice, the sender); both decrypt it back to the body.
    const encryptedFile = file('encrypted.eml');
    const encrypted = run(['smime', 'encrypt', file('message.eml'), '--to', BOB, '--from', ALICE, '--out', encryptedFile]);
    assert.equal(encrypted.code, 0, encrypted.stderr);
    const encryptedText = readFileSync(encryptedFile, 'utf8');
    assert.match(encryptedText, /application\/pkcs7-mime; smime-type=enveloped-data/);
    assert.ok(!encryptedText.includes('compte rendu'));
    for (const reader of [BOB, ALICE]) {
      const decrypted = run(['smime', 'decrypt', encryptedFile, '--as', reader]);
      assert.equal(decrypted.code, 0, decrypted.stderr);
      assert.ok(decrypted.stdout.includes(BODY), decrypted.stdout);
      assert.match(decrypted.stdout, /^Subject: =\?UTF-8\?Q\?Compte_rendu_m=C3=A9dical\?=\r$/m);
    }
    const gcm = run(['smime', 'encrypt', file('message.eml'), '--to', BOB, '--gcm', '--out', file('gcm.eml')]);
    assert.equal(gcm.code, 0, gcm.stderr);
    assert.ok(run(['smime', 'decrypt', file('gcm.eml'), '--as', BOB]).stdout.includes(BODY));
    const notForAlice = run(['smime', 'decrypt', file('gcm.eml'), '--as', ALICE]);
    assert.equal(notForAlice.code, 1);
    assert.match(notForAlice.stderr, /no-matching-key/);

    // One altered byte of the signed body: exit 1 with the reason.
    const original = readFileSync(signedFile);
    const at = original.indexOf(Buffer.from('compte rendu'));
    assert.ok(at > 0);
    const altered = Buffer.from(original);
    altered[at] = 'C'.charCodeAt(0);
    writeFileSync(file('altered.eml'), altered);
    const rejected = run(['smime', 'verify', file('altered.eml')]);
    assert.equal(rejected.code, 1);
    assert.match(rejected.stdout, /^Status: invalid$/m);
    assert.match(rejected.stdout, /^Reason: content-altered: /m);
    assert.match(rejected.stdout, /smime=fail/);

    // pki revoke: a new CRL number; the revoked signer no longer verifies; unknown serials are refused.
    const revoked = run(['pki', 'revoke', aliceSerial, '--reason', 'keyCompromise']);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, /CRL number \d+ written to .*persons/);
    const afterRevocation = run(['smime', 'verify', signedFile]);
    assert.equal(afterRevocation.code, 1);
    assert.match(afterRevocation.stdout, /^Reason: revoked: /m);
    assert.equal(run(['pki', 'revoke', aliceSerial]).code, 1);
    assert.equal(run(['pki', 'revoke', '0BADC0DE']).code, 1);
    assert.equal(run(['pki', 'revoke', 'not-hex']).code, 2);

    // pki list --json shows the CAs and the two S/MIME certificates with their keys.
    const list = run(['pki', 'list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    const certificates = JSON.parse(list.stdout) as Array<{ addresses: string[]; serial: string; hasPrivateKey: boolean; canSign: boolean; canEncrypt: boolean; isCa: boolean; source: string }>;
    assert.equal(certificates.filter((c) => c.isCa).length, 4);
    const aliceListed = certificates.find((c) => c.addresses.includes(ALICE));
    assert.deepEqual(aliceListed && { serial: aliceListed.serial, key: aliceListed.hasPrivateKey, sign: aliceListed.canSign, encrypt: aliceListed.canEncrypt, source: aliceListed.source },
      { serial: aliceSerial, key: true, sign: true, encrypt: true, source: 'issued' });
    assert.ok(certificates.some((c) => c.addresses.includes(BOB) && c.hasPrivateKey));
    const onlyBob = JSON.parse(run(['pki', 'list', '--json', '--address', BOB]).stdout) as unknown[];
    assert.equal(onlyBob.length, 1);

    // pki import of a PKCS#12 made by OpenSSL: refused without its password, stored with it.
    const made = openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('carol.key'), '-out', file('carol.crt'),
      '-subj', '/CN=Carol Petit', '-addext', 'subjectAltName=email:carol.petit@exemple.test', '-days', '30']);
    assert.equal(made.status, 0, made.stderr);
    const exported = openssl(['pkcs12', '-export', '-in', file('carol.crt'), '-inkey', file('carol.key'), '-out', file('carol.p12'), '-passout', 'pass:mot de passe p12']);
    assert.equal(exported.status, 0, exported.stderr);
    const noPassword = run(['pki', 'import', file('carol.p12')]);
    assert.equal(noPassword.code, 1);
    assert.match(noPassword.stderr, /PKCS#12.*password/);
    const imported = run(['pki', 'import', file('carol.p12'), '--password', 'mot de passe p12']);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /CN=Carol Petit/);
    assert.match(imported.stdout, /1 certificate\(s\), 1 private key\(s\) stored/);
    const carol = JSON.parse(run(['pki', 'list', '--json', '--address', 'carol.petit@exemple.test']).stdout) as Array<{ source: string; hasPrivateKey: boolean }>;
    assert.deepEqual(carol.map((c) => [c.source, c.hasPrivateKey]), [['imported', true]]);
  });
});
