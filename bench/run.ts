/**
 * `npm run bench`: the foundation's figures, measured against the real operator run as
 * its own process (`hygie start`, SQLite, temporary data folder) on loopback, with the
 * clients in this process — so server and load generator each have a core:
 *  - SMTP submission: messages/s and latency percentiles (STARTTLS + AUTH, pooled
 *    nodemailer connections; each 250 comes only after the message is durably stored);
 *  - IMAP: SELECT + FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE BODYSTRUCTURE), all bodies,
 *    and a text SEARCH over the resulting mailbox, with imapflow;
 *  - memory: the server's RSS, and its growth per idle authenticated IMAP connection.
 * Sizes: BENCH_MESSAGES (default 2000), BENCH_CONNECTIONS (10), BENCH_SIZE bytes (10240),
 * BENCH_IDLE (200 idle IMAP connections). Where Postfix or Dovecot is installed the same
 * work runs against it for a ratio; otherwise the report says it is absent.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { CLI, spawnOperator } from '../conformance-tests/harness.js';
import { benchCms } from './cms.js';
import { benchRelay } from './relay.js';
import { benchSearch } from './search.js';
import { line, mib, summarise } from './stats.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 2000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const SIZE = Number(process.env.BENCH_SIZE ?? 10240);
const IDLE = Number(process.env.BENCH_IDLE ?? 200);
const PASSWORD = 'mot de passe du banc';

function installed(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

function createMailbox(dataDir: string, first: string, last: string, extra: string[] = []): string {
  const result = spawnSync(process.execPath, [CLI, 'mailbox', 'create', '--first-name', first, '--last-name', last, '--password-stdin', ...extra], {
    input: PASSWORD, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HYGIE_SERVER_DATA_DIR: dataDir },
  });
  if (result.status !== 0) throw new Error(result.stderr);
  return (/regional\s+(\S+)/.exec(result.stdout) as RegExpExecArray)[1] as string;
}

function imapClient(port: number, ca: string, user: string): ImapFlow {
  return new ImapFlow({
    host: '127.0.0.1', port, secure: false, doSTARTTLS: true, tls: { ca, servername: 'localhost' },
    auth: { user, pass: PASSWORD }, logger: false,
  });
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hygie-bench-'));
  const from = createMailbox(dataDir, 'Banc', 'Expediteur', ['--rpps', '99700218896']);
  const to = createMailbox(dataDir, 'Banc', 'Destinataire');
  const server = await spawnOperator(dataDir, { HYGIE_AUTH_MAX_FAILURES: '1000', HYGIE_SMTP_MAX_MESSAGES_PER_HOUR: '0' });
  const pid = server.child.pid as number;
  const ca = readFileSync(path.join(dataDir, 'pki', 'ca.crt'), 'utf8');
  try {
    console.log(`Hygie benchmark — ${MESSAGES} messages of ${SIZE} bytes over ${CONNECTIONS} connections; SQLite; Node ${process.version}; ${os.cpus().length} cores`);
    console.log(line('server RSS after start', mib(rssOf(pid))));

    const body = 'Compte rendu de test, ligne de texte ordinaire.\n'.repeat(Math.ceil(SIZE / 48)).slice(0, SIZE);
    const transport = nodemailer.createTransport({
      pool: true, maxConnections: CONNECTIONS, maxMessages: Infinity, host: '127.0.0.1', port: server.ports.submission,
      secure: false, requireTLS: true, tls: { ca, servername: 'localhost' }, auth: { user: from, pass: PASSWORD },
    });
    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
      while (next < MESSAGES) {
        const n = next++;
        const t0 = performance.now();
        await transport.sendMail({ from, to, subject: `Résultat ${n}${n % 100 === 0 ? ' urgent' : ''}`, text: body });
        latencies.push(performance.now() - t0);
      }
    }));
    const elapsed = (performance.now() - started) / 1000;
    transport.close();
    const s = summarise(latencies);
    console.log(line('SMTP submission, durable 250 (msg/s)', (MESSAGES / elapsed).toFixed(0), `${MESSAGES} in ${elapsed.toFixed(2)} s`));
    console.log(line('  latency per message (ms)', `p50 ${s.p50.toFixed(1)}`, `p95 ${s.p95.toFixed(1)}  p99 ${s.p99.toFixed(1)}  max ${s.max.toFixed(1)}`));

    const client = imapClient(server.ports.imap as number, ca, to);
    await client.connect();
    let t0 = performance.now();
    const lock = await client.getMailboxLock('INBOX');
    let count = 0;
    for await (const _ of client.fetch('1:*', { uid: true, flags: true, size: true, envelope: true, bodyStructure: true })) count++;
    const metadata = performance.now() - t0;
    t0 = performance.now();
    let bytes = 0;
    for await (const message of client.fetch('1:*', { source: true })) bytes += message.source?.length ?? 0;
    const bodies = performance.now() - t0;
    t0 = performance.now();
    const found = await client.search({ text: 'urgent' }) || [];
    const search = performance.now() - t0;
    lock.release();
    await client.logout();
    console.log(line('IMAP SELECT + FETCH 1:* (UID FLAGS SIZE ENVELOPE BODYSTRUCTURE) (ms)', metadata.toFixed(0), `${count} messages`));
    console.log(line('IMAP FETCH 1:* BODY[] (ms)', bodies.toFixed(0), `${mib(bytes)}, ${(bytes / 1048576 / (bodies / 1000)).toFixed(1)} MiB/s`));
    console.log(line('IMAP SEARCH TEXT "urgent" (ms)', search.toFixed(0), `${found.length} found`));

    const before = rssOf(pid);
    const idle: ImapFlow[] = [];
    for (let i = 0; i < IDLE; i++) {
      const c = imapClient(server.ports.imap as number, ca, to);
      await c.connect();
      await c.mailboxOpen('INBOX');
      idle.push(c);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = rssOf(pid);
    console.log(line(`server RSS with ${IDLE} idle IMAP sessions (INBOX selected)`, mib(after), `${((after - before) / IDLE / 1024).toFixed(0)} KiB per connection`));
    await Promise.all(idle.map((c) => c.logout().catch(() => undefined)));

    for (const reference of ['postfix', 'dovecot']) {
      if (!installed(reference)) console.log(`reference ${reference}: not installed here, no ratio (figures measured elsewhere: ../shared/research/anchors-measured.md)`);
    }
  } finally {
    server.child.kill('SIGTERM');
    await new Promise((resolve) => server.child.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function all(): Promise<void> {
  const only = process.env.BENCH_ONLY;
  if (!only || only === 'gateway') await main();
  if (!only || only === 'cms') await benchCms();
  if (!only || only === 'relay') await benchRelay();
  if (!only || only === 'search') await benchSearch();
}

all().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
