/**
 * The relay benchmark (issue 6): 10 KB messages submitted by 10 parallel clients to
 * operator A, signed and encrypted there for a regional S/MIME partner, queued, and
 * delivered over TLS to a second operator C on loopback. Both run as their own
 * processes (`hygie start`). Reports the submission rate and latency (each 250 after
 * durable storage), the end-to-end delivered rate (until C holds every message), and A's
 * peak memory, and the CPU time each process spent per message (from /proc: less
 * dependent on what else the machine runs than the rates). C keeps the messages as
 * received (its user's key is not on C), so the figure is A's relay work, not C's
 * decryption (which the CMS benchmark measures). BENCH_NODE_ARGS passes options to both
 * operators' Node (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 * Also: plain inbound acceptance on A's MX. Postfix, where installed, gets the same
 * load for a ratio.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { openContext } from '../app/context.js';
import { DevHealthPkiService, ensureDevPki } from '../certs/index.js';
import { freePort, spawnOperator, type SpawnedOperator } from '../conformance-tests/harness.js';
import { loadConfig } from '../core/config.js';
import { Logger } from '../core/logger.js';
import { runLoad } from './load.js';
import { cpuMicrosOf, installed, peakRssOf } from './processes.js';
import { line, mib, summarise } from './stats.js';

const MESSAGES = Number(process.env.BENCH_RELAY_MESSAGES ?? 2000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const SIZE = Number(process.env.BENCH_SIZE ?? 10240);
const PASSWORD = 'mot de passe du banc relais';
const quiet = new Logger({ level: 'error', format: 'text', write: () => {} });

const A_DOMAINS = { regional: 'region-a.test', mssante: 'region-a.mssante.test', apicryptHealth: 'medical.apicrypt.region-a.test', apicryptOther: 'apicrypt.region-a.test', apicryptLabel: 'ra' };
const C_DOMAINS = { regional: 'partenaire.test', mssante: 'partenaire.mssante.test', apicryptHealth: 'medical.apicrypt.partenaire.test', apicryptOther: 'apicrypt.partenaire.test', apicryptLabel: 'pc' };

function envFor(dataDir: string, domains: typeof A_DOMAINS, extra: Record<string, string>): Record<string, string> {
  return {
    HYGIE_SERVER_DATA_DIR: dataDir, HYGIE_OPERATOR_DOMAINS_REGIONAL: domains.regional, HYGIE_OPERATOR_DOMAINS_MSSANTE: domains.mssante,
    HYGIE_OPERATOR_DOMAINS_APICRYPT_HEALTH: domains.apicryptHealth, HYGIE_OPERATOR_DOMAINS_APICRYPT_OTHER: domains.apicryptOther,
    HYGIE_OPERATOR_DOMAINS_APICRYPT_LABEL: domains.apicryptLabel, HYGIE_AUTH_MAX_FAILURES: '1000', HYGIE_SMTP_MAX_MESSAGES_PER_HOUR: '0', ...extra,
  };
}

/** Prepares a data folder as the operator would: users, S/MIME credentials, trust. */
async function prepare(env: Record<string, string>, work: (context: Awaited<ReturnType<typeof openContext>>) => Promise<void>): Promise<void> {
  const { config } = loadConfig({ env });
  const context = await openContext(config, quiet);
  try {
    await work(context);
  } finally {
    await context.close();
  }
}

async function countAt(operator: SpawnedOperator, ca: string, user: string): Promise<number> {
  const client = new ImapFlow({ host: '127.0.0.1', port: operator.ports.imap!, secure: false, doSTARTTLS: true, tls: { ca, servername: 'localhost' }, auth: { user, pass: PASSWORD }, logger: false });
  await client.connect();
  try {
    const status = await client.status('INBOX', { messages: true });
    return status ? status.messages ?? 0 : 0;
  } finally {
    await client.logout();
  }
}

