/**
 * `npm run bench`: every figure, each part measured against real servers (`hygie start`
 * run as its own process where it matters) with the clients in this process:
 *  - gateway: SMTP submission messages/s and latency percentiles (STARTTLS + AUTH,
 *    pooled nodemailer connections; each 250 comes only after durable storage);
 *  - imap (bench/imap.ts): a 10 000-message mailbox, SELECT + FETCH, bodies, SEARCH, idle
 *    memory, next to Dovecot when installed;
 *  - cms (bench/cms.ts): S/MIME operations per second next to OpenSSL;
 *  - relay (bench/relay.ts): submit → sign+encrypt → deliver to a second instance, and
 *    plain inbound acceptance, next to a Postfix pair (bench/postfix.ts) when installed;
 *  - registry, lifecycle, ldap, search: the directory at national size.
 * First, the machine and two yardsticks of its speed (bench/machine.ts).
 * BENCH_ONLY=<part> runs one part. Sizes: BENCH_MESSAGES (default 2000), BENCH_CONNECTIONS
 * (10), BENCH_SIZE bytes (10240), and each part's own variables.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { CLI, spawnOperator } from '../conformance-tests/harness.js';
import { benchCms } from './cms.js';
import { runLoad } from './load.js';
import { describeMachine } from './machine.js';
import { postfixUnavailable } from './postfix.js';
import { rssOf } from './processes.js';
import { benchImap } from './imap.js';
import { benchLdap } from './ldap.js';
import { benchLifecycle } from './lifecycle.js';
import { benchRegistry } from './registry.js';
import { benchRelay } from './relay.js';
import { benchSearch } from './search.js';
import { line, mib, summarise } from './stats.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 2000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const SIZE = Number(process.env.BENCH_SIZE ?? 10240);
const PASSWORD = 'mot de passe du banc';

function createMailbox(dataDir: string, first: string, last: string, extra: string[] = []): string {
  const result = spawnSync(process.execPath, [CLI, 'mailbox', 'create', '--first-name', first, '--last-name', last, '--password-stdin', ...extra], {
    input: PASSWORD, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HYGIE_SERVER_DATA_DIR: dataDir },
  });
  if (result.status !== 0) throw new Error(result.stderr);
  return (/regional\s+(\S+)/.exec(result.stdout) as RegExpExecArray)[1] as string;
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
    const { latencies, seconds: elapsed } = await runLoad(MESSAGES, CONNECTIONS,
      (n) => transport.sendMail({ from, to, subject: `Résultat ${n}${n % 100 === 0 ? ' urgent' : ''}`, text: body }));
    transport.close();
    const s = summarise(latencies);
    console.log(line('SMTP submission, durable 250 (msg/s)', (MESSAGES / elapsed).toFixed(0), `${MESSAGES} in ${elapsed.toFixed(2)} s`));
    console.log(line('  latency per message (ms)', `p50 ${s.p50.toFixed(1)}`, `p95 ${s.p95.toFixed(1)}  p99 ${s.p99.toFixed(1)}  max ${s.max.toFixed(1)}`));


    const unavailable = postfixUnavailable();
    console.log(unavailable
      ? `reference postfix: ${unavailable}, no ratio (figures measured elsewhere: ../shared/research/anchors-measured.md)`
      : 'reference postfix: in the relay part (BENCH_ONLY=relay), the same submission and inbound loads as ratios');
  } finally {
    server.child.kill('SIGTERM');
    await new Promise((resolve) => server.child.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function all(): Promise<void> {
  const only = process.env.BENCH_ONLY;
  describeMachine();
  if (!only || only === 'gateway') await main();
  if (!only || only === 'imap') await benchImap();
  if (!only || only === 'cms') await benchCms();
  if (!only || only === 'relay') await benchRelay();
  if (!only || only === 'search') await benchSearch();
  if (!only || only === 'lifecycle') await benchLifecycle();
  if (!only || only === 'registry') await benchRegistry();
  if (!only || only === 'ldap') await benchLdap();
}

all().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
