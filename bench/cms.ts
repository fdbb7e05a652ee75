/**
 * S/MIME figures (issue 4): sign, encrypt, sign+encrypt and decrypt+verify per second for
 * a 10 KB and a 1 MB message, through SmimeService — what the gateway calls — over a real
 * certificate store (SQLite in a temporary folder) holding RSA-2048 certificates of the
 * development health PKI, with its worker pool on every core. Next to OpenSSL measured in
 * the same run on the same cores:
 *  - `openssl speed -multi <cores> rsa2048`: the private-key operation that bounds signing,
 *    measured just before and just after the 10 KB sign+encrypt figure (the higher is used);
 *  - `openssl cms` pipelines doing the same whole-message work, one loop per core.
 * Two reference lines show what bounds the 10 KB ratio: Node's crypto.sign alone in as
 * many threads, and the cryptography a sign+encrypt cannot avoid (one RSA signature, two
 * RSA encryptions of the content key, SHA-256 and AES-256-CBC of the same sizes) with no
 * MIME or DER work at all.
 *
 * BENCH_SECONDS (default 2) per figure; BENCH_CONCURRENCY messages in flight (default 4 per core).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { AuditTrail, auditMigrations } from '../core/audit.js';
import { systemClock } from '../core/clock.js';
import { openDatabase } from '../core/database.js';
import { createDevHealthPki } from '../certs/authority/index.js';
import { SmimeService } from '../certs/smime-service.js';
import { CertificateStore, certStoreMigrations } from '../certs/store/index.js';
import { SmimePool } from '../certs/workers/smime-pool.js';
import { line } from './stats.js';

const CORES = os.availableParallelism();
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4 * CORES);

/** Operations per second by the clock, of `count` operations done since `started` (performance.now()). */
function rateSince(count: number, started: number): number {
  return count / ((performance.now() - started) / 1000);
}

/**
 * Runs `operation` with CONCURRENCY in flight for about `seconds`, after half as long
 * unmeasured (the JIT needs thousands of calls before the worker code is optimised).
 */
async function rate(operation: () => Promise<unknown>, seconds: number): Promise<number> {
  const during = async (ms: number): Promise<number> => {
    let count = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < started + ms) {
        await operation();
        count++;
      }
    }));
    return rateSince(count, started);
  };
  await during(seconds * 500);
  return during(seconds * 1000);
}

const FROM = 'helene.durand@esante-demo.test';
const TO = 'paul.martin@esante-demo.test';
const HEADER = `From: Dr Hélène Durand <${FROM}>\r\nTo: ${TO}\r\n` +
  'Subject: =?UTF-8?Q?R=C3=A9sultats?=\r\nDate: Tue, 24 Nov 2026 10:00:00 +0100\r\nMessage-ID: <bench@esante-demo.test>\r\nMIME-Version: 1.0\r\n';

/**
 * 10 KB: a UTF-8 letter sent 8-bit, as Thunderbird does (the signer re-encodes it).
 * 1 MB: a short letter and a base64 attachment (a lab report PDF), the common large case.
 */
