/**
 * Throwaway Postfix instances, the reference the relay benchmark compares with (issue 6).
 * Each instance lives in its own temporary folder (configuration, queue, data, maildirs,
 * log, TLS identity from the dev PKI), listens on free unprivileged 127.0.0.1 ports, looks
 * nothing up in DNS, and delivers its own domain's boxes into maildirs through the
 * `virtual` agent; other domains go over verified TLS to a fixed loopback port. Postfix's
 * own defaults stand otherwise (fsync'ed queue before each 250, `in_flow_delay`,
 * concurrency limits), with TLS connection reuse and session caches on, as a tuned relay
 * would have them. `stop()` stops the instance and removes its folder; so does a failed
 * start, and Ctrl-C or exit of the bench process. Needs root (Postfix's master does).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDevPki } from '../certs/index.js';
import { freePort } from '../conformance-tests/harness.js';
import { childrenOf, installed } from './processes.js';

export interface PostfixOptions {
  /** myhostname, also the TLS certificate's name (Postfix refuses to relay to a peer greeting with its own name). */
  hostname: string;
  /** Local boxes: address → maildir name under the instance's mail folder. */
  mailboxes: Record<string, string>;
  /** Adds a submission port (STARTTLS required) where this user authenticates with AUTH PLAIN through Cyrus SASL's sasldb, when saslpasswd2 is installed; without it, the port relays for 127.0.0.1 (mynetworks). */
  submission?: { user: string; password: string };
  /** Where mail for `domain` goes: smtp over TLS to 127.0.0.1:port, the certificate verified against caFile for `servername`. */
  relay?: { domain: string; port: number; caFile: string; servername: string };
}

export interface PostfixInstance {
  version: string;
  /** The master daemon, parent of every Postfix process of the instance. */
  masterPid: number;
  mxPort: number;
  submissionPort?: number;
  /** How submission clients are let relay. */
  submissionAuth?: 'AUTH PLAIN (Cyrus sasldb)' | 'mynetworks, no AUTH (saslpasswd2 not installed)';
  caFile: string;
  /** Messages delivered so far into a maildir (its `new/` entries). */
  delivered(maildir: string): number;
  stop(): Promise<void>;
}

/** Why Postfix cannot serve as reference here, or undefined when it can. */
export function postfixUnavailable(): string | undefined {
  if (process.env.BENCH_POSTFIX === '0') return 'left out (BENCH_POSTFIX=0)';
  if (!installed('postfix')) return 'not installed here';
  if (process.getuid?.() !== 0) return 'installed, but its master needs root and the bench runs unprivileged';
  return undefined;
}

const running = new Set<string>();
let exitHooked = false;

/** Synchronous last resort for instances still running when the bench process ends. */
function stopAllNow(): void {
  for (const dir of running) {
    stopSync(dir);
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  }
}

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.once('exit', stopAllNow);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopAllNow();
      process.exit(128 + os.constants.signals[signal]);
    });
  }
}

function stopSync(dir: string): void {
  try {
    if (existsSync(path.join(dir, 'queue', 'pid', 'master.pid'))) execFileSync('postfix', ['-c', path.join(dir, 'etc'), 'stop'], { stdio: 'ignore' });
  } catch {
    // already stopped
  }
  running.delete(dir);
}

function idOf(user: string, flag: '-u' | '-g'): number {
  return Number(execFileSync('id', [flag, user], { encoding: 'utf8' }).trim());
}

