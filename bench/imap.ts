/**
 * The IMAP figures of `npm run bench`, on one mailbox of BENCH_IMAP_MESSAGES (10 000)
 * generated messages (sizes and shapes like the anchor corpus: mostly text/plain, some
 * multipart/alternative, a few base64 attachments, 1 % containing "xyz"):
 *  - SELECT + FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE BODYSTRUCTURE),
 *  - FETCH 1:* BODY.PEEK[] (every body),
 *  - SEARCH TEXT "xyz",
 * against Hygie's IMAP server run as its own process (over the real store and directory on
 * SQLite, nothing else in it) and, where Dovecot is installed,
 * against a throwaway Dovecot (temporary config, Maildir in a temporary folder, a
 * passwd-file user, a free port, STARTTLS with the same certificate) holding the same
 * messages, with the same imapflow client code: each figure is the median of
 * BENCH_IMAP_RUNS (3) runs after one warm-up, and the Hygie / Dovecot ratio is printed.
 * Then the server's memory per idle connection (BENCH_IDLE sessions, the large INBOX selected).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ImapFlow } from 'imapflow';
import { fileURLToPath } from 'node:url';
import { ALL_MIGRATIONS } from '../app/context.js';
import { AuditTrail } from '../core/audit.js';
import { systemClock } from '../core/clock.js';
import { DEFAULT_CONFIG } from '../core/config.js';
import { openDatabase } from '../core/database.js';
import { Logger } from '../core/logger.js';
import { freePort } from '../conformance-tests/harness.js';
import { MailboxService } from '../directory/mailbox-service.js';
import { ImapServer } from '../gateway/imap/server.js';
import { selfSignedCertificate } from '../gateway/imap/testing.js';
import { KnexMessageStore } from '../gateway/store/knex-store.js';
import { rssOf } from './processes.js';
import { line, mib } from './stats.js';

const MESSAGES = Number(process.env.BENCH_IMAP_MESSAGES ?? 10_000);
const RUNS = Number(process.env.BENCH_IMAP_RUNS ?? 3);
const IDLE = Number(process.env.BENCH_IDLE ?? 200);
const PASSWORD = 'mot de passe du banc';
const NEEDLE = 'xyz';

interface Endpoint {
  name: string;
  port: number;
  user: string;
  ca: string;
  /** The server's process (Dovecot: its master), to count the CPU time of it and its children. */
  pid: number;
}

interface Figures {
  metadata: number;
  bodies: number;
  bytes: number;
  search: number;
  found: number;
  count: number;
  /** CPU time (ms) of the server processes and of this client, per operation. */
  cpu: { metadata: [number, number]; bodies: [number, number]; search: [number, number] };
}

export async function benchImap(): Promise<void> {
  const corpus = generateCorpus(MESSAGES);
  const total = corpus.reduce((sum, m) => sum + m.length, 0);
  console.log(`IMAP benchmark — one mailbox of ${MESSAGES} messages, ${mib(total)} (median of ${RUNS} runs after a warm-up; imapflow over STARTTLS)`);

  const hygie = await startHygie(corpus);
  let dovecot: { endpoint: Endpoint; log(): string; stop(): Promise<void> } | undefined;
  try {
    const ours = await measure(hygie.endpoint);
    report('Hygie', ours);
    if (dovecotInstalled()) {
      dovecot = await startDovecot(corpus);
      const theirs = await measure(dovecot.endpoint).catch((error: unknown) => {
        throw new Error(`Dovecot run failed: ${String(error)}\n${dovecot!.log()}`);
      });
      report('Dovecot', theirs);
      console.log(line('ratio Hygie / Dovecot, SELECT + FETCH metadata', (ours.metadata / theirs.metadata).toFixed(2), 'target ≤ 1.5'));
      console.log(line('ratio Hygie / Dovecot, FETCH all bodies', (ours.bodies / theirs.bodies).toFixed(2), 'target ≤ 1.5'));
      console.log(line('ratio Hygie / Dovecot, SEARCH TEXT', (ours.search / theirs.search).toFixed(2), 'target ≤ 1.5'));
    } else {
      console.log('reference dovecot: not installed here, no ratio (apt-get install dovecot-imapd; figures measured elsewhere: ../shared/research/anchors-measured.md)');
    }
    await idleMemory(hygie);
  } finally {
    await dovecot?.stop();
    await hygie.stop();
  }
}

