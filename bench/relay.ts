/**
 * The relay benchmark (issue 6): 10 KB messages submitted by 10 parallel clients to
 * operator A, signed and encrypted there for a regional S/MIME partner, queued, and
 * delivered over TLS to a second operator C on loopback. Both run as their own
 * processes (`hygie start`). Reports the submission rate and latency (each 250 after
 * durable storage), the end-to-end delivered rate (until C holds every message), and A's
 * peak memory, and the CPU time each side spent per message (from /proc: less
 * dependent on what else the machine runs than the rates). C keeps the messages as
 * received (its user's key is not on C), so the figure is A's relay work, not C's
 * decryption (which the CMS benchmark measures). BENCH_NODE_ARGS passes options to both
 * operators' Node (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 * Also: plain inbound acceptance on A's MX, for a local box.
 * Postfix, where installed (bench/postfix.ts), gets the same loads from the same client
 * code in the same run — a Postfix A taking submission and MX mail, relaying over TLS to
 * a Postfix C — and the figures come as ratios. Postfix does no S/MIME: the relay ratio
 * sets our sign+encrypt relay against Postfix's plain TLS relay.
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
import { postfixUnavailable, startPostfix } from './postfix.js';
import { cpuMeterOf, peakRssOf, peakSampler, treePssOf } from './processes.js';
import { line, mib, summarise } from './stats.js';

const MESSAGES = Number(process.env.BENCH_RELAY_MESSAGES ?? 2000);
/**
 * Messages sent through each load before it is measured, and not counted: a Node process
 * compiles its hot paths during its first seconds, and an operator in service is past
 * them. Postfix gets the same warm-up. BENCH_RELAY_WARMUP=0 measures from a cold start.
 */
const WARMUP = Number(process.env.BENCH_RELAY_WARMUP ?? 500);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const SIZE = Number(process.env.BENCH_SIZE ?? 10240);
const PASSWORD = 'mot de passe du banc relais';
const SENDER = 'anne.kerjean@region-a.test';
const PARTNER = 'claire.morin@partenaire.test';
const quiet = new Logger({ level: 'error', format: 'text', write: () => {} });

const A_DOMAINS = { regional: 'region-a.test', mssante: 'region-a.mssante.test', apicryptHealth: 'medical.apicrypt.region-a.test', apicryptOther: 'apicrypt.region-a.test', apicryptLabel: 'ra' };
const C_DOMAINS = { regional: 'partenaire.test', mssante: 'partenaire.mssante.test', apicryptHealth: 'medical.apicrypt.partenaire.test', apicryptOther: 'apicrypt.partenaire.test', apicryptLabel: 'pc' };

/** An SMTP service the clients talk to: STARTTLS verified against `ca`, AUTH when `auth` is given. */
interface SmtpTarget { port: number; ca: string; auth?: { user: string; pass: string } }

/** A pair of mail systems under the same loads: A takes submission and MX mail, relays to C. */
interface RelayPair {
  submission: SmtpTarget;
  mx: SmtpTarget;
  /** Messages that reached the partner's box at C so far. */
  deliveredAtC(): Promise<number>;
  /** Messages in the sender's own box at A (the inbound load's recipient) so far. */
  storedAtA(): Promise<number>;
  /** CPU time (µs) A and C have used since the pair started. */
  cpu(): { a: number; c: number };
  /** Peak memory of A and C so far, and how it is measured. */
  memory(): { a: number; c: number; how: string };
  stop(): Promise<void>;
}

interface Figures {
  submittedSeconds: number;
  submission: ReturnType<typeof summarise>;
  delivered: number;
  deliveredSeconds: number;
  cpuPerMessage: { a: number; c: number; clients: number };
  memory: { a: number; c: number; how: string };
  inboundSeconds: number;
  inbound: ReturnType<typeof summarise>;
  inboundStored: number;
  /** A's CPU time per inbound message, until all are in the box. */
  inboundCpuPerMessage: number;
  inboundStoredSeconds: number;
}

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

/**
 * Counts a user's INBOX over one IMAP session kept open (STATUS at each poll): logging
 * in at every poll would spend a password hash on the measured operator each time.
 */
function inboxCounter(operator: SpawnedOperator, ca: string, user: string): { count(): Promise<number>; close(): Promise<void> } {
  let session: Promise<ImapFlow> | undefined;
  const open = async (): Promise<ImapFlow> => {
    const client = new ImapFlow({ host: '127.0.0.1', port: operator.ports.imap!, secure: false, doSTARTTLS: true, tls: { ca, servername: 'localhost' }, auth: { user, pass: PASSWORD }, logger: false });
    await client.connect();
    return client;
  };
  return {
    async count() {
      session ??= open();
      const status = await (await session).status('INBOX', { messages: true });
      return status ? status.messages ?? 0 : 0;
    },
    async close() {
      if (session) await (await session).logout().catch(() => {});
    },
  };
}

