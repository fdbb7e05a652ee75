/**
 * LDAP figures (issue 5): a national-shaped directory loaded into a fresh SQLite database
 * (BENCH_LDAP_ENTRIES professionals, default 100 000, each with an MSSanté address from
 * the extraction and a place of practice), our LdapServer started in its own process
 * (as slapd is: server and clients each have a core), and
 * BENCH_LDAP_CLIENTS (default 8) ldapjs clients, one request in flight each, for
 * BENCH_LDAP_SECONDS (default 4) per workload:
 *   (a) exact lookups by mail, (b) by RPPS (employeeNumber), each twice: (a1, b1)
 *   "uncached", every search of the run naming an entry not asked for before (our answer
 *   cache cannot have it), and (a2, b2) "repeated", the same 1 000 entries over and over
 *   (answered from the cache, as a gateway asking for the same addresses is);
 *   (c) Thunderbird's substring filter on a piece of a family name, size limit 20;
 * ops/s, p50 and p99. Where OpenLDAP's slapd is installed, a throwaway slapd (mdb, temp
 * folder, equality indexes on mail/uid/employeeNumber, substring indexes on cn/sn/
 * givenName/mail) is loaded with the same entries by slapadd and measured the same way
 * in the same run; the report gives the ratios, and each server's CPU time per
 * operation (from /proc: a figure that depends less on what else the machine runs).
 * BENCH_LDAP_KEEP=1 keeps the databases. BENCH_LDAP_CACHE=0 turns our server's answer cache
 * off (the repeated workloads then go through SQL too). BENCH_LDAP_ONLY=a1,b1 runs only
 * those workloads; `node --cpu-prof dist/bench/ldap.js` profiles the server as well.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';
import ldapjs, { type Client } from 'ldapjs';
import { auditMigrations } from '../core/audit.js';
import { openDatabase } from '../core/database.js';
import { Logger } from '../core/logger.js';
import { EntrySource } from '../directory/ldap/entry-source.js';
import { LdapServer } from '../directory/ldap/server.js';
import { directoryMigrations } from '../directory/migrations.js';
import { line, mib, summarise } from './stats.js';

const ENTRIES = Number(process.env.BENCH_LDAP_ENTRIES ?? 100_000);
const CLIENTS = Number(process.env.BENCH_LDAP_CLIENTS ?? 8);
const SECONDS = Number(process.env.BENCH_LDAP_SECONDS ?? 4);
const BASE = 'dc=annuaire-banc,dc=test';
const PEOPLE = `ou=people,${BASE}`;
const MIGRATIONS = [...auditMigrations, ...directoryMigrations]; // with the LDAP indexes (ldapMigrations)
const UPDATED_AT = '2026-11-01T00:00:00.000Z';

// ---- a reproducible population -------------------------------------------------------

const FIRST = ['Hélène', 'Jean', 'Marie', 'Pierre', 'Léa', 'Nicolas', 'Sophie', 'Yann', 'Maïwenn', 'Louis', 'Chloé', 'Hugo', 'Anaïs',
  'Thomas', 'Camille', 'Erwan', 'Zoé', 'Paul', 'Manon', 'Gaël', 'Inès', 'Julien', 'Laure', 'Maël', 'Nathalie', 'Olivier', 'Pauline',
  'Quentin', 'Rozenn', 'Sébastien', 'Tiphaine', 'Valérie', 'Xavier', 'Yvonne', 'Éric', 'Anne', 'Bruno', 'Cécile', 'Denis', 'Élodie'];
const SYLLABLES = ['ber', 'nar', 'dou', 'le', 'ma', 'rin', 'ker', 'gal', 'mo', 'reau', 'fon', 'tai', 'ne', 'pe', 'tit', 'du', 'pont',
  'bou', 'cher', 'gi', 'rard', 'ro', 'bin', 'lau', 'rent', 'si', 'mon', 'mi', 'chel', 'fa', 'vre', 'guen', 'nec', 'qué', 'an', 'dré'];
const PROFESSIONS = ['Médecin', 'Infirmier', 'Pharmacien', 'Masseur-kinésithérapeute', 'Chirurgien-dentiste', 'Sage-femme'];
const DOMAINS = ['chu-brest.mssante.fr', 'ch-quimper.mssante.fr', 'medecin.mssante.fr', 'pharmacien.mssante.fr', 'infirmier.mssante.fr',
  'chu-rennes.mssante.fr', 'ch-morlaix.mssante.fr', 'clinique-pasteur.mssante.fr'];

interface Person {
  rpps: string;
  first: string;
  last: string;
  mail: string;
  profession: string;
  structure: number;
}

function ascii(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

function person(i: number, structures: number): Person {
  // A cheap hash spreads names without a random generator: the same N gives the same people.
  const h = (i * 2654435761) >>> 0;
  const first = FIRST[h % FIRST.length]!;
  const parts = 2 + (h >>> 8) % 2;
  let last = '';
  for (let p = 0; p < parts; p++) last += SYLLABLES[(h >>> (10 + 5 * p)) % SYLLABLES.length]!;
  last = last.toUpperCase();
  return {
    rpps: String(10_000_000_000 + i), first, last, profession: PROFESSIONS[(h >>> 20) % PROFESSIONS.length]!,
    mail: `${ascii(first)}.${ascii(last)}.${i}@${DOMAINS[(h >>> 24) % DOMAINS.length]}`, structure: 1 + (i % structures),
  };
}

// ---- loading our database ---------------------------------------------------------------

async function insertRows(db: Knex, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  const placeholders = `(${columns.map(() => '?').join(', ')})`;
  for (let at = 0; at < rows.length; at += 500) {
    const chunk = rows.slice(at, at + 500);
    await db.raw(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => placeholders).join(', ')}`, chunk.flat() as Knex.RawBinding[]);
  }
}

async function load(db: Knex, people: readonly Person[], structures: number): Promise<void> {
  await db.transaction(async (trx) => {
    await insertRows(trx, 'structures', ['id', 'technical_id', 'finess_site', 'name', 'search_name', 'postal_code', 'city', 'source', 'updated_at'],
      Array.from({ length: structures }, (_, s) => [s + 1, `R1010${String(s + 1).padStart(10, '0')}`, String(290_000_000 + s),
        `Centre de santé ${s + 1}`, `centre de sante ${s + 1}`, String(29000 + (s % 900)), 'Brest', 'registry', UPDATED_AT]));
    await insertRows(trx, 'professionals', ['id', 'national_id', 'id_type', 'identifier', 'last_name', 'first_name', 'profession', 'search_name', 'source', 'updated_at'],
      people.map((p, i) => [i + 1, `8${p.rpps}`, '8', p.rpps, p.last, p.first, p.profession, ascii(`${p.last} ${p.first}`), 'registry', UPDATED_AT]));
    await insertRows(trx, 'activities', ['activity_key', 'professional_id', 'structure_id', 'role', 'updated_at'],
      people.map((p, i) => [`a${i + 1}`, i + 1, p.structure, 'Salarié', UPDATED_AT]));
    await insertRows(trx, 'registry_addresses', ['address', 'network', 'box_type', 'national_id', 'professional_id', 'last_name', 'first_name', 'source', 'updated_at'],
      people.map((p, i) => [p.mail, 'mssante', 'PER', `8${p.rpps}`, i + 1, p.last, p.first, 'mssante-extraction', UPDATED_AT]));
  });
}

// ---- slapd ---------------------------------------------------------------------------------

function installed(command: string): string | undefined {
  for (const dir of ['/usr/sbin', '/usr/local/sbin', ...(process.env.PATH ?? '').split(':')]) {
    try {
      if (statSync(path.join(dir, command)).isFile()) return path.join(dir, command);
    } catch { /* not there */ }
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function ldifValue(name: string, value: string): string {
  // Non-ASCII values go base64 (RFC 2849).
  return /^[\x20-\x7e]*$/.test(value) && !/^[ :<]/.test(value) ? `${name}: ${value}` : `${name}:: ${Buffer.from(value, 'utf8').toString('base64')}`;
}

