/**
 * Test-only: a small PKI made with the openssl command line (an implementation independent
 * of ours), so that the S/MIME and path-validation tests check our code against
 * certificates, CRLs and signatures we did not produce.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { webcrypto } from 'node:crypto';
import type * as pkijs from 'pkijs';
import { parseCertificate } from '../x509.js';
import { fromPem } from '../pem.js';
import { parseCrl } from './crl-source.js';

export function run(command: string, args: readonly string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {}): { status: number | null; stdout: Buffer; stderr: string } {
  const result = spawnSync(command, args, {
    ...(options.input !== undefined ? { input: options.input } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString('utf8') };
}

/** Runs openssl and returns stdout; throws with stderr when it fails. */
export function openssl(args: readonly string[], input?: string | Buffer): Buffer {
  const result = run('openssl', args, input !== undefined ? { input } : {});
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

export type KeyKind = 'rsa' | 'ec';

export interface TestCertificate {
  readonly name: string;
  readonly keyFile: string;
  readonly certFile: string;
  readonly certificate: pkijs.Certificate;
  readonly pem: string;
  readonly keyKind: KeyKind;
}

export interface TestCa extends TestCertificate {
  readonly dir: string;
  readonly configFile: string;
}

export interface LeafOptions {
  readonly key?: KeyKind;
  /** rfc822Name in subjectAltName; none when null. */
  readonly email?: string | null;
  /** emailAddress in the subject DN (the legacy place). */
  readonly subjectEmail?: string;
  readonly commonName?: string;
  readonly keyUsage?: string;
  /** null: no extendedKeyUsage extension at all. */
  readonly extendedKeyUsage?: string | null;
  readonly days?: number;
  /** openssl ca date form YYYYMMDDHHMMSSZ. */
  readonly startDate?: string;
  readonly endDate?: string;
  readonly extraExtensions?: string;
  readonly md?: string;
}

/** One directory of keys, certificates and `openssl ca` databases. */
export class OpensslPki {
  constructor(readonly dir: string) {}

  file(name: string): string {
    return path.join(this.dir, name);
  }

  private newKey(name: string, kind: KeyKind): string {
    const keyFile = this.file(`${name}.key`);
    const args = kind === 'rsa'
      ? ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', keyFile]
      : ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile];
    openssl(args);
    return keyFile;
  }

  private loaded(name: string, keyFile: string, certFile: string, keyKind: KeyKind): TestCertificate {
    const pem = fs.readFileSync(certFile, 'utf8');
    return { name, keyFile, certFile, pem, keyKind, certificate: parseCertificate(pem) };
  }

  private caDatabase(name: string): { dir: string; configFile: string } {
    const dir = this.file(`${name}-db`);
    fs.mkdirSync(path.join(dir, 'newcerts'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'index.txt'), '');
    fs.writeFileSync(path.join(dir, 'serial'), randomSerialHex() + '\n');
    fs.writeFileSync(path.join(dir, 'crlnumber'), '01\n');
    const configFile = path.join(dir, 'ca.cnf');
    fs.writeFileSync(configFile, [
      '[ca]', 'default_ca = this', '[this]', `dir = ${dir}`, 'database = $dir/index.txt', 'new_certs_dir = $dir/newcerts',
      'serial = $dir/serial', 'crlnumber = $dir/crlnumber', 'default_md = sha256', 'policy = any', 'unique_subject = no',
      'copy_extensions = none', 'preserve = yes', 'default_crl_days = 7', 'string_mask = utf8only', 'crl_extensions = crl_ext',
      '[crl_ext]', 'authorityKeyIdentifier = keyid',
      '[any]', 'countryName = optional', 'organizationName = optional', 'organizationalUnitName = optional',
      'commonName = optional', 'emailAddress = optional', '',
    ].join('\n'));
    return { dir, configFile };
  }

  /** A self-signed root CA. */
  root(name: string, options: { key?: KeyKind; commonName?: string; days?: number; extensions?: string } = {}): TestCa {
    const kind = options.key ?? 'rsa';
    const keyFile = this.newKey(name, kind);
    const certFile = this.file(`${name}.crt`);
    const ext = options.extensions ?? 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n';
    const extFile = this.file(`${name}.ext`);
    fs.writeFileSync(extFile, `[ext]\n${ext}`);
    openssl(['req', '-x509', '-new', '-utf8', '-key', keyFile, '-out', certFile, '-days', String(options.days ?? 3650), '-sha256',
      '-subj', `/C=FR/O=Santé Test/CN=${options.commonName ?? name}`, '-config', extFile, '-extensions', 'ext']);
    return { ...this.loaded(name, keyFile, certFile, kind), ...this.caDatabase(name) };
  }

  /** A certificate signed by `issuer` with the extensions given (openssl ca syntax). */
  issue(name: string, issuer: TestCa, extensions: string, options: LeafOptions & { subject: string }): TestCertificate {
    const kind = options.key ?? 'rsa';
    const keyFile = this.newKey(name, kind);
    const csrFile = this.file(`${name}.csr`);
    openssl(['req', '-new', '-utf8', '-key', keyFile, '-out', csrFile, '-subj', options.subject, '-config', emptyConfig(this)]);
    const extFile = this.file(`${name}.ext`);
    fs.writeFileSync(extFile, `[ext]\n${extensions}`);
    const certFile = this.file(`${name}.crt`);
    const dates = options.startDate
      ? ['-startdate', options.startDate, '-enddate', options.endDate ?? '20991231000000Z']
      : ['-days', String(options.days ?? 365)];
    openssl(['ca', '-batch', '-utf8', '-notext', '-config', issuer.configFile, '-cert', issuer.certFile, '-keyfile', issuer.keyFile,
      '-in', csrFile, '-out', certFile, '-extfile', extFile, '-extensions', 'ext', '-md', options.md ?? 'sha256', ...dates]);
    return this.loaded(name, keyFile, certFile, kind);
  }

  /** A sub-CA below `issuer`. */
  intermediate(name: string, issuer: TestCa, options: { key?: KeyKind; extensions?: string } = {}): TestCa {
    const ext = options.extensions ??
      'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n';
    const cert = this.issue(name, issuer, ext, { key: options.key ?? 'rsa', subject: `/C=FR/O=Santé Test/CN=${name}`, days: 1800 });
    return { ...cert, ...this.caDatabase(name) };
  }

  /** An S/MIME end-entity certificate; by default right for signing mail as `email`. */
  leaf(name: string, issuer: TestCa, options: LeafOptions = {}): TestCertificate {
    const email = options.email === undefined ? `${name}@example.test` : options.email;
    const lines = [
      'basicConstraints=critical,CA:FALSE',
      `keyUsage=critical,${options.keyUsage ?? 'digitalSignature,nonRepudiation,keyEncipherment'}`,
      ...(options.extendedKeyUsage === null ? [] : [`extendedKeyUsage=${options.extendedKeyUsage ?? 'emailProtection,clientAuth'}`]),
      ...(email ? [`subjectAltName=email:${email}`] : []),
      'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid',
      `crlDistributionPoints=URI:http://crl.example.test/${issuer.name}.crl`,
      ...(options.extraExtensions ? [options.extraExtensions] : []),
    ];
    const subject = `/C=FR/O=Santé Test/CN=${options.commonName ?? name}${options.subjectEmail ? `/emailAddress=${options.subjectEmail}` : ''}`;
    const eeKey = options.key ?? 'rsa';
    return this.issue(name, issuer, lines.join('\n') + '\n', { ...options, key: eeKey, subject });
  }

  /** Lets any certificate issue others through `openssl ca` (which does not check that it is a CA). */
  asCa(cert: TestCertificate): TestCa {
    return { ...cert, ...this.caDatabase(cert.name) };
  }

  /** Marks a certificate revoked in its issuer's database. */
  revoke(cert: TestCertificate, issuer: TestCa, reason = 'keyCompromise'): void {
    openssl(['ca', '-config', issuer.configFile, '-cert', issuer.certFile, '-keyfile', issuer.keyFile, '-revoke', cert.certFile, '-crl_reason', reason]);
  }

  /** A CRL of the issuer's database, valid for `hours`. */
  crl(issuer: TestCa, options: { hours?: number; file?: string } = {}): { file: string; crl: pkijs.CertificateRevocationList; pem: string } {
    const file = this.file(options.file ?? `${issuer.name}.crl`);
    openssl(['ca', '-gencrl', '-config', issuer.configFile, '-cert', issuer.certFile, '-keyfile', issuer.keyFile,
      '-crlhours', String(options.hours ?? 24 * 7), '-out', file]);
    const pem = fs.readFileSync(file, 'utf8');
    return { file, pem, crl: parseCrl(pem) };
  }
}

function emptyConfig(pki: OpensslPki): string {
  const file = pki.file('req.cnf');
  if (!fs.existsSync(file)) fs.writeFileSync(file, '[req]\ndistinguished_name = dn\nstring_mask = utf8only\n[dn]\n');
  return file;
}

function randomSerialHex(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(12));
  bytes[0] = (bytes[0]! & 0x7f) | 0x10;
  return Buffer.from(bytes).toString('hex').toUpperCase();
}

/** The private key of a test certificate as a WebCrypto signing key (not extractable). */
export async function signingKeyOf(cert: TestCertificate): Promise<webcrypto.CryptoKey> {
  const der = fromPem(fs.readFileSync(cert.keyFile, 'utf8'), 'PRIVATE KEY');
  const algorithm = cert.keyKind === 'rsa' ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : { name: 'ECDSA', namedCurve: 'P-256' };
  return webcrypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign']);
}

/** openssl's date form for `openssl ca -startdate/-enddate`. */
export function opensslDate(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
}
