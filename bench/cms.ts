/**
 * S/MIME figures (issue 4): sign, encrypt, sign+encrypt and decrypt+verify per second,
 * in-process, for a 10 KB and a 1 MB message with RSA-2048 certificates from the
 * development health PKI — next to OpenSSL measured in the same run on the same cores:
 * `openssl speed rsa2048` (the private-key operation that bounds signing) and a loop of
 * `openssl cms` processes doing the same whole-message work.
 */
import { execFileSync } from 'node:child_process';
import { KeyObject, randomBytes, sign as nodeSign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createDevHealthPki } from '../certs/authority/index.js';
import { decryptMessage } from '../certs/cms/decrypt.js';
import { encryptMessage } from '../certs/cms/encrypt.js';
import { signMessage } from '../certs/cms/sign.js';
import { verifyMessage } from '../certs/cms/verify.js';
import { TrustStore } from '../certs/trust/index.js';
import { line } from './stats.js';

/** In flight at once, as a gateway handling several sessions has them: the RSA work runs on libuv's threads. */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);

/** Runs `operation` with CONCURRENCY in flight for about `seconds`; returns completed operations per second. */
async function rate(operation: () => Promise<unknown>, seconds: number): Promise<number> {
  let count = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < deadline) {
      await operation();
      count++;
    }
  }));
  return count / ((performance.now() - started) / 1000);
}

const HEADER = 'From: Dr Hélène Durand <helene.durand@esante-demo.test>\r\nTo: paul.martin@esante-demo.test\r\n' +
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
  const attachment = randomBytes(Math.floor(size * 0.74)).toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(HEADER + 'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\n' +
    'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' + letter +
    '--b1\r\nContent-Type: application/pdf; name="resultats.pdf"\r\nContent-Transfer-Encoding: base64\r\n' +
    'Content-Disposition: attachment; filename="resultats.pdf"\r\n\r\n' + attachment + '\r\n--b1--\r\n', 'utf8');
}

