/**
 * The worker pool does what the in-process functions do — openssl reads what it signs
 * and encrypts, errors come back with their class and message — keeps certificates and
 * keys across jobs within its capacity, spreads concurrent jobs, closes cleanly and never
 * keeps an idle process alive.
 */
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { HygieError } from '../../core/errors.js';
import { decryptMessage } from '../cms/decrypt.js';
import { encryptMessage } from '../cms/encrypt.js';
import { SmimeFormatError } from '../cms/mime.js';
import { IN_PROCESS } from '../cms/operations.js';
import { createSmimeWorld, frenchMultipartMessage, frenchTextMessage, HELENE, leafOf, type SmimeWorld } from '../cms/smime-fixtures.js';
import { verifyMessage } from '../cms/verify.js';
import { run, signingKeyOf } from '../trust/openssl-pki.js';
import { SmimePool } from './smime-pool.js';

let world: SmimeWorld;
let pool: SmimePool;
before(() => {
  world = createSmimeWorld();
  pool = new SmimePool({ size: 2 });
});
after(async () => {
  await pool.close();
  world.cleanup();
});

function opensslOpen(file: string): { status: number | null; stderr: string } {
  const decrypted = `${file}.dec`;
  const opened = run('openssl', ['cms', '-decrypt', '-in', file, '-recip', world.helene.certFile, '-inkey', world.helene.keyFile, '-out', decrypted]);
  if (opened.status !== 0) return opened;
  return run('openssl', ['cms', '-verify', '-in', decrypted, '-CAfile', world.caFile, '-purpose', 'smimesign', '-out', '/dev/null']);
}

test('signs, encrypts, signs then encrypts and decrypts in workers; openssl and the in-process functions read the results', async () => {
  const signer = await world.signer(world.helene);
  const key = { certificate: world.helene.certificate, privateKey: await signingKeyOf(world.helene) };
  for (const message of [frenchTextMessage(), frenchMultipartMessage()]) {
    const signed = await pool.signMessage(message, signer, { mode: 'opaque' });
    assert.equal((await verifyMessage(signed, { trust: world.trust })).status, 'valid');
    assert.equal(run('openssl', ['cms', '-verify', '-in', world.write('pool-signed.eml', signed), '-CAfile', world.caFile, '-out', '/dev/null']).status, 0);

    const sealed = await pool.signAndEncryptMessage(message, signer, [world.helene.certificate]);
    assert.ok(![...sealed].some((b) => b >= 0x80), 'the result is 7-bit');
    const opened = opensslOpen(world.write('pool-sealed.eml', sealed));
    assert.equal(opened.status, 0, opened.stderr);
    assert.match(opened.stderr, /Verification successful/);

    for (const decrypted of [await pool.decryptMessage(sealed, [key]), await decryptMessage(sealed, [key])]) {
      assert.equal(decrypted.status, 'decrypted');
      const verdict = await verifyMessage(decrypted.status === 'decrypted' ? decrypted.message : Buffer.alloc(0), { trust: world.trust });
      assert.equal(verdict.status, 'valid', JSON.stringify(verdict));
    }

    // Encryption alone: the same entity comes out as from the in-process function.
    const [ours, theirs] = [await pool.encryptMessage(message, [world.helene.certificate]), await encryptMessage(message, [world.helene.certificate])];
    const [a, b] = [await decryptMessage(ours, [key]), await decryptMessage(theirs, [key])];
    assert.ok(a.status === 'decrypted' && b.status === 'decrypted' && a.message.equals(b.message));
  }
});

test('a decryption failure is a result, as in-process', async () => {
  const sealed = await pool.encryptMessage(frenchTextMessage(), [world.helene.certificate]);
  const other = leafOf(world, 'stranger');
  const result = await pool.decryptMessage(sealed, [{ certificate: other.certificate, privateKey: await signingKeyOf(other) }]);
  assert.equal(result.status, 'failed');
  assert.deepEqual(result, await IN_PROCESS.decryptMessage(sealed, [{ certificate: other.certificate, privateKey: await signingKeyOf(other) }]));
});

test('errors cross the threads with their class, code and message', async () => {
  const signer = await world.signer(world.helene);
  const cases: Array<[string, (ops: typeof IN_PROCESS) => Promise<unknown>]> = [
    // marc's certificate is for signing only (no keyAgreement): refused for encryption.
    ['keyUsage', (ops) => ops.encryptMessage(frenchTextMessage(), [world.marc.certificate])],
    ['no recipient', (ops) => ops.signAndEncryptMessage(frenchTextMessage(), signer, [])],
    ['wrong key', (ops) => ops.signMessage(frenchTextMessage(), { ...signer, certificate: world.marc.certificate })],
    ['not a message', (ops) => ops.signMessage(Buffer.from('pas un message\r\n\r\ncorps'), signer)],
  ];
  for (const [name, call] of cases) {
    const expected = await call(IN_PROCESS).then(() => assert.fail(`${name}: in-process should fail`), (error: unknown) => error as Error);
    await assert.rejects(call(pool), (error: Error) => {
      assert.equal(error.constructor, expected.constructor, name);
      assert.equal(error.message, expected.message, name);
      if (expected instanceof HygieError) assert.equal((error as HygieError).code, expected.code, name);
      if (name === 'not a message') assert.ok(error instanceof SmimeFormatError);
      return true;
    });
  }
});