function report(name: string, figures: Figures): void {
  const cpu = ([server, client]: [number, number]): string => `CPU: server ${server.toFixed(0)} ms, client ${client.toFixed(0)} ms`;
  console.log(line(`${name}: SELECT + FETCH 1:* (UID FLAGS SIZE ENVELOPE BODYSTRUCTURE) (ms)`, figures.metadata.toFixed(0), `${figures.count} messages; ${cpu(figures.cpu.metadata)}`));
  console.log(line(`${name}: FETCH 1:* BODY.PEEK[] (ms)`, figures.bodies.toFixed(0),
    `${mib(figures.bytes)}, ${(figures.bytes / 1048576 / (figures.bodies / 1000)).toFixed(0)} MiB/s; ${cpu(figures.cpu.bodies)}`));
  console.log(line(`${name}: SEARCH TEXT "${NEEDLE}" (ms)`, figures.search.toFixed(0), `${figures.found} found; ${cpu(figures.cpu.search)}`));
}

/** CPU time (ms) of a process and all its descendants, from /proc. */
function treeCpuMs(root: number): number {
  const stats = new Map<number, { parent: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
      stats.set(Number(entry), { parent: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // the process ended meanwhile
    }
  }
  let ticks = 0;
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    ticks += stats.get(pid)?.ticks ?? 0;
    for (const [child, stat] of stats) if (stat.parent === pid) pending.push(child);
  }
  return ticks * (1000 / 100); // USER_HZ is 100 on Linux
}

/** Wall time, server CPU and client CPU of one operation. */
async function timed<T>(endpoint: Endpoint, work: () => Promise<T>): Promise<{ ms: number; cpu: [number, number]; value: T }> {
  const server = treeCpuMs(endpoint.pid);
  const client = process.cpuUsage();
  const t0 = performance.now();
  const value = await work();
  const ms = performance.now() - t0;
  const used = process.cpuUsage(client);
  return { ms, cpu: [treeCpuMs(endpoint.pid) - server, (used.user + used.system) / 1000], value };
}

/**
 * Timed runs leave COMPRESS off: the throwaway Dovecot does not offer it (no imap_zlib), and
 * on loopback it only costs CPU. Idle sessions keep it, as Thunderbird would.
 */
function client(endpoint: Endpoint, compression = false): ImapFlow {
  return new ImapFlow({
    host: '127.0.0.1', port: endpoint.port, secure: false, doSTARTTLS: true, tls: { ca: [endpoint.ca], servername: 'localhost' },
    auth: { user: endpoint.user, pass: PASSWORD }, logger: false, disableAutoIdle: true, disableCompression: !compression,
  });
}

/** One connection per run; a warm-up run first (Dovecot builds its index and cache on first access). */
async function measure(endpoint: Endpoint): Promise<Figures> {
  const runs: Figures[] = [];
  for (let run = 0; run <= RUNS; run++) {
    const imap = client(endpoint);
    await imap.connect();
    try {
      const metadata = await timed(endpoint, async () => {
        await imap.mailboxOpen('INBOX');
        let count = 0;
        for await (const _ of imap.fetch('1:*', { uid: true, flags: true, size: true, envelope: true, bodyStructure: true })) count++;
        return count;
      });
      const bodies = await timed(endpoint, async () => {
        let bytes = 0;
        for await (const message of imap.fetch('1:*', { source: true })) bytes += message.source?.length ?? 0;
        return bytes;
      });
      const search = await timed(endpoint, async () => (await imap.search({ text: NEEDLE })) || []);
      if (run > 0) {
        runs.push({
          metadata: metadata.ms, bodies: bodies.ms, bytes: bodies.value, search: search.ms, found: search.value.length, count: metadata.value,
          cpu: { metadata: metadata.cpu, bodies: bodies.cpu, search: search.cpu },
        });
      }
    } finally {
      await imap.logout();
    }
  }
  const median = (pick: (f: Figures) => number): number => runs.map(pick).sort((a, b) => a - b)[Math.floor(runs.length / 2)]!;
  const cpu = (pick: (f: Figures) => [number, number]): [number, number] => [median((f) => pick(f)[0]), median((f) => pick(f)[1])];
  return {
    metadata: median((f) => f.metadata), bodies: median((f) => f.bodies), search: median((f) => f.search),
    bytes: runs[0]!.bytes, found: runs[0]!.found, count: runs[0]!.count,
    cpu: { metadata: cpu((f) => f.cpu.metadata), bodies: cpu((f) => f.cpu.bodies), search: cpu((f) => f.cpu.search) },
  };
}