/** RSA-2048 private-key operations per second OpenSSL gets from all the cores. */
function opensslRsaSignRate(): number | undefined {
  try {
    const out = execFileSync('openssl', ['speed', '-seconds', '2', '-multi', String(os.cpus().length), 'rsa2048'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const row = /rsa\s+2048 bits\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)/.exec(out) ?? /rsa\s+2048 bits\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)/m.exec(out);
    return row ? Number(row[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Whole-message cost with OpenSSL: one `openssl cms` pipeline per message, as an operator would script it. */
function opensslCmsRate(dir: string, input: string, script: string, seconds: number): number {
  let count = 0;
  const started = performance.now();
  while (count < 3 || performance.now() - started < seconds * 1000) {
    execFileSync('sh', ['-c', script.replaceAll('$IN', input)], { cwd: dir, stdio: 'ignore' });
    count++;
  }
  return count / ((performance.now() - started) / 1000);
}

export async function benchCms(seconds = Number(process.env.BENCH_SECONDS ?? 2)): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hygie-bench-cms-'));
  try {
    const pki = await createDevHealthPki({ organisation: 'Banc', keyAlgorithm: 'RSA-2048' });
    const sender = await pki.issueSmime('helene.durand@esante-demo.test', { usage: 'dual' });
    const recipient = await pki.issueSmime('paul.martin@esante-demo.test', { usage: 'dual' });
    const trust = new TrustStore({ anchors: [pki.root.certificate], intermediates: [pki.persons.certificate] });
    const signer = { certificate: sender.certificate.certificate, privateKey: sender.privateKey, chain: sender.chain.map((c) => c.certificate) };
    const recipients = [recipient.certificate.certificate, sender.certificate.certificate];
    const keys = [{ certificate: recipient.certificate.certificate, privateKey: recipient.privateKey }];
    writeFileSync(path.join(dir, 'signer.pem'), sender.certificate.pem);
    writeFileSync(path.join(dir, 'signer.key'), sender.privateKeyPem);
    writeFileSync(path.join(dir, 'recipient.pem'), recipient.certificate.pem);
    writeFileSync(path.join(dir, 'recipient.key'), recipient.privateKeyPem);
    writeFileSync(path.join(dir, 'chain.pem'), pki.persons.pem);
    writeFileSync(path.join(dir, 'root.pem'), pki.root.pem);

    const rsaSign = opensslRsaSignRate();
    // The ceiling for any Node code: the bare RSA operation through crypto.sign on libuv's threads.
    const keyObject = KeyObject.from(sender.privateKey);
    const bareSign = await rate(() => new Promise((resolve, reject) => {
      nodeSign('sha256', Buffer.alloc(64, 1), keyObject, (error, signature) => (error ? reject(error) : resolve(signature)));
    }), seconds);
    console.log('');
    console.log(`S/MIME (RSA-2048, AES-256-CBC, detached SHA-256 signatures), ${CONCURRENCY} in flight, ${seconds} s per figure`);
    if (rsaSign) console.log(line('openssl speed rsa2048: private-key operations/s', rsaSign.toFixed(0), `all ${os.cpus().length} cores`));
    console.log(line('Node crypto.sign alone, RSA-2048 (ops/s)', bareSign.toFixed(0),
      rsaSign ? `${(100 * bareSign / rsaSign).toFixed(0)} % of openssl: the ceiling for in-process Node code` : ''));

    for (const [label, size] of [['10 KB', 10 * 1024], ['1 MB', 1024 * 1024]] as const) {
      const plain = message(size);
      writeFileSync(path.join(dir, `m${size}.eml`), plain);
      const signed = await signMessage(plain, signer);
      const sealed = await encryptMessage(signed, recipients);
      const decryptVerify = async (): Promise<void> => {
        const opened = await decryptMessage(sealed, keys);
        if (opened.status !== 'decrypted') throw new Error(`decrypt failed: ${opened.detail}`);
        const verdict = await verifyMessage(opened.message, { trust });
        if (verdict.status !== 'valid') throw new Error(`verify failed: ${JSON.stringify(verdict).slice(0, 200)}`);
      };
      const figures = {
        sign: await rate(() => signMessage(plain, signer), seconds),
        encrypt: await rate(() => encryptMessage(plain, recipients), seconds),
        signEncrypt: await rate(async () => encryptMessage(await signMessage(plain, signer), recipients), seconds),
        decryptVerify: await rate(decryptVerify, seconds),
      };
      const input = `m${size}.eml`;
      const opensslSignEncrypt = opensslCmsRate(dir, input,
        'openssl cms -sign -in $IN -signer signer.pem -inkey signer.key -certfile chain.pem | openssl cms -encrypt -aes-256-cbc -out out.p7m recipient.pem signer.pem', seconds);
      execFileSync('sh', ['-c', `openssl cms -sign -in ${input} -signer signer.pem -inkey signer.key -certfile chain.pem | openssl cms -encrypt -aes-256-cbc -out sealed.p7m recipient.pem signer.pem`], { cwd: dir });
      const opensslDecryptVerify = opensslCmsRate(dir, input,
        'openssl cms -decrypt -in sealed.p7m -recip recipient.pem -inkey recipient.key | openssl cms -verify -CAfile root.pem -certfile chain.pem -out /dev/null', seconds);

      console.log(line(`${label}: sign (msg/s)`, figures.sign.toFixed(0)));
      console.log(line(`${label}: encrypt, 2 recipients (msg/s)`, figures.encrypt.toFixed(0)));
      console.log(line(`${label}: sign+encrypt (msg/s)`, figures.signEncrypt.toFixed(0),
        `openssl cms ${opensslSignEncrypt.toFixed(0)}/s → ×${(figures.signEncrypt / opensslSignEncrypt).toFixed(2)}` +
        (rsaSign && size <= 10240 ? `; ${(100 * figures.signEncrypt / rsaSign).toFixed(0)} % of openssl's RSA-2048 sign rate (target ≥ 80 %)` : '')));
      console.log(line(`${label}: decrypt+verify (msg/s)`, figures.decryptVerify.toFixed(0),
        `openssl cms ${opensslDecryptVerify.toFixed(0)}/s → ×${(figures.decryptVerify / opensslDecryptVerify).toFixed(2)}`));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