async function waitGone(pids: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some((pid) => existsSync(`/proc/${pid}`)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** An `inline:` lookup table (no postmap step, no files). */
function inline(entries: Record<string, string>): string {
  return `inline:{ ${Object.entries(entries).map(([key, value]) => `${key}=${value}`).join(', ')} }`;
}

function mainCf(dir: string, options: PostfixOptions, tls: { cert: string; key: string }, virtualIds: { uid: number; gid: number }, sasl: boolean): string {
  const domains = [...new Set(Object.keys(options.mailboxes).map((address) => address.split('@')[1]!))];
  const settings: Record<string, string> = {
    compatibility_level: '3.6',
    config_directory: path.join(dir, 'etc'),
    queue_directory: path.join(dir, 'queue'),
    data_directory: path.join(dir, 'data'),
    mail_owner: 'postfix',
    myhostname: options.hostname,
    mydestination: '',
    inet_interfaces: '127.0.0.1',
    inet_protocols: 'ipv4',
    mynetworks: '127.0.0.0/8',
    smtp_host_lookup: 'native',
    disable_dns_lookups: 'yes',
    maillog_file: path.join(dir, 'maillog'),
    maillog_file_prefixes: dir,
    alias_maps: '',
    local_recipient_maps: '',
    virtual_mailbox_domains: domains.join(' '),
    virtual_mailbox_base: path.join(dir, 'mail'),
    virtual_mailbox_maps: inline(Object.fromEntries(Object.entries(options.mailboxes).map(([address, maildir]) => [address, `${maildir}/`]))),
    virtual_uid_maps: `static:${virtualIds.uid}`,
    virtual_gid_maps: `static:${virtualIds.gid}`,
    smtpd_tls_chain_files: `${tls.key}, ${tls.cert}`,
    smtpd_tls_security_level: 'may',
    smtpd_tls_session_cache_database: `btree:${path.join(dir, 'data', 'smtpd_scache')}`,
  };
  if (sasl) {
    Object.assign(settings, { smtpd_sasl_type: 'cyrus', smtpd_sasl_path: 'smtpd', cyrus_sasl_config_path: path.join(dir, 'etc', 'sasl') });
  }
  if (options.relay) {
    Object.assign(settings, {
      transport_maps: inline({ [options.relay.domain]: `smtp:[127.0.0.1]:${options.relay.port}` }),
      smtp_tls_security_level: 'verify',
      smtp_tls_CAfile: options.relay.caFile,
      smtp_tls_verify_cert_match: options.relay.servername,
      smtp_tls_connection_reuse: 'yes',
      smtp_tls_session_cache_database: `btree:${path.join(dir, 'data', 'smtp_scache')}`,
    });
  }
  return Object.entries(settings).map(([name, value]) => `${name} = ${value}\n`).join('');
}

/** The services a relay needs, none chrooted (the instance's folders are outside any chroot). */
const SERVICES = `
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
tlsproxy  unix  -       -       n       -       0       tlsproxy
postlog   unix-dgram n  -       n       -       1       postlogd
virtual   unix  -       n       n       -       -       virtual
`;

function masterCf(mxPort: number, submissionPort: number | undefined, sasl: boolean): string {
  let services = `127.0.0.1:${mxPort} inet n - n - - smtpd\n`;
  if (submissionPort !== undefined) {
    // As Debian's submission template: STARTTLS required, then only authenticated (or, without SASL, local) clients relay.
    const who = sasl ? 'permit_sasl_authenticated' : 'permit_mynetworks';
    services += `127.0.0.1:${submissionPort} inet n - n - - smtpd\n  -o smtpd_tls_security_level=encrypt\n`
      + (sasl ? '  -o smtpd_sasl_auth_enable=yes\n  -o smtpd_tls_auth_only=yes\n' : '')
      + `  -o smtpd_client_restrictions=${who},reject\n  -o smtpd_relay_restrictions=${who},reject\n`;
  }
  return services + SERVICES;
}

/** Cyrus SASL for smtpd: PLAIN against a sasldb of one user. */
function writeSasl(dir: string, user: string, password: string): void {
  const saslDir = path.join(dir, 'etc', 'sasl');
  const db = path.join(saslDir, 'sasldb2');
  mkdirSync(saslDir);
  writeFileSync(path.join(saslDir, 'smtpd.conf'), `pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\nsasldb_path: ${db}\n`);
  const [name, realm] = user.split('@') as [string, string];
  execFileSync('saslpasswd2', ['-f', db, '-p', '-c', '-u', realm, name], { input: password, stdio: ['pipe', 'ignore', 'pipe'] });
  // As Debian's /etc/sasldb2: root's, readable by the group smtpd runs in.
  chownSync(db, 0, idOf('postfix', '-g'));
  chmodSync(db, 0o640);
}

function logTail(dir: string): string {
  try {
    return readFileSync(path.join(dir, 'maillog'), 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function startPostfix(options: PostfixOptions): Promise<PostfixInstance> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hygie-postfix-'));
  const configDir = path.join(dir, 'etc');
  running.add(dir);
  hookExit();
  let masterPid: number | undefined;
  const stop = async (): Promise<void> => {
    const pids = masterPid === undefined ? [] : [masterPid, ...childrenOf(masterPid)];
    stopSync(dir);
    await waitGone(pids, 10_000);
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  };
  try {
    chmodSync(dir, 0o755); // Postfix's processes run as the postfix user and must reach the queue
    const postfixIds = { uid: idOf('postfix', '-u'), gid: idOf('postfix', '-g') };
    for (const sub of ['etc', 'queue', 'data', 'mail']) mkdirSync(path.join(dir, sub));
    chownSync(path.join(dir, 'data'), postfixIds.uid, 0);
    chownSync(path.join(dir, 'mail'), postfixIds.uid, postfixIds.gid);
    const pki = await ensureDevPki({ dir: path.join(dir, 'pki'), hostnames: [options.hostname, 'localhost'], organisation: `Postfix ${options.hostname}` });
    const sasl = options.submission !== undefined && installed('saslpasswd2');
    if (sasl) writeSasl(dir, options.submission!.user, options.submission!.password);
    const mxPort = await freePort();
    const submissionPort = options.submission ? await freePort() : undefined;
    writeFileSync(path.join(configDir, 'main.cf'), mainCf(dir, options, { cert: pki.serverCertFile, key: pki.serverKeyFile }, postfixIds, sasl));
    writeFileSync(path.join(configDir, 'master.cf'), masterCf(mxPort, submissionPort, sasl));
    try {
      execFileSync('postfix', ['-c', configDir, 'start'], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      throw new Error(`postfix did not start: ${(error as Error).message}\n${logTail(dir)}`);
    }
    masterPid = Number(readFileSync(path.join(dir, 'queue', 'pid', 'master.pid'), 'utf8').trim());
    const version = execFileSync('postconf', ['-c', configDir, '-h', 'mail_version'], { encoding: 'utf8' }).trim();
    return {
      version, masterPid, mxPort, submissionPort, caFile: pki.caCertFile,
      submissionAuth: options.submission ? (sasl ? 'AUTH PLAIN (Cyrus sasldb)' : 'mynetworks, no AUTH (saslpasswd2 not installed)') : undefined,
      delivered: (maildir) => {
        try {
          return readdirSync(path.join(dir, 'mail', maildir, 'new')).length;
        } catch {
          return 0;
        }
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