function message(size: number): Buffer {
  const letter = 'Compte rendu : échographie abdominale sans particularité. Résultats joints.\r\n';
  if (size <= 64 * 1024) {
    const text = letter.repeat(Math.ceil(size / Buffer.byteLength(letter))).slice(0, size);
    return Buffer.from(HEADER + 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' + text, 'utf8');
  }
  // Pseudo-random but reproducible attachment bytes (no crypto.randomBytes: the figure should not depend on a seed).
  const pdf = Buffer.alloc(Math.floor(size * 0.74));
  for (let i = 0, x = 0x2545f491; i < pdf.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    pdf[i] = x & 0xff;
  }
  const attachment = pdf.toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(HEADER + 'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\n' +
    'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' + letter +
    '--b1\r\nContent-Type: application/pdf; name="resultats.pdf"\r\nContent-Transfer-Encoding: base64\r\n' +
    'Content-Disposition: attachment; filename="resultats.pdf"\r\n\r\n' + attachment + '\r\n--b1--\r\n', 'utf8');
}

/** RSA-2048 private-key operations per second OpenSSL gets from all the cores. */
function opensslRsaSignRate(): number | undefined {
  try {
    const out = execFileSync('openssl', ['speed', '-seconds', '2', '-multi', String(CORES), 'rsa2048'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const row = /rsa\s+2048 bits\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)/.exec(out);
    return row ? Number(row[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Whole-message cost with OpenSSL: one `openssl cms` pipeline per message, as many loops as cores, as an operator would script it. */
async function opensslCmsRate(dir: string, script: string, seconds: number): Promise<number> {
  const once = () => new Promise<void>((resolve, reject) => {
    spawn('sh', ['-c', script], { cwd: dir, stdio: 'ignore' }).on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${script}: exit ${code}`))));
  });
  let count = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CORES }, async (_, loop) => {
    while (count < 3 * CORES || performance.now() - started < seconds * 1000) {
      await once().catch((error: unknown) => { throw new Error(`loop ${loop}: ${(error as Error).message}`); });
      count++;
    }
  }));
  return count / ((performance.now() - started) / 1000);
}

/**
 * The reference lines: `work` run in a loop in one worker thread per core for `seconds`,
 * with the signer's key. Plain JavaScript evaluated in the workers, so that only
 * node:crypto is measured; each thread warms up, then all start together.
 */
async function cryptoInThreads(work: 'sign' | 'floor', keyPem: string, publicPem: string, sizes: { content: number; signed: number }, seconds: number): Promise<number> {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const c = require('node:crypto');
    const key = c.createPrivateKey(workerData.keyPem);
    const pub = c.createPublicKey(workerData.publicPem);
    const content = c.randomBytes(workerData.content), signed = c.randomBytes(workerData.signed), attributes = c.randomBytes(230);
    const op = workerData.work === 'sign' ? () => c.sign('sha256', attributes, key) : () => {
      c.createHash('sha256').update(content).digest();
      c.sign('sha256', attributes, key);
      const contentKey = c.randomBytes(32);
      for (let i = 0; i < 2; i++) c.publicEncrypt({ key: pub, padding: c.constants.RSA_PKCS1_PADDING }, contentKey);
      const cipher = c.createCipheriv('aes-256-cbc', contentKey, c.randomBytes(16));
      Buffer.concat([cipher.update(signed), cipher.final()]);
    };
    for (let i = 0; i < 100; i++) op();
    parentPort.postMessage('ready');
    parentPort.once('message', () => {
      let n = 0; const t0 = performance.now();
      while (performance.now() - t0 < workerData.seconds * 1000) { op(); n++; }
      parentPort.postMessage(n);
    });`;
  const workers = Array.from({ length: CORES }, () => new Worker(source, { eval: true, workerData: { work, keyPem, publicPem, seconds, ...sizes } }));
  const next = (worker: Worker) => new Promise<unknown>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await Promise.all(workers.map(next));
  const started = performance.now();
  const counts = workers.map(next);
  for (const worker of workers) worker.postMessage('go');
  const total = (await Promise.all(counts)).reduce((sum: number, value) => sum + (value as number), 0);
  const result = rateSince(total, started);
  await Promise.all(workers.map((worker) => worker.terminate()));
  return result;
}

export async function benchCms(seconds = Number(process.env.BENCH_SECONDS ?? 2)): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hygie-bench-cms-'));
  const db = await openDatabase({ url: '', dataDir: dir, migrations: [...auditMigrations, ...certStoreMigrations] });
  const pool = new SmimePool({ size: CORES });
  try {
    const pki = await createDevHealthPki({ organisation: 'Banc', keyAlgorithm: 'RSA-2048' });
    const sender = await pki.issueSmime(FROM, { usage: 'dual' });
    const recipient = await pki.issueSmime(TO, { usage: 'dual' });
    const store = new CertificateStore({ db, audit: new AuditTrail(db, systemClock), clock: systemClock });
    await store.addCertificate(pki.persons.certificate, { source: 'issued' });
    await store.addTrustAnchor(pki.root.certificate, 'smime', 'bench');
    for (const credential of [sender, recipient]) await store.addCertificate(credential.certificate.certificate, { source: 'issued', privateKey: credential.privateKey });
    const service = new SmimeService({ certificates: store, operations: pool });

    writeFileSync(path.join(dir, 'signer.pem'), sender.certificate.pem);
    writeFileSync(path.join(dir, 'signer.key'), sender.privateKeyPem);
    writeFileSync(path.join(dir, 'recipient.pem'), recipient.certificate.pem);
    writeFileSync(path.join(dir, 'recipient.key'), recipient.privateKeyPem);
    writeFileSync(path.join(dir, 'chain.pem'), pki.persons.pem);
    writeFileSync(path.join(dir, 'root.pem'), pki.root.pem);

    console.log('');
    console.log(`S/MIME through SmimeService (RSA-2048, AES-256-CBC, detached SHA-256 signatures), ${pool.size} worker threads, ` +
      `${CONCURRENCY} messages in flight, ${seconds} s per figure; openssl cms: ${CORES} loops of processes; ` +
      `load average ${os.loadavg()[0]!.toFixed(2)} on ${CORES} cores at start`);
    const show = (name: string, figure: number, detail = '') => console.log(line(name, figure.toFixed(0), detail));

    for (const [label, size] of [['10 KB', 10 * 1024], ['1 MB', 1024 * 1024]] as const) {
      const plain = message(size);
      const input = `m${size}.eml`;
      writeFileSync(path.join(dir, input), plain);
      const sealed = (await service.signAndEncryptFor(plain, FROM, [TO])).message;
      const decryptVerify = async (): Promise<void> => {
        const opened = await service.decryptAs(sealed, TO);
        if (opened.status !== 'decrypted') throw new Error(`decrypt failed: ${opened.detail}`);
        const verdict = await service.verify(opened.message);
        if (verdict.status !== 'valid') throw new Error(`verify failed: ${JSON.stringify(verdict).slice(0, 200)}`);
      };
      const small = size <= 64 * 1024;
      const sign = await rate(() => service.signAs(plain, FROM), seconds);
      const encrypt = await rate(() => service.encryptFor(plain, [TO, FROM]), seconds);
      // The target figure, with OpenSSL's rate measured right around it.
      const rsaBefore = small ? opensslRsaSignRate() : undefined;
      const signEncrypt = await rate(() => service.signAndEncryptFor(plain, FROM, [TO]), seconds);
      const rsaAfter = small ? opensslRsaSignRate() : undefined;
      const figures = { sign, encrypt, signEncrypt, decryptVerify: await rate(decryptVerify, seconds) };
      const opensslSignEncrypt = await opensslCmsRate(dir,
        `openssl cms -sign -in ${input} -signer signer.pem -inkey signer.key -certfile chain.pem | openssl cms -encrypt -aes-256-cbc -out /dev/null recipient.pem signer.pem`, seconds);
      execFileSync('sh', ['-c', `openssl cms -sign -in ${input} -signer signer.pem -inkey signer.key -certfile chain.pem | openssl cms -encrypt -aes-256-cbc -out sealed.p7m recipient.pem signer.pem`], { cwd: dir });
      const opensslDecryptVerify = await opensslCmsRate(dir,
        'openssl cms -decrypt -in sealed.p7m -recip recipient.pem -inkey recipient.key | openssl cms -verify -CAfile root.pem -certfile chain.pem -out /dev/null', seconds);
      const versus = (ours: number, theirs: number) => `openssl cms ${theirs.toFixed(0)}/s: ours ×${(ours / theirs).toFixed(2)}`;

      show(`${label}: sign (msg/s)`, figures.sign);
      show(`${label}: encrypt, 2 recipients (msg/s)`, figures.encrypt);
      show(`${label}: sign+encrypt (msg/s)`, figures.signEncrypt, versus(figures.signEncrypt, opensslSignEncrypt));
      if (rsaBefore && rsaAfter) {
        const rsa = Math.max(rsaBefore, rsaAfter);
        const percent = (figure: number) => `${(100 * figure / rsa).toFixed(0)} %`;
        console.log(line('openssl speed rsa2048: private-key operations/s', `${rsaBefore.toFixed(0)}, ${rsaAfter.toFixed(0)}`,
          `-multi ${CORES}, just before and after; ratios use the higher`));
        console.log(line(`${label}: sign+encrypt / openssl's RSA-2048 rate`, percent(figures.signEncrypt), 'target ≥ 80 %'));
        const signedSize = (await service.signAs(plain, FROM)).message.length;
        const sizes = { content: plain.length, signed: signedSize };
        const bare = await cryptoInThreads('sign', sender.privateKeyPem, recipient.certificate.pem, sizes, seconds);
        const floor = await cryptoInThreads('floor', sender.privateKeyPem, recipient.certificate.pem, sizes, seconds);
        show('  reference: Node crypto.sign alone (ops/s)', bare, `${percent(bare)} of openssl, ${CORES} threads`);
        show('  reference: unavoidable crypto only (msg/s)', floor,
          `${percent(floor)}: 1 RSA signature, 2 RSA encryptions, SHA-256 ${(plain.length / 1024).toFixed(0)} KB, AES ${(signedSize / 1024).toFixed(0)} KB`);
      }
      show(`${label}: decrypt+verify (msg/s)`, figures.decryptVerify, versus(figures.decryptVerify, opensslDecryptVerify));
    }
  } finally {
    await pool.close();
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
