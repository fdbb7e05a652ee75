import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type * as pkijs from 'pkijs';
import { isHygieError } from '../../core/errors.js';
import { fromPem } from '../pem.js';
import { tempDir } from '../testing.js';
import { CachingCrlSource, parseCrl, StaticCrlSource } from './crl-source.js';
import { OpensslPki, type TestCa } from './openssl-pki.js';
import { distributionPointsOf } from './revocation.js';

const HOUR = 3_600_000;
const { dir, cleanup } = tempDir();
const pki = new OpensslPki(dir);
let caA: TestCa;
let caB: TestCa;
let crlA: pkijs.CertificateRevocationList;
let crlB: pkijs.CertificateRevocationList;
const request = { distributionPoints: [] };

before(() => {
  caA = pki.root('ca-a');
  caB = pki.root('ca-b');
  crlA = pki.crl(caA, { hours: 2 }).crl;
  crlB = pki.crl(caB, { hours: 2 }).crl;
});
after(cleanup);

/** A loader that counts its calls and answers from a map, or fails. */
function countingLoader(answers: Map<pkijs.Certificate, pkijs.CertificateRevocationList[]>) {
  const calls: pkijs.Certificate[] = [];
  let failing = false;
  return {
    calls,
    fail: (value: boolean) => (failing = value),
    load: async (issuer: pkijs.Certificate) => {
      calls.push(issuer);
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (failing) throw new Error('CRL server down');
      return answers.get(issuer) ?? [];
    },
  };
}

test('CachingCrlSource keeps a CRL until its nextUpdate, per issuer', async () => {
  let now = new Date();
  const loader = countingLoader(new Map([[caA.certificate, [crlA]], [caB.certificate, [crlB]]]));
  const source = new CachingCrlSource(loader.load, { now: () => now });
  assert.deepEqual(await source.crlsFor(caA.certificate, request), [crlA]);
  assert.deepEqual(await source.crlsFor(caA.certificate, request), [crlA]);
  assert.equal(loader.calls.length, 1);
  assert.deepEqual(await source.crlsFor(caB.certificate, request), [crlB]);
  assert.equal(loader.calls.length, 2, 'another issuer is another entry');

  now = new Date(now.getTime() + HOUR);
  await source.crlsFor(caA.certificate, request);
  assert.equal(loader.calls.length, 2, 'still before nextUpdate');
  now = new Date(crlA.nextUpdate!.value.getTime() + 1000);
  await source.crlsFor(caA.certificate, request);
  assert.equal(loader.calls.length, 3, 'reloaded once nextUpdate passed');
});

test('concurrent requests share one load', async () => {
  const loader = countingLoader(new Map([[caA.certificate, [crlA]]]));
  const source = new CachingCrlSource(loader.load);
  const answers = await Promise.all(Array.from({ length: 10 }, () => source.crlsFor(caA.certificate, request)));
  assert.equal(loader.calls.length, 1);
  assert.ok(answers.every((a) => a.length === 1));
});

test('a failing loader gives no CRL, remembered for failureTtl only', async () => {
  let now = new Date();
  const loader = countingLoader(new Map([[caA.certificate, [crlA]]]));
  loader.fail(true);
  const source = new CachingCrlSource(loader.load, { now: () => now, failureTtlMs: 60_000 });
  assert.deepEqual(await source.crlsFor(caA.certificate, request), []);
  assert.deepEqual(await source.crlsFor(caA.certificate, request), []);
  assert.equal(loader.calls.length, 1, 'a down server is not hammered');
  loader.fail(false);
  now = new Date(now.getTime() + 61_000);
  assert.deepEqual(await source.crlsFor(caA.certificate, request), [crlA]);
  assert.equal(loader.calls.length, 2);
});

test('a CRL already stale is retried after a pause, not on every request', async () => {
  let now = new Date(Date.now() + 3 * HOUR); // past crlA's nextUpdate
  const loader = countingLoader(new Map([[caA.certificate, [crlA]]]));
  const source = new CachingCrlSource(loader.load, { now: () => now, failureTtlMs: 60_000 });
  await source.crlsFor(caA.certificate, request);
  await source.crlsFor(caA.certificate, request);
  assert.equal(loader.calls.length, 1);
  now = new Date(now.getTime() + 61_000);
  await source.crlsFor(caA.certificate, request);
  assert.equal(loader.calls.length, 2);
});

test('StaticCrlSource matches CRLs on the issuer name', async () => {
  const source = new StaticCrlSource([crlA]);
  source.add(crlB);
  assert.deepEqual(await source.crlsFor(caB.certificate), [crlB]);
});

test('parseCrl reads PEM and DER and refuses garbage clearly', () => {
  const pem = fs.readFileSync(pki.file('ca-a.crl'), 'utf8');
  const fromPemText = parseCrl(pem);
  const fromDer = parseCrl(fromPem(pem, 'X509 CRL'));
  assert.equal(fromPemText.thisUpdate.value.getTime(), fromDer.thisUpdate.value.getTime());
  assert.throws(() => parseCrl(new Uint8Array([1, 2, 3])), (e) => isHygieError(e, 'INVALID_INPUT'));
  assert.throws(() => parseCrl('no pem here'), /X509 CRL/);
});

test('distribution points of a certificate are offered to fetching sources', () => {
  const leaf = pki.leaf('with-cdp', caA);
  assert.deepEqual(distributionPointsOf(leaf.certificate), ['http://crl.example.test/ca-a.crl']);
});
