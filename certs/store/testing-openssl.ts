/**
 * Tests only: certificates, keys and PKCS#12 files made by the openssl command line (an
 * independent implementation), so the store is tested on the files operators really have.
 * `openssl ca` is used for leaves because it can set any validity period (expired ones too).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface LeafSpec {
  name: string;
  subject: string;
  email?: string;
  keyUsage: string;
  extendedKeyUsage?: string;
  /** Days from now (negative: in the past). */
  fromDays: number;
  toDays: number;
  key?: 'rsa' | 'ec';
}

export class OpensslFixtures {
  readonly dir: string;

  constructor() {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'hygie-certstore-'));
    writeFileSync(this.path('ca.cnf'), CA_CONFIG);
    writeFileSync(this.path('index.txt'), '');
    this.openssl(['req', '-x509', '-config', 'ca.cnf', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem',
      '-subj', '/C=FR/O=Hygie Test/CN=Test Root CA', '-days', '3650', '-extensions', 'ca_ext']);
  }

  path(name: string): string {
    return path.join(this.dir, name);
  }

  bytes(name: string): Buffer {
    return readFileSync(this.path(name));
  }

  text(name: string): string {
    return readFileSync(this.path(name), 'utf8');
  }

  /** Runs openssl in the fixture folder; throws with its stderr on failure. */
  openssl(args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): string {
    const run = spawnSync('openssl', args, { cwd: this.dir, encoding: 'utf8', env: { ...process.env, ...options.env } });
    if (run.error) throw run.error;
    if (run.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${run.stderr}`);
    return run.stdout;
  }

  /** Issues `<name>.pem` with key `<name>.key` (PKCS#8 PEM) under the test CA. */
  leaf(spec: LeafSpec): void {
    const keyArgs = spec.key === 'ec' ? ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['rsa:2048'];
    this.openssl(['req', '-new', '-config', 'ca.cnf', '-newkey', ...keyArgs, '-nodes', '-keyout', `${spec.name}.key`,
      '-out', `${spec.name}.csr`, '-subj', spec.subject]);
    const lines = ['basicConstraints=CA:FALSE', `keyUsage=critical,${spec.keyUsage}`];
    if (spec.extendedKeyUsage) lines.push(`extendedKeyUsage=${spec.extendedKeyUsage}`);
    if (spec.email) lines.push(`subjectAltName=email:${spec.email}`);
    writeFileSync(this.path(`${spec.name}.ext`), lines.join('\n') + '\n');
    this.openssl(['ca', '-batch', '-config', 'ca.cnf', '-in', `${spec.name}.csr`, '-out', `${spec.name}.pem`,
      '-startdate', utcTime(spec.fromDays), '-enddate', utcTime(spec.toDays), '-extfile', `${spec.name}.ext`, '-notext']);
  }

  /** A self-signed `<name>.pem`/`<name>.key` with exactly the given extensions (e.g. "basicConstraints=critical,CA:TRUE"). */
  selfSigned(name: string, subject: string, extensions: readonly string[]): void {
    this.openssl(['req', '-x509', '-config', 'ca.cnf', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`,
      '-subj', subject, '-days', '365', ...extensions.flatMap((e) => ['-addext', e])]);
  }

  /** `openssl pkcs12 -export` of a leaf, its key and the CA, with extra options (-legacy…). */
  pkcs12(name: string, out: string, password: string, extra: readonly string[] = []): Buffer {
    this.openssl(['pkcs12', '-export', '-in', `${name}.pem`, '-inkey', `${name}.key`, '-certfile', 'ca.pem',
      '-out', out, '-passout', `pass:${password}`, ...extra]);
    return this.bytes(out);
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** openssl's UTCTime argument form, YYMMDDHHMMSSZ, `days` from now. */
function utcTime(days: number): string {
  const iso = new Date(Date.now() + days * 86_400_000).toISOString();
  return iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + 'Z';
}


const CA_CONFIG = `
[req]
distinguished_name = dn
[dn]
[ca]
default_ca = test_ca
[test_ca]
database = index.txt
new_certs_dir = .
certificate = ca.pem
private_key = ca.key
default_md = sha256
policy = policy_any
rand_serial = yes
unique_subject = no
[policy_any]
commonName = supplied
emailAddress = optional
organizationName = optional
countryName = optional
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
`;