// ---- Hygie -------------------------------------------------------------------------

async function openServices(dataDir: string): Promise<{ db: Awaited<ReturnType<typeof openDatabase>>; mailboxes: MailboxService; store: KnexMessageStore }> {
  const db = await openDatabase({ url: '', dataDir, migrations: ALL_MIGRATIONS });
  const audit = new AuditTrail(db, systemClock);
  const mailboxes = new MailboxService({ db, clock: systemClock, audit, domains: DEFAULT_CONFIG.operator.domains, auth: { maxFailures: 1000, windowSeconds: 60 } });
  const store = new KnexMessageStore({ db, blobDir: path.join(dataDir, 'messages'), clock: systemClock });
  return { db, mailboxes, store };
}

async function startHygie(corpus: readonly Buffer[]): Promise<{ endpoint: Endpoint; pid: number; stop(): Promise<void> }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hygie-bench-imap-'));
  let user: string;
  // Loaded through the store, as deliveries are (before the server starts): 16 at a time share commits.
  const { db, mailboxes, store } = await openServices(dataDir);
  const started = performance.now();
  try {
    const box = await mailboxes.createPersonalMailbox({ firstName: 'Banc', lastName: 'Imap', password: PASSWORD, actor: 'bench' });
    user = box.addresses[0]!.address;
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < corpus.length) await store.deliver([box.id], corpus[next++]!);
    }));
  } finally {
    await db.destroy();
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(line('Hygie: delivery of the corpus through the store (s)', seconds.toFixed(1), `${(corpus.length / seconds).toFixed(0)} msg/s, fsynced`));

  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'serve', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /^port (\d+)$/m.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the IMAP server exited with ${code}: ${output}`)));
  });
  return {
    endpoint: { name: 'Hygie', port, user, ca: readFileSync(path.join(dataDir, 'server.crt'), 'utf8'), pid: child.pid as number }, pid: child.pid as number,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => { if (child.exitCode !== null) resolve(null); else child.once('exit', resolve); });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The server process: Hygie's IMAP server alone over the loaded data folder; prints its port. */
async function serve(dataDir: string): Promise<void> {
  const { db, mailboxes, store } = await openServices(dataDir);
  const { key, cert } = selfSignedCertificate(dataDir);
  const logger = new Logger({ level: 'warn', format: 'text', write: (text) => process.stderr.write(`${text}\n`) });
  const server = new ImapServer({ store, authenticator: mailboxes, tls: { key, cert }, logger, hostname: 'bench.test', maxMessageSize: 25 * 1024 * 1024 });
  const port = await server.listen(0, '127.0.0.1');
  process.stdout.write(`port ${port}\n`);
  process.once('SIGTERM', () => {
    void server.close().then(() => db.destroy()).then(() => process.exit(0));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'serve') {
  serve(process.argv[3]!).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}

async function idleMemory(hygie: { endpoint: Endpoint; pid: number }): Promise<void> {
  const before = rssOf(hygie.pid);
  const sessions: ImapFlow[] = [];
  for (let i = 0; i < IDLE; i++) {
    const imap = client(hygie.endpoint, true);
    await imap.connect();
    await imap.mailboxOpen('INBOX');
    sessions.push(imap);
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const after = rssOf(hygie.pid);
  console.log(line(`Hygie: RSS with ${IDLE} idle sessions (${MESSAGES}-message INBOX selected, COMPRESS on)`, mib(after),
    `${((after - before) / IDLE / 1024).toFixed(0)} KiB per connection (target < 1024)`));
  await Promise.all(sessions.map((imap) => imap.logout().catch(() => undefined)));
}

// ---- Dovecot -----------------------------------------------------------------------

function dovecotInstalled(): boolean {
  return spawnSync('sh', ['-c', 'command -v dovecot || test -x /usr/sbin/dovecot']).status === 0;
}

function dovecotBinary(): string {
  const found = spawnSync('sh', ['-c', 'command -v dovecot'], { encoding: 'utf8' }).stdout.trim();
  return found || '/usr/sbin/dovecot';
}

/** A private Dovecot: its own config, Maildir written directly (as an LMTP delivery would leave it), one user. */
export async function startDovecot(corpus: readonly Buffer[]): Promise<{ endpoint: Endpoint; log(): string; stop(): Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hygie-bench-dovecot-'));
  const { key, cert } = selfSignedCertificate(dir);
  const user = 'bench@dovecot.test';
  const maildir = path.join(dir, 'mail', user);
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(path.join(maildir, sub), { recursive: true });
  const now = Math.floor(Date.now() / 1000);
  corpus.forEach((message, index) => {
    writeFileSync(path.join(maildir, 'cur', `${now}.M${index}P${process.pid}.bench,S=${message.length}:2,`), message);
  });
  const owner = idOf('nobody');
  spawnSync('chown', ['-R', `${owner.uid}:${owner.gid}`, path.join(dir, 'mail')]);
  chmodSync(dir, 0o755); // the auth and mail processes run as other users
  writeFileSync(path.join(dir, 'key.pem'), key, { mode: 0o600 });
  writeFileSync(path.join(dir, 'cert.pem'), cert);
  writeFileSync(path.join(dir, 'passwd'), `${user}:{PLAIN}${PASSWORD}:${owner.uid}:${owner.gid}::${path.join(dir, 'home')}::\n`);
  const port = await freePort();
  const config = path.join(dir, 'dovecot.conf');
  writeFileSync(config, [
    `base_dir = ${path.join(dir, 'run')}`,
    `state_dir = ${path.join(dir, 'state')}`,
    `log_path = ${path.join(dir, 'dovecot.log')}`,
    'protocols = imap',
    `listen = 127.0.0.1`,
    'ssl = required',
    `ssl_cert = <${path.join(dir, 'cert.pem')}`,
    `ssl_key = <${path.join(dir, 'key.pem')}`,
    'auth_mechanisms = plain',
    `mail_location = maildir:${path.join(dir, 'mail')}/%u`,
    'first_valid_uid = 1',
    'default_internal_user = dovecot',
    'default_login_user = dovenull',
    `passdb {\n  driver = passwd-file\n  args = scheme=PLAIN ${path.join(dir, 'passwd')}\n}`,
    `userdb {\n  driver = passwd-file\n  args = ${path.join(dir, 'passwd')}\n}`,
    `service imap-login {\n  inet_listener imap {\n    address = 127.0.0.1\n    port = ${port}\n  }\n  inet_listener imaps {\n    port = 0\n  }\n}`,
    'service anvil {\n  chroot =\n}',
    'service imap-login {\n  chroot =\n}',
    '',
  ].join('\n'));
  const child: ChildProcess = spawn(dovecotBinary(), ['-F', '-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  await waitForPort(port, () => `${output.join('')}\n${safeRead(path.join(dir, 'dovecot.log'))}`);
  return {
    endpoint: { name: 'Dovecot', port, user, ca: cert, pid: child.pid as number },
    log: () => safeRead(path.join(dir, 'dovecot.log')).split('\n').slice(-15).join('\n'),
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => { if (child.exitCode !== null) resolve(null); else child.once('exit', resolve); });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function idOf(name: string): { uid: number; gid: number } {
  const uid = Number(spawnSync('id', ['-u', name], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', name], { encoding: 'utf8' }).stdout.trim());
  return { uid, gid };
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

async function waitForPort(port: number, diagnostics: () => string): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + 15_000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`dovecot did not start:\n${diagnostics()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// ---- the corpus --------------------------------------------------------------------

/** Deterministic pseudo-random numbers (mulberry32), so both servers and every run get the same messages. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ('patient consultation résultat analyse bilan sanguin ordonnance traitement suivi cardiologie radiologie compte rendu '
  + 'hospitalisation examen clinique tension artérielle glycémie cholestérol rendez-vous semaine prochaine merci confrère '
  + 'cordialement docteur service urgences biologie imagerie scanner échographie prescription dossier médical').split(' ');
const NAMES = ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Simon', 'Laurent'];
const FIRST = ['Jean', 'Marie', 'Pierre', 'Sophie', 'Luc', 'Hélène', 'Camille', 'Nicolas', 'Julie', 'François'];

export function generateCorpus(count: number): Buffer[] {
  const rand = random(20261124);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const text = (bytes: number, withNeedle: boolean): string => {
    const lines: string[] = [];
    let size = 0;
    let current: string[] = [];
    while (size < bytes) {
      const word = pick(WORDS);
      current.push(word);
      size += word.length + 1;
      if (current.join(' ').length > 68) {
        lines.push(current.join(' '));
        current = [];
      }
    }
    if (current.length > 0) lines.push(current.join(' '));
    if (withNeedle) lines.splice(Math.floor(lines.length / 2), 0, `référence interne ${NEEDLE} à conserver`);
    return lines.join('\r\n');
  };
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    // Sizes: median about 6 KB, a long tail (log-normal-like), as the anchor corpus.
    const bodySize = Math.min(120_000, Math.floor(1000 * Math.exp(rand() * 2.6 + (rand() < 0.1 ? 1.2 : 0))));
    const withNeedle = i % 100 === 37;
    const from = `${pick(FIRST)} ${pick(NAMES)}`;
    const subject = `${pick(WORDS)} ${pick(WORDS)} n°${i}`;
    const headers = [
      `From: =?UTF-8?B?${Buffer.from(from).toString('base64')}?= <${from.toLowerCase().replace(/[^a-z]+/g, '.')}@exemple-sante.test>`,
      'To: Banc Imap <banc.imap@exemple-sante.test>',
      `Subject: =?UTF-8?Q?${encodeQ(subject)}?=`,
      `Date: ${new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toUTCString().replace('GMT', '+0000')}`,
      `Message-ID: <bench.${i}@exemple-sante.test>`,
      'MIME-Version: 1.0',
    ];
    const shape = rand();
    let body: string;
    if (shape < 0.7) {
      headers.push('Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit');
      body = text(bodySize, withNeedle);
    } else if (shape < 0.92) {
      const plain = text(bodySize / 2, withNeedle);
      headers.push('Content-Type: multipart/alternative; boundary="alt-boundary"');
      body = ['--alt-boundary', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', plain,
        '--alt-boundary', 'Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '',
        `<html><body><p>${plain.replace(/\r\n/g, '</p>\r\n<p>')}</p></body></html>`, '--alt-boundary--', ''].join('\r\n');
    } else {
      const attachment = Buffer.alloc(20_000 + Math.floor(rand() * 180_000));
      for (let b = 0; b < attachment.length; b++) attachment[b] = Math.floor(rand() * 256);
      headers.push('Content-Type: multipart/mixed; boundary="mixed-boundary"');
      body = ['--mixed-boundary', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', text(bodySize / 4, withNeedle),
        '--mixed-boundary', 'Content-Type: application/pdf; name="document.pdf"', 'Content-Disposition: attachment; filename="document.pdf"',
        'Content-Transfer-Encoding: base64', '', attachment.toString('base64').replace(/.{76}/g, '$&\r\n'), '--mixed-boundary--', ''].join('\r\n');
    }
    out.push(Buffer.from(`${headers.join('\r\n')}\r\n\r\n${body}\r\n`, 'utf8'));
  }
  return out;
}

function encodeQ(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => (byte > 0x20 && byte < 0x7f && byte !== 0x3d && byte !== 0x3f && byte !== 0x5f
    ? String.fromCharCode(byte) : byte === 0x20 ? '_' : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}
