/**
 * A second, independent implementation (GnuPG's gpgsm, on libksba/libgcrypt rather than
 * OpenSSL) verifies our signatures. Skipped, saying so, when gpgsm is not installed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { openssl, run } from '../trust/openssl-pki.js';
import { detectSmime, splitMessage } from './mime.js';
import { signMessage, type SignatureMode } from './sign.js';
import { createSmimeWorld, frenchMultipartMessage, frenchTextMessage, HELENE, MARC, type SmimeWorld } from './smime-fixtures.js';

const available = spawnSync('gpgsm', ['--version']).status === 0;
const skip = available ? false : 'gpgsm is not installed (apt-get install gpgsm): second-implementation check skipped';

let world: SmimeWorld;
let home: string;
let env: NodeJS.ProcessEnv;

before(() => {
  if (!available) return;
  world = createSmimeWorld();
  // GNUPGHOME must be short: gpg-agent's socket path is limited to about 100 bytes.
  home = fs.mkdtempSync('/tmp/gsm-');
  fs.chmodSync(home, 0o700);
  env = { ...process.env, GNUPGHOME: home };
  fs.writeFileSync(path.join(home, 'gpgsm.conf'), 'disable-crl-checks\ndisable-dirmngr\n');
  const imported = run('gpgsm', ['--batch', '--import', world.root.certFile, world.persons.certFile], { env });
  assert.equal(imported.status, 0, imported.stderr);
  // The root is trusted for S/MIME through gpg-agent's trustlist (flag S).
  const sha1 = openssl(['x509', '-in', world.root.certFile, '-noout', '-fingerprint', '-sha1']).toString().trim().split('=')[1];
  fs.writeFileSync(path.join(home, 'trustlist.txt'), `${sha1} S\n`);
});

after(() => {
  if (!available) return;
  run('gpgconf', ['--kill', 'all'], { env });
  fs.rmSync(home, { recursive: true, force: true });
  world.cleanup();
});

/** gpgsm --verify on the signature and content of a signed message; returns the status lines. */
function gpgsmVerify(signed: Buffer, name: string): { status: number | null; lines: string; stderr: string } {
  const structure = detectSmime(splitMessage(signed).entity);
  const files: string[] = [];
  if (structure.kind === 'multipart-signed') {
    files.push(world.write(`${name}.p7s`, structure.signature), world.write(`${name}.content`, structure.content));
  } else if (structure.kind === 'pkcs7-mime') {
    files.push(world.write(`${name}.p7m`, structure.der));
  }
  const result = run('gpgsm', ['--batch', '--status-fd', '1', '--disable-crl-checks', '--verify', ...files], { env });
  return { status: result.status, lines: result.stdout.toString('utf8'), stderr: result.stderr };
}

for (const mode of ['detached', 'opaque'] as SignatureMode[]) {
  test(`gpgsm verifies our ${mode} RSA signature and trusts the chain`, { skip }, async () => {
    const signed = await signMessage(frenchMultipartMessage(), await world.signer(world.helene), { mode });
    const { status, lines, stderr } = gpgsmVerify(signed, `rsa-${mode}`);
    assert.equal(status, 0, stderr + lines);
    assert.match(lines, /\[GNUPG:\] GOODSIG /);
    assert.match(lines, /\[GNUPG:\] VALIDSIG /);
    assert.match(lines, /\[GNUPG:\] TRUST_FULLY/);
    assert.match(stderr, new RegExp(`aka "${HELENE.replace(/\./g, '\\.')}"`));
  });
}

test('gpgsm verifies our ECDSA P-256 signature', { skip }, async () => {
  const signed = await signMessage(frenchTextMessage(MARC), await world.signer(world.marc), { hash: 'SHA-384' });
  const { status, lines, stderr } = gpgsmVerify(signed, 'ec');
  assert.equal(status, 0, stderr + lines);
  assert.match(lines, /\[GNUPG:\] GOODSIG /);
});

test('gpgsm rejects our signature over altered content', { skip }, async () => {
  const signed = (await signMessage(frenchTextMessage(), await world.signer(world.helene))).toString('latin1');
  const { status, lines } = gpgsmVerify(Buffer.from(signed.replace('compte-rendu', 'compte-rendo'), 'latin1'), 'altered');
  assert.notEqual(status, 0);
  assert.match(lines, /\[GNUPG:\] BADSIG /);
});