export async function benchRelay(): Promise<void> {
  const dirA = mkdtempSync(path.join(os.tmpdir(), 'hygie-relay-a-'));
  const dirC = mkdtempSync(path.join(os.tmpdir(), 'hygie-relay-c-'));
  let a: SpawnedOperator | undefined;
  let c: SpawnedOperator | undefined;
  try {
    const cMx = await freePort();
    const caC = (await ensureDevPki({ dir: path.join(dirC, 'pki'), hostnames: ['mx.partenaire.test', 'localhost'], organisation: 'Partenaire C' })).caCertFile;
    await ensureDevPki({ dir: path.join(dirA, 'pki'), hostnames: ['mail.region-a.test', 'localhost'], organisation: 'Région A' });
    const envC = envFor(dirC, C_DOMAINS, { HYGIE_SMTP_MX_PORT: String(cMx) });
    const envA = envFor(dirA, A_DOMAINS, {
      HYGIE_NETWORKS_REGIONAL_DOMAINS: C_DOMAINS.regional, HYGIE_NETWORKS_REGIONAL_RELAY_HOST: '127.0.0.1',
      HYGIE_NETWORKS_REGIONAL_PORT: String(cMx), HYGIE_NETWORKS_REGIONAL_CA_FILE: caC,
    });
    await prepare(envC, async (context) => {
      await context.mailboxes.createPersonalMailbox({ firstName: 'Claire', lastName: 'Morin', password: PASSWORD, actor: 'bench' });
    });
    await prepare(envA, async (context) => {
      await context.mailboxes.createPersonalMailbox({ firstName: 'Anne', lastName: 'Kerjean', rpps: '99700218896', password: PASSWORD, actor: 'bench' });
      const pki = new DevHealthPkiService({ dir: path.join(dirA, 'pki', 'health'), organisation: 'Région A', certificates: context.certificates, audit: context.audit });
      await pki.issueSmime('anne.kerjean@region-a.test', { usage: 'dual', keyAlgorithm: 'RSA-2048', actor: 'bench' });
      // The partner's encryption certificate, as A would have it from the directory (its key stays with the partner).
      const partner = await (await pki.open('bench')).pki.issueSmime('claire.morin@partenaire.test', { usage: 'dual', keyAlgorithm: 'RSA-2048' });
      await context.certificates.importPem(partner.certificate.pem, { actor: 'bench' });
    });
    // BENCH_NODE_ARGS reaches the operators' node, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof' to see where their time goes.
    const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
    c = await spawnOperator(dirC, envC, nodeArgs);
    a = await spawnOperator(dirA, envA, nodeArgs);
    const caA = readFileSync(path.join(dirA, 'pki', 'ca.crt'), 'utf8');
    const caOfC = readFileSync(caC, 'utf8');

    console.log(`Relay benchmark — ${MESSAGES} messages of ${SIZE} bytes, ${CONNECTIONS} clients, A signs+encrypts (RSA-2048, AES-256-CBC) and relays to C over TLS; ${os.cpus().length} cores`);
    const body = 'Compte rendu de consultation, ligne de texte ordinaire.\r\n'.repeat(Math.ceil(SIZE / 57)).slice(0, SIZE);
    const transport = nodemailer.createTransport({
      pool: true, maxConnections: CONNECTIONS, maxMessages: Infinity, host: '127.0.0.1', port: a.ports.submission, secure: false, requireTLS: true,
      tls: { ca: caA, servername: 'localhost' }, auth: { user: 'anne.kerjean@region-a.test', pass: PASSWORD },
    });
    const cpuBefore = [cpuMicrosOf(a.child.pid!), cpuMicrosOf(c.child.pid!), cpuMicrosOf(process.pid)];
    const started = performance.now();
    const { latencies, seconds: submitted } = await runLoad(MESSAGES, CONNECTIONS,
      // Raw messages, as the inbound load below: the clients' own MIME building is not what is measured.
      (n) => transport.sendMail({
        envelope: { from: 'anne.kerjean@region-a.test', to: ['claire.morin@partenaire.test'] },
        raw: `From: Anne Kerjean <anne.kerjean@region-a.test>\r\nTo: <claire.morin@partenaire.test>\r\nSubject: Compte rendu ${n}\r\nMessage-ID: <relais-${n}@banc.region-a.test>\r\nDate: ${new Date().toUTCString()}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}`,
      }));
    transport.close();
    let delivered = 0;
    while ((delivered = await countAt(c, caOfC, 'claire.morin@partenaire.test')) < MESSAGES) {
      if (performance.now() - started > 600_000) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const endToEnd = (performance.now() - started) / 1000;
    const [cpuA, cpuC, cpuClients] = [a.child.pid!, c.child.pid!, process.pid].map((pid, i) => (cpuMicrosOf(pid) - cpuBefore[i]!) / MESSAGES);
    const s = summarise(latencies);
    console.log(line('submitted, signed+encrypted, queued (msg/s)', (MESSAGES / submitted).toFixed(0), `${MESSAGES} in ${submitted.toFixed(2)} s`));
    console.log(line('  submission latency (ms)', `p50 ${s.p50.toFixed(1)}`, `p95 ${s.p95.toFixed(1)}  p99 ${s.p99.toFixed(1)}  max ${s.max.toFixed(1)}`));
    console.log(line('delivered to the second instance (msg/s)', (delivered / endToEnd).toFixed(0), `${delivered}/${MESSAGES} stored at C after ${endToEnd.toFixed(2)} s (target ≥ 300)`));
    console.log(line('  CPU per message (µs)', `A ${cpuA!.toFixed(0)}`, `C (receiving) ${cpuC!.toFixed(0)}  clients ${cpuClients!.toFixed(0)}`));
    console.log(line('operator A peak RSS', mib(peakRssOf(a.child.pid!)), `C: ${mib(peakRssOf(c.child.pid!))}`));

    // Inbound plain acceptance on A's MX, for a local box.
    const mx = nodemailer.createTransport({ pool: true, maxConnections: CONNECTIONS, maxMessages: Infinity, host: '127.0.0.1', port: a.ports.smtp, secure: false, requireTLS: true, tls: { ca: caA, servername: 'localhost' } });
    const { latencies: inbound, seconds: inboundSeconds } = await runLoad(MESSAGES, CONNECTIONS, (n) => mx.sendMail({
      envelope: { from: 'labo@ailleurs.example', to: ['anne.kerjean@region-a.test'] },
      raw: `From: <labo@ailleurs.example>\r\nTo: <anne.kerjean@region-a.test>\r\nSubject: Résultat ${n}\r\n\r\n${body}`,
    }));
    mx.close();
    const si = summarise(inbound);
    console.log(line('inbound plain MX acceptance to the store (msg/s)', (MESSAGES / inboundSeconds).toFixed(0), `p50 ${si.p50.toFixed(1)} ms  p99 ${si.p99.toFixed(1)} ms`));
    if (!installed('postfix')) console.log('reference postfix: not installed here, no ratio');
  } finally {
    for (const operator of [a, c]) {
      if (operator && operator.child.exitCode === null) {
        operator.child.kill('SIGTERM');
        await new Promise((resolve) => operator.child.once('exit', resolve));
      }
    }
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirC, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) await benchRelay();