async function startSlapd(slapd: string, dir: string, people: readonly Person[]): Promise<{ url: string; child: ChildProcess; loadSeconds: number }> {
  const dbDir = path.join(dir, 'db');
  mkdirSync(dbDir);
  const conf = path.join(dir, 'slapd.conf');
  writeFileSync(conf, [
    'include /etc/ldap/schema/core.schema', 'include /etc/ldap/schema/cosine.schema', 'include /etc/ldap/schema/inetorgperson.schema',
    'modulepath /usr/lib/ldap', 'moduleload back_mdb', `pidfile ${path.join(dir, 'slapd.pid')}`,
    'database mdb', 'maxsize 8589934592', `suffix "${BASE}"`, `directory ${dbDir}`,
    'index objectClass eq', 'index uid,employeeNumber eq', 'index mail,cn,sn,givenName eq,sub', '',
  ].join('\n'));
  const ldif = [
    `dn: ${BASE}\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\ndc: annuaire-banc\no: Banc\n`,
    `dn: ${PEOPLE}\nobjectClass: organizationalUnit\nou: people\n`,
    ...people.map((p) => [
      `dn: uid=8${p.rpps},${PEOPLE}`, 'objectClass: inetOrgPerson', `uid: 8${p.rpps}`, ldifValue('cn', `${p.first} ${p.last}`), `sn: ${p.last}`,
      ldifValue('givenName', p.first), `mail: ${p.mail}`, `employeeNumber: ${p.rpps}`, ldifValue('title', p.profession), '',
    ].join('\n')),
  ].join('\n');
  writeFileSync(path.join(dir, 'data.ldif'), ldif);
  const started = performance.now();
  execFileSync(installed('slapadd') ?? 'slapadd', ['-q', '-f', conf, '-l', path.join(dir, 'data.ldif')], { stdio: ['ignore', 'ignore', 'pipe'] });
  const loadSeconds = (performance.now() - started) / 1000;
  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}/`;
  const child = spawn(slapd, ['-d', '0', '-f', conf, '-h', url], { stdio: 'ignore' });
  for (let tries = 0; tries < 100; tries++) {
    if (await canConnect(port)) return { url, child, loadSeconds };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error('slapd did not start');
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
    socket.on('error', () => resolve(false));
  });
}

// ---- the load ------------------------------------------------------------------------------

/** Which entries a workload asks for, one after the other (each server gets its own sequence, the same for both). */
type Keys = 'distinct' | 'repeated';

interface Workload {
  name: string;
  filter: (person: Person) => string;
  /**
   * `distinct`: every search of the run names an entry not asked for before (with this
   * filter), so no answer can come from a cache of answers; `repeated`: the same
   * REPEATED_KEYS entries over and over, all of them asked once before the measurement.
   */
  keys: Keys;
  /** An exact lookup, whose ratio the issue sets a target for. */
  exact?: boolean;
  sizeLimit?: number;
}

/** Entries of the `repeated` workloads: what a gateway or an address book asks for again and again. */
const REPEATED_KEYS = 1000;

/** The entries one server is asked for in one workload, across its unmeasured first pass and its rounds. */
class KeySequence {
  private asked = 0;
  /** Prime to the population: it walks the population in a scattered order without repeating itself. */
  private readonly stride: number;

  constructor(private readonly people: readonly Person[], private readonly keys: Keys, private readonly offset: number) {
    this.stride = strideFor(people.length);
  }

  next(): Person {
    const n = this.asked++;
    const position = this.keys === 'repeated' ? n % Math.min(REPEATED_KEYS, this.people.length) : n;
    return this.people[(this.offset + position * this.stride) % this.people.length]!;
  }

  /** How many searches asked for an entry this sequence had named before (0 for `distinct`, unless the run outlasted the population). */
  get repeats(): number {
    return this.keys === 'repeated' ? Math.max(0, this.asked - REPEATED_KEYS) : Math.max(0, this.asked - this.people.length);
  }

  get count(): number {
    return this.asked;
  }
}

function strideFor(n: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let step = 40503;
  while (gcd(step, n) !== 1) step += 2;
  return step;
}

interface Figures {
  rate: number;
  p50: number;
  p99: number;
  /** Server CPU time per operation, µs (all its threads). */
  cpuPerOp: number;
  entries: number;
  errors: number;
}

function searchOnce(client: Client, filter: string, sizeLimit: number): Promise<{ entries: number; error: boolean }> {
  return new Promise((resolve) => {
    let entries = 0;
    client.search(PEOPLE, { scope: 'sub', filter, attributes: ['cn', 'mail', 'uid'], sizeLimit }, (error, res) => {
      if (error) return resolve({ entries, error: true });
      res.on('searchEntry', () => entries++);
      // Size limit exceeded is the expected end of a broad substring search.
      res.on('error', (e: { code?: number }) => resolve({ entries, error: e.code !== 4 }));
      res.on('end', () => resolve({ entries, error: false }));
    });
  });
}

async function drive(url: string, pid: number, workload: Workload, keys: KeySequence, seconds: number): Promise<Figures> {
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => new Promise<Client>((resolve, reject) => {
    const client = ldapjs.createClient({ url });
    client.on('error', reject);
    client.on('connect', () => resolve(client));
  })));
  const latencies: number[] = [];
  let entries = 0;
  let errors = 0;
  const run = async (until: number, record: boolean) => {
    await Promise.all(clients.map(async (client) => {
      while (performance.now() < until) {
        const t0 = performance.now();
        const result = await searchOnce(client, workload.filter(keys.next()), workload.sizeLimit ?? 0);
        if (!record) continue;
        latencies.push(performance.now() - t0);
        entries += result.entries;
        if (result.error) errors++;
      }
    }));
  };
  await run(performance.now() + 500, false); // warm-up: connections, statements, caches
  const cpuBefore = cpuMicros(pid);
  const started = performance.now();
  await run(started + seconds * 1000, true);
  const elapsed = (performance.now() - started) / 1000;
  const cpuAfter = cpuMicros(pid);
  for (const client of clients) client.destroy();
  const s = summarise(latencies);
  const cpuPerOp = cpuBefore !== undefined && cpuAfter !== undefined ? (cpuAfter - cpuBefore) / Math.max(1, latencies.length) : NaN;
  return { rate: latencies.length / elapsed, p50: s.p50, p99: s.p99, cpuPerOp, entries: entries / Math.max(1, latencies.length), errors };
}

/** Two rounds of one workload as one figure: rates averaged, latencies from the slower round (a conservative p50/p99). */
function merge(rounds: readonly Figures[]): Figures {
  const mean = (pick: (f: Figures) => number) => rounds.reduce((sum, f) => sum + pick(f), 0) / rounds.length;
  return {
    rate: mean((f) => f.rate), p50: Math.max(...rounds.map((f) => f.p50)), p99: Math.max(...rounds.map((f) => f.p99)), cpuPerOp: mean((f) => f.cpuPerOp),
    entries: mean((f) => f.entries), errors: rounds.reduce((sum, f) => sum + f.errors, 0),
  };
}

// ---- our server in its own process, like slapd ----------------------------------------------

/** Set in the child process that serves the benchmark's database. */
const SERVE_ENV = 'HYGIE_BENCH_LDAP_SERVE';

async function serveInChild(dataDir: string): Promise<void> {
  const db = await openDatabase({ url: '', dataDir, migrations: MIGRATIONS });
  const server = new LdapServer({ db, baseDn: BASE, answerCache: process.env.BENCH_LDAP_CACHE === '0' ? false : undefined, logger: new Logger({ level: 'warn', format: 'text', write: (l) => process.stderr.write(`${l}\n`) }) });
  const port = await server.listen(0, '127.0.0.1');
  process.on('SIGTERM', () => { void server.close().then(() => db.destroy()).then(() => process.exit(0)); });
  process.stdout.write(`${port}\n`);
}

async function startOurs(dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  // The server runs with the bench's Node options (e.g. `node --cpu-prof dist/bench/ldap.js` profiles both).
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], { env: { ...process.env, [SERVE_ENV]: dataDir }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (data: Buffer) => resolve(Number(data.toString().trim())));
    child.once('exit', (code) => reject(new Error(`the LDAP server exited with ${code}`)));
  });
  return { url: `ldap://127.0.0.1:${port}`, child };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** CPU time (user + system) a process has used, in microseconds, from /proc (Linux). */