test('workers keep certificates and keys between jobs, and let the least recent go beyond their capacity', async () => {
  const small = new SmimePool({ size: 1, cacheSize: 3 });
  try {
    const signer = await world.signer(world.helene);
    const readers = ['r1', 'r2', 'r3', 'r4'].map((name) => leafOf(world, `pool-${name}`));
    const keys = await Promise.all(readers.map(async (r) => ({ certificate: r.certificate, privateKey: await signingKeyOf(r) })));
    // Signer (certificate, key, sub-CA) and one reader per job: more than 3 refs, cycling.
    for (let round = 0; round < 3; round++) {
      for (const [i, reader] of readers.entries()) {
        const sealed = await small.signAndEncryptMessage(frenchTextMessage(), signer, [reader.certificate]);
        const opened = await small.decryptMessage(sealed, [keys[i]!]);
        assert.equal(opened.status, 'decrypted', `round ${round}, reader ${i}`);
      }
    }
  } finally {
    await small.close();
  }
});

test('concurrent jobs are spread over the workers and all complete', async () => {
  const signer = await world.signer(world.helene);
  const signed = await Promise.all(Array.from({ length: 24 }, (_, i) => pool.signMessage(frenchTextMessage(HELENE), signer, { mode: i % 2 ? 'opaque' : 'detached' })));
  for (const message of signed) assert.equal((await verifyMessage(message, { trust: world.trust })).status, 'valid');
});

test('close lets running jobs finish, then refuses new ones with SHUTTING_DOWN', async () => {
  const closing = new SmimePool({ size: 2 });
  const signer = await world.signer(world.helene);
  const running = Array.from({ length: 6 }, () => closing.signMessage(frenchTextMessage(), signer));
  await closing.close();
  for (const result of await Promise.allSettled(running)) assert.equal(result.status, 'fulfilled');
  await assert.rejects(closing.signMessage(frenchTextMessage(), signer), (error: HygieError) => error.code === 'SHUTTING_DOWN');
});

test('a pool of no worker, or that keeps nothing, is a configuration error', () => {
  for (const options of [{ size: 0 }, { size: 1.5 }, { cacheSize: 0 }]) {
    assert.throws(() => new SmimePool(options), (error: HygieError) => error.code === 'CONFIG_INVALID');
  }
});

test('an idle pool that was never closed does not keep the process alive', () => {
  const poolModule = fileURLToPath(new URL('./smime-pool.js', import.meta.url));
  const script = `
    const { SmimePool } = await import(${JSON.stringify(poolModule)});
    const pool = new SmimePool({ size: 2 });
    // A job that fails in the worker still starts it and goes there and back.
    await pool.encryptMessage(Buffer.from('Subject: x\\r\\n\\r\\nbody'), []).catch((error) => console.log(error.code));
    console.log('done');`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(child.signal, null, 'the child had to be killed: the pool kept it alive');
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout, 'INVALID_INPUT\ndone\n');
});

test('an operator started with V8 flags that workers refuse (a larger heap, --expose-gc) still has working workers', () => {
  const poolModule = fileURLToPath(new URL('./smime-pool.js', import.meta.url));
  const x509Module = fileURLToPath(new URL('../x509.js', import.meta.url));
  const script = `
    const { readFileSync } = await import('node:fs');
    const { SmimePool } = await import(${JSON.stringify(poolModule)});
    const { parseCertificate } = await import(${JSON.stringify(x509Module)});
    const pool = new SmimePool({ size: 1 });
    const recipient = parseCertificate(readFileSync(${JSON.stringify(world.helene.certFile)}, 'utf8'));
    const sealed = await pool.encryptMessage(Buffer.from('Subject: x\\r\\n\\r\\nbody\\r\\n'), [recipient]);
    console.log(/application\\/pkcs7-mime/.test(sealed.toString('latin1')) ? 'encrypted' : 'not encrypted');
    await pool.close();`;
  const flags = ['--max-old-space-size=512', '--max-semi-space-size=32', '--expose-gc', '--enable-source-maps'];
  const child = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout, 'encrypted\n');
});