/** Hygie operators A and C, each its own `hygie start` process; A signs and encrypts for C's user. */
async function startHygiePair(): Promise<RelayPair> {
  const dirA = mkdtempSync(path.join(os.tmpdir(), 'hygie-relay-a-'));
  const dirC = mkdtempSync(path.join(os.tmpdir(), 'hygie-relay-c-'));
  let a: SpawnedOperator | undefined;
  let c: SpawnedOperator | undefined;
  const counters: { close(): Promise<void> }[] = [];
  const stop = async (): Promise<void> => {
    for (const counter of counters) await counter.close();
    for (const operator of [a, c]) {
      if (operator && operator.child.exitCode === null) {
        operator.child.kill('SIGTERM');
        await new Promise((resolve) => operator.child.once('exit', resolve));
      }
    }
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirC, { recursive: true, force: true });
  };
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
      await pki.issueSmime(SENDER, { usage: 'dual', keyAlgorithm: 'RSA-2048', actor: 'bench' });
      // The partner's encryption certificate, as A would have it from the directory (its key stays with the partner).
      const partner = await (await pki.open('bench')).pki.issueSmime(PARTNER, { usage: 'dual', keyAlgorithm: 'RSA-2048' });
      await context.certificates.importPem(partner.certificate.pem, { actor: 'bench' });
    });
    // BENCH_NODE_ARGS reaches the operators' node, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof' to see where their time goes.
    const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
    c = await spawnOperator(dirC, envC, nodeArgs);
    a = await spawnOperator(dirA, envA, nodeArgs);
    const [operatorA, operatorC] = [a, c];
    const caA = readFileSync(path.join(dirA, 'pki', 'ca.crt'), 'utf8');
    const caOfC = readFileSync(caC, 'utf8');
    const [cpuA, cpuC] = [cpuMeterOf(a.child.pid!), cpuMeterOf(c.child.pid!)];
    const [atC, atA] = [inboxCounter(operatorC, caOfC, PARTNER), inboxCounter(operatorA, caA, SENDER)];
    counters.push(atC, atA);
    return {
      submission: { port: a.ports.submission!, ca: caA, auth: { user: SENDER, pass: PASSWORD } },
      mx: { port: a.ports.smtp!, ca: caA },
      deliveredAtC: () => atC.count(),
      storedAtA: () => atA.count(),
      cpu: () => ({ a: cpuA(), c: cpuC() }),
      memory: () => ({ a: peakRssOf(operatorA.child.pid!), c: peakRssOf(operatorC.child.pid!), how: 'peak RSS' }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Postfix A (submission with AUTH where possible, MX, maildir for the sender) relaying over verified TLS to Postfix C (maildir). */
async function startPostfixPair(): Promise<RelayPair & { describe: string }> {
  const c = await startPostfix({ hostname: 'mx.partenaire.test', mailboxes: { [PARTNER]: 'claire' } });
  try {
    const a = await startPostfix({
      hostname: 'mail.region-a.test', mailboxes: { [SENDER]: 'anne' }, submission: { user: SENDER, password: PASSWORD },
      relay: { domain: C_DOMAINS.regional, port: c.mxPort, caFile: c.caFile, servername: 'mx.partenaire.test' },
    });
    const ca = readFileSync(a.caFile, 'utf8');
    const [cpuA, cpuC] = [cpuMeterOf(a.masterPid), cpuMeterOf(c.masterPid)];
    const [memoryA, memoryC] = [peakSampler(() => treePssOf(a.masterPid), 250), peakSampler(() => treePssOf(c.masterPid), 250)];
    return {
      describe: `Postfix ${a.version}: submission STARTTLS + ${a.submissionAuth}, relay over verified TLS with connection reuse, virtual maildirs, fsync'ed queue; no S/MIME`,
      submission: { port: a.submissionPort!, ca, auth: a.submissionAuth?.startsWith('AUTH') ? { user: SENDER, pass: PASSWORD } : undefined },
      mx: { port: a.mxPort, ca },
      deliveredAtC: async () => c.delivered('claire'),
      storedAtA: async () => a.delivered('anne'),
      cpu: () => ({ a: cpuA(), c: cpuC() }),
      memory: () => ({ a: memoryA(), c: memoryC(), how: 'peak of summed PSS of its processes, sampled every 250 ms' }),
      stop: async () => {
        await a.stop();
        await c.stop();
      },
    };
  } catch (error) {
    await c.stop();
    throw error;
  }
}

/** `count` messages to one target from CONNECTIONS pooled nodemailer clients, each 250 timed. */
async function sendAll(target: SmtpTarget, message: (n: number) => { from: string; to: string; raw: string }, count = MESSAGES): Promise<{ latencies: number[]; seconds: number }> {
  const transport = nodemailer.createTransport({
    pool: true, maxConnections: CONNECTIONS, maxMessages: Infinity, host: '127.0.0.1', port: target.port, secure: false, requireTLS: true,
    tls: { ca: target.ca, servername: 'localhost' }, auth: target.auth,
  });
  try {
    return await runLoad(count, CONNECTIONS, (n) => {
      const { from, to, raw } = message(n);
      return transport.sendMail({ envelope: { from, to: [to] }, raw });
    });
  } finally {
    transport.close();
  }
}

/** Polls `count` until it reaches `expected` (or 10 minutes pass); seconds since `started`. */
/** Said after a count that stopped short: the rate beside it is not the system's. */
const incomplete = (arrived: number): string => (arrived < MESSAGES
  ? `; INCOMPLETE: nothing more arrived for ${STALL_MS / 1000} s (refused or lost: see the operators' audit trail)` : '');

/** How long the count may stay still before the wait gives up (messages refused or lost would never arrive). */
const STALL_MS = 30_000;

/** Polls `count` until it reaches `expected` more than `base`, or stays still for STALL_MS; the report says how many arrived. */
async function waitFor(count: () => Promise<number>, expected: number, started: number, base = 0): Promise<{ reached: number; seconds: number }> {
  let reached = 0;
  let lastProgress = performance.now();
  for (;;) {
    const now = await count() - base;
    if (now !== reached) lastProgress = performance.now();
    reached = now;
    if (reached >= expected || performance.now() - lastProgress > STALL_MS) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { reached, seconds: (performance.now() - started) / 1000 };
}

// Raw messages, the same bytes for every system: the clients' own MIME building is not what is measured.
const body = 'Compte rendu de consultation, ligne de texte ordinaire.\r\n'.repeat(Math.ceil(SIZE / 57)).slice(0, SIZE);
const relayed = (n: number): { from: string; to: string; raw: string } => ({
  from: SENDER, to: PARTNER,
  raw: `From: Anne Kerjean <${SENDER}>\r\nTo: <${PARTNER}>\r\nSubject: Compte rendu ${n}\r\nMessage-ID: <relais-${n}@banc.region-a.test>\r\nDate: ${new Date().toUTCString()}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}`,
});
const inbound = (n: number): { from: string; to: string; raw: string } => ({
  from: 'labo@ailleurs.example', to: SENDER,
  raw: `From: <labo@ailleurs.example>\r\nTo: <${SENDER}>\r\nSubject: Résultat ${n}\r\n\r\n${body}`,
});

/** Sends `WARMUP` messages of a load and waits until they have all arrived; returns how many there are now. */
async function warmUp(target: SmtpTarget, message: (n: number) => { from: string; to: string; raw: string }, arrived: () => Promise<number>): Promise<number> {
  const before = await arrived();
  if (WARMUP <= 0) return before;
  await sendAll(target, (n) => message(MESSAGES + n), WARMUP);
  await waitFor(arrived, WARMUP, performance.now(), before);
  return arrived();
}

/** Both loads on a pair, the relay first, then plain inbound mail to A's MX for a local box; each after its warm-up. */
async function measure(pair: RelayPair): Promise<Figures> {
  const atC = await warmUp(pair.submission, relayed, () => pair.deliveredAtC());
  const cpuBefore = { ...pair.cpu(), clients: process.cpuUsage() };
  const started = performance.now();
  const submitted = await sendAll(pair.submission, relayed);
  const delivered = await waitFor(() => pair.deliveredAtC(), MESSAGES, started, atC);
  const cpuAfter = pair.cpu();
  const clients = process.cpuUsage(cpuBefore.clients);
  const cpuPerMessage = { a: (cpuAfter.a - cpuBefore.a) / MESSAGES, c: (cpuAfter.c - cpuBefore.c) / MESSAGES, clients: (clients.user + clients.system) / MESSAGES };
  const atA = await warmUp(pair.mx, inbound, () => pair.storedAtA());
  const cpuBeforeInbound = pair.cpu().a;
  const inboundStarted = performance.now();
  const accepted = await sendAll(pair.mx, inbound);
  const stored = await waitFor(() => pair.storedAtA(), MESSAGES, inboundStarted, atA);
  const inboundCpuPerMessage = (pair.cpu().a - cpuBeforeInbound) / MESSAGES;
  return {
    submittedSeconds: submitted.seconds, submission: summarise(submitted.latencies), delivered: delivered.reached, deliveredSeconds: delivered.seconds,
    cpuPerMessage, memory: pair.memory(), inboundSeconds: accepted.seconds, inbound: summarise(accepted.latencies),
    inboundStored: stored.reached, inboundStoredSeconds: stored.seconds, inboundCpuPerMessage,
  };
}

async function measureOn<Pair extends RelayPair>(start: () => Promise<Pair>, report: (pair: Pair, figures: Figures) => void): Promise<Figures> {
  const pair = await start();
  try {
    const figures = await measure(pair);
    report(pair, figures);
    return figures;
  } finally {
    await pair.stop();
  }
}

const rate = (count: number, seconds: number): number => count / seconds;

function report(prefix: string, f: Figures, targets: { delivered: string; inbound: string }): void {
  console.log(line(`${prefix}submitted, queued (msg/s)`, rate(MESSAGES, f.submittedSeconds).toFixed(0), `${MESSAGES} in ${f.submittedSeconds.toFixed(2)} s`));
  console.log(line('  submission latency (ms)', `p50 ${f.submission.p50.toFixed(1)}`, `p95 ${f.submission.p95.toFixed(1)}  p99 ${f.submission.p99.toFixed(1)}  max ${f.submission.max.toFixed(1)}`));
  console.log(line(`${prefix}delivered to the second instance (msg/s)`, rate(f.delivered, f.deliveredSeconds).toFixed(0), `${f.delivered}/${MESSAGES} stored at C after ${f.deliveredSeconds.toFixed(2)} s${targets.delivered}${incomplete(f.delivered)}`));
  console.log(line('  CPU per relayed message (µs)', `A ${f.cpuPerMessage.a.toFixed(0)}`, `C (receiving) ${f.cpuPerMessage.c.toFixed(0)}  clients ${f.cpuPerMessage.clients.toFixed(0)}`));
  console.log(line(`${prefix}A memory`, mib(f.memory.a), `C: ${mib(f.memory.c)} (${f.memory.how})`));
  console.log(line(`${prefix}inbound plain MX acceptance (msg/s)`, rate(MESSAGES, f.inboundSeconds).toFixed(0), `p50 ${f.inbound.p50.toFixed(1)} ms  p99 ${f.inbound.p99.toFixed(1)} ms${targets.inbound}`));
  console.log(line('  in the box at A (msg/s)', rate(f.inboundStored, f.inboundStoredSeconds).toFixed(0), `${f.inboundStored}/${MESSAGES} after ${f.inboundStoredSeconds.toFixed(2)} s (polled every 200 ms)${incomplete(f.inboundStored)}`));
  console.log(line('  CPU per inbound message at A (µs)', f.inboundCpuPerMessage.toFixed(0)));
}

function ratio(ours: number, theirs: number): string {
  return `${(ours / theirs).toFixed(2)}×`;
}

export async function benchRelay(): Promise<void> {
  console.log(`Relay benchmark — ${MESSAGES} messages of ${SIZE} bytes, ${CONNECTIONS} clients, A signs+encrypts (RSA-2048, AES-256-CBC) and relays to C over TLS; ${os.cpus().length} cores; `
    + (WARMUP > 0 ? `each load measured after a warm-up of ${WARMUP} messages, not counted (BENCH_RELAY_WARMUP)` : 'measured from a cold start'));
  const ours = await measureOn(startHygiePair, (_pair, figures) => report('', figures, { delivered: ' (target ≥ 300)', inbound: '' }));
  const unavailable = postfixUnavailable();
  if (unavailable) {
    console.log(`reference postfix: ${unavailable}, no ratio`);
    return;
  }
  await measureOn(startPostfixPair, (pair, postfix) => {
    console.log(`reference — ${pair.describe}`);
    report('Postfix: ', postfix, { delivered: '', inbound: '' });
    console.log(line('Hygie/Postfix, relay delivered (msg/s)', ratio(rate(ours.delivered, ours.deliveredSeconds), rate(postfix.delivered, postfix.deliveredSeconds)), 'our sign+encrypt relay vs its plain TLS relay'));
    console.log(line('Hygie/Postfix, submission accepted (msg/s)', ratio(rate(MESSAGES, ours.submittedSeconds), rate(MESSAGES, postfix.submittedSeconds)), `p99 ${ours.submission.p99.toFixed(1)} vs ${postfix.submission.p99.toFixed(1)} ms`));
    console.log(line('Hygie/Postfix, relay CPU per message', ratio(ours.cpuPerMessage.a + ours.cpuPerMessage.c, postfix.cpuPerMessage.a + postfix.cpuPerMessage.c), 'A + C, lower is better'));
    console.log(line('Hygie/Postfix, inbound acceptance (msg/s)', ratio(rate(MESSAGES, ours.inboundSeconds), rate(MESSAGES, postfix.inboundSeconds)), 'target ≥ 1 (each 250 after a durable write on both)'));
    console.log(line('Hygie/Postfix, inbound CPU per message at A', ratio(ours.inboundCpuPerMessage, postfix.inboundCpuPerMessage), 'lower is better; the rates above depend on the machine\'s load, this less'));
  });
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) await benchRelay();