function cpuMicros(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * (1_000_000 / 100); // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}

// ---- the report -------------------------------------------------------------------------------

export async function benchLdap(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hygie-bench-ldap-'));
  const structures = Math.max(1, Math.ceil(ENTRIES / 50));
  const people = Array.from({ length: ENTRIES }, (_, i) => person(i, structures));
  const thunderbird = (p: Person) => {
    const x = ascii(p.last).slice(1, 5);
    return `(|(cn=*${x}*)(mail=*${x}*)(sn=*${x}*)(givenName=*${x}*))`;
  };
  const allWorkloads: Workload[] = [
    { name: '(a1) exact (mail=…), uncached', filter: (p) => `(mail=${p.mail})`, keys: 'distinct', exact: true },
    { name: `(a2) exact (mail=…), ${REPEATED_KEYS} repeated`, filter: (p) => `(mail=${p.mail})`, keys: 'repeated', exact: true },
    { name: '(b1) exact (employeeNumber=<RPPS>), uncached', filter: (p) => `(employeeNumber=${p.rpps})`, keys: 'distinct', exact: true },
    { name: `(b2) exact (employeeNumber=<RPPS>), ${REPEATED_KEYS} repeated`, filter: (p) => `(employeeNumber=${p.rpps})`, keys: 'repeated', exact: true },
    { name: '(c) Thunderbird (|(cn=*x*)(mail=*x*)(sn=*x*)(givenName=*x*)), 20 max', filter: thunderbird, keys: 'distinct', sizeLimit: 20 },
  ];
  // BENCH_LDAP_ONLY=a1,b1 runs those workloads alone (to profile one of them).
  const only = (process.env.BENCH_LDAP_ONLY ?? '').split(',').filter(Boolean);
  const workloads = allWorkloads.filter((w) => only.length === 0 || only.some((tag) => w.name.startsWith(`(${tag})`)));
  // Each workload starts at its own place in the population; both servers are asked the same entries in the same order.
  const sequences = () => workloads.map((w, k) => new KeySequence(people, w.keys, Math.floor((k * people.length) / workloads.length)));
  try {
    console.log(`LDAP benchmark — ${ENTRIES} professionals with an MSSanté address, ${CLIENTS} ldapjs clients, ${SECONDS} s per workload; SQLite; `
      + `answer cache ${process.env.BENCH_LDAP_CACHE === '0' ? 'off' : 'on'}; Node ${process.version}; ${os.cpus().length} cores; load average ${os.loadavg()[0]!.toFixed(1)}`);
    console.log('  "uncached": every search names an entry not asked for before in the run, so no answer comes from our answer cache;');
    console.log(`  "repeated": the same ${REPEATED_KEYS} entries again and again, each asked once before the measurement (cached answers).`);
    const dataDir = path.join(dir, 'hygie');
    const db = await openDatabase({ url: '', dataDir, migrations: MIGRATIONS });
    let t0 = performance.now();
    await load(db, people, structures);
    const loadSeconds = (performance.now() - t0) / 1000;
    console.log(line('load (bulk SQL inserts)', `${loadSeconds.toFixed(1)} s`, `${(ENTRIES / loadSeconds).toFixed(0)} professionals/s`));
    t0 = performance.now();
    const source = await EntrySource.open(db, BASE);
    await source.refreshTextIndex();
    await source.close();
    console.log(line('trigram text index, first refresh', `${((performance.now() - t0) / 1000).toFixed(1)} s`,
      `database ${mib(statSync(path.join(dataDir, 'hygie.sqlite')).size)}`));
    await db.destroy();

    const ours = await startOurs(dataDir);
    const slapd = installed('slapd');
    let reference: Awaited<ReturnType<typeof startSlapd>> | undefined;
    const ourFigures: Figures[] = [];
    let theirs: Figures[] | undefined;
    try {
      if (slapd) {
        const slapdDir = path.join(dir, 'slapd');
        mkdirSync(slapdDir);
        reference = await startSlapd(slapd, slapdDir, people);
        console.log(line('slapd: slapadd -q (same entries)', `${reference.loadSeconds.toFixed(1)} s`, `${(ENTRIES / reference.loadSeconds).toFixed(0)} entries/s`));
        theirs = [];
      } else {
        console.log('reference slapd: not installed here, no ratio (apt-get install slapd ldap-utils)');
      }
      const ourKeys = sequences();
      const theirKeys = sequences();
      // A first pass over every workload, not measured: JIT, prepared statements, page cache,
      // and every entry of the repeated workloads asked once.
      for (const [k, workload] of workloads.entries()) {
        const servers = [{ server: ours, keys: ourKeys[k]! }, ...(reference ? [{ server: reference, keys: theirKeys[k]! }] : [])];
        for (const { server, keys } of servers) {
          do {
            await drive(server.url, server.child.pid!, workload, keys, 1);
          } while (workload.keys === 'repeated' && keys.count < REPEATED_KEYS);
        }
      }
      // Both servers stay up and take turns, in two rounds per workload, so that whatever
      // else the machine does weighs on both alike.
      for (const [k, workload] of workloads.entries()) {
        const mine: Figures[] = [];
        const ref: Figures[] = [];
        for (let round = 0; round < 2; round++) {
          mine.push(await drive(ours.url, ours.child.pid!, workload, ourKeys[k]!, SECONDS / 2));
          if (reference) ref.push(await drive(reference.url, reference.child.pid!, workload, theirKeys[k]!, SECONDS / 2));
        }
        ourFigures.push(merge(mine));
        if (theirs) theirs.push(merge(ref));
        const keys = ourKeys[k]!;
        if (workload.keys === 'distinct' && keys.repeats > 0) {
          console.log(`note: ${workload.name} outlasted the population: ${keys.repeats} of ${keys.count} searches named an entry again`);
        }
      }
    } finally {
      await stop(ours.child);
      if (reference) await stop(reference.child);
    }

    const described = (f: Figures) =>
      `p50 ${f.p50.toFixed(2)} ms  p99 ${f.p99.toFixed(2)} ms  server CPU ${f.cpuPerOp.toFixed(0)} µs/op  ${f.entries.toFixed(1)} entries/search${f.errors ? `  ${f.errors} errors` : ''}`;
    const ratios: string[] = [];
    workloads.forEach((workload, i) => {
      const mine = ourFigures[i]!;
      const ref = theirs?.[i];
      console.log(line(`${workload.name} (ops/s)`, mine.rate.toFixed(0), described(mine)));
      if (!ref) return;
      const ratio = `${((mine.rate / ref.rate) * 100).toFixed(0)} %`;
      console.log(line('  slapd, same load (ops/s)', ref.rate.toFixed(0), described(ref)));
      console.log(line('  ratio Hygie / slapd', ratio, `${workload.exact ? 'target ≥ 50 %; ' : ''}server CPU per op ×${(mine.cpuPerOp / ref.cpuPerOp).toFixed(1)}`));
      if (workload.exact) ratios.push(`${workload.name.split(' ')[0]} ${ratio}`);
    });
    if (ratios.length > 0) console.log(line('exact lookups, Hygie / slapd', ratios.join(', '), 'target ≥ 50 %, uncached (a1, b1) as well as repeated (a2, b2)'));
  } finally {
    if (process.env.BENCH_LDAP_KEEP) console.log(`kept ${dir} (BENCH_LDAP_KEEP)`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

// `node dist/bench/ldap.js` runs it alone; with HYGIE_BENCH_LDAP_SERVE it is the server's process.
const serving = process.env[SERVE_ENV];
if (serving) {
  void serveInChild(serving);
} else if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  benchLdap().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
