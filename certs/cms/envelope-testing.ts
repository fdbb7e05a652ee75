/**
 * Test fixtures for the encryption tests only: a throw-away CA and S/MIME identities
 * made with `openssl` (an implementation independent of ours), `openssl cms` as the
 * interoperability peer, and realistic French messages.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes, webcrypto } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type * as pkijs from 'pkijs';
import type { CryptoKey } from '../engine.js';
import { fromPem } from '../pem.js';
import { parseCertificate } from '../x509.js';

export interface RunResult {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs openssl with binary input and output. */
export function runOpenssl(args: readonly string[], input?: Buffer): RunResult {
  const run = spawnSync('openssl', args, { ...(input ? { input } : {}), maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw run.error;
  return { status: run.status, stdout: run.stdout, stderr: run.stderr.toString('utf8') };
}

function mustRun(args: readonly string[], input?: Buffer): Buffer {
  const result = runOpenssl(args, input);
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

export type KeyKind = 'rsa' | 'ec-p256' | 'ec-p384';

export interface Identity {
  readonly email: string;
  readonly kind: KeyKind;
  readonly certPath: string;
  readonly keyPath: string;
  readonly certificate: pkijs.Certificate;
  /** Imported for decryption (RSA-OAEP / ECDH), not extractable. */
  readonly privateKey: CryptoKey;
}

export interface IdentityOptions {
  /** keyUsage value; by default the one for encryption with this key type. */
  readonly keyUsage?: string;
}

/** A CA under `dir` that issues S/MIME certificates with openssl. */
export class TestPki {
  private readonly caKey: string;
  private readonly caCert: string;

  constructor(private readonly dir: string) {
    this.caKey = path.join(dir, 'ca.key');
    this.caCert = path.join(dir, 'ca.pem');
    mustRun(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', this.caKey, '-out', this.caCert,
      '-subj', '/C=FR/O=Hygie Test/CN=Hygie Test S-MIME CA', '-days', '30',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  }

  async identity(name: string, email: string, kind: KeyKind, options: IdentityOptions = {}): Promise<Identity> {
    const keyPath = path.join(this.dir, `${name}.key`);
    const certPath = path.join(this.dir, `${name}.pem`);
    const csrPath = path.join(this.dir, `${name}.csr`);
    const extPath = path.join(this.dir, `${name}.ext`);
    const keySpec = kind === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', `ec_paramgen_curve:${kind === 'ec-p256' ? 'P-256' : 'P-384'}`];
    mustRun(['req', '-new', ...keySpec, '-nodes', '-keyout', keyPath, '-out', csrPath, '-subj', `/C=FR/O=Hygie Test/CN=${name}`]);
    const keyUsage = options.keyUsage ?? (kind === 'rsa' ? 'critical,digitalSignature,keyEncipherment' : 'critical,digitalSignature,keyAgreement');
    fs.writeFileSync(extPath, [
      `subjectAltName=email:${email}`,
      `keyUsage=${keyUsage}`,
      'extendedKeyUsage=emailProtection',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      '',
    ].join('\n'));
    mustRun(['x509', '-req', '-in', csrPath, '-CA', this.caCert, '-CAkey', this.caKey, '-set_serial', '0x' + randomBytes(15).toString('hex'),
      '-days', '30', '-extfile', extPath, '-out', certPath]);
    const certificate = parseCertificate(fs.readFileSync(certPath, 'utf8'));
    const privateKey = await importKey(keyPath, kind, 'decrypt');
    return { email, kind, certPath, keyPath, certificate, privateKey };
  }
}

/**
 * Imports a PKCS#8 key file into WebCrypto. 'decrypt' imports it for decryption;
 * 'sign' as the signing key the rest of certs/ holds (RSASSA / ECDSA), to show that one
 * stored key serves both.
 */
export async function importKey(keyPath: string, kind: KeyKind, purpose: 'decrypt' | 'sign'): Promise<CryptoKey> {
  const der = fromPem(fs.readFileSync(keyPath, 'utf8'), 'PRIVATE KEY');
  const namedCurve = kind === 'ec-p384' ? 'P-384' : 'P-256';
  if (kind === 'rsa') {
    return purpose === 'decrypt'
      ? webcrypto.subtle.importKey('pkcs8', der, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt'])
      : webcrypto.subtle.importKey('pkcs8', der, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
  }
  return purpose === 'decrypt'
    ? webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDH', namedCurve }, false, ['deriveBits'])
    : webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve }, false, ['sign']);
}

/** `openssl cms -decrypt` of an S/MIME message (or DER with `inform`), binary output. */
export function opensslDecrypt(input: Buffer, recipient: Identity, inform: 'SMIME' | 'DER' = 'SMIME'): RunResult {
  return runOpenssl(['cms', '-decrypt', '-inform', inform, '-recip', recipient.certPath, '-inkey', recipient.keyPath, '-binary'], input);
}

/**
 * `openssl cms -encrypt` of a MIME entity for recipients, S/MIME output (headers included).
 * Options starting with `rsa_` or `ecdh_` become `-keyopt`s of each recipient of that key
 * type (openssl wants them right after the `-recip` they apply to); others are global.
 */
export function opensslEncrypt(entity: Buffer, recipients: readonly Identity[], options: readonly string[]): Buffer {
  const global = options.filter((o) => !/^(rsa|ecdh)_/.test(o));
  const keyopts = (prefix: string) => options.filter((o) => o.startsWith(prefix)).flatMap((o) => ['-keyopt', o]);
  return mustRun(['cms', '-encrypt', '-binary', ...global,
    ...recipients.flatMap((r) => ['-recip', r.certPath, ...keyopts(r.kind === 'rsa' ? 'rsa_' : 'ecdh_')])], entity);
}

/** `openssl cms -sign` of an entity, opaque S/MIME output. */
export function opensslSign(entity: Buffer, signer: Identity): Buffer {
  return mustRun(['cms', '-sign', '-binary', '-nodetach', '-signer', signer.certPath, '-inkey', signer.keyPath], entity);
}

const CRLF = (lines: readonly string[]) => Buffer.from(lines.join('\r\n'), 'utf8');

/** The outer (RFC 5322) header of the test messages, with an RFC 2047 French subject. */
export const OUTER_HEADER = [
  'From: =?UTF-8?Q?Dr_=C3=89lise_Durand?= <elise.durand@hopital.test>',
  'To: =?UTF-8?Q?Fran=C3=A7ois_L=C3=A9ger?= <francois.leger@cabinet.test>',
  'Subject: =?UTF-8?Q?R=C3=A9sultats_d=27analyses_=E2=80=94_patiente_H=C3=A9l?=',
  ' =?UTF-8?Q?=C3=A8ne_B=C3=A9ranger?=',
  'Date: Tue, 14 Jan 2025 09:30:00 +0100',
  'Message-ID: <resultats-4242@hopital.test>',
];

/** A text/plain entity with an accented UTF-8 body. */
export const TEXT_ENTITY = CRLF([
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: 8bit',
  '',
  'Bonjour Docteur Léger,',
  '',
  'Veuillez trouver les résultats de Mme Hélène Béranger : hémoglobine 13,2 g/dl,',
  'créatinine 78 µmol/l. Contrôle à prévoir dans trois mois — à réévaluer.',
  '',
  'Bien cordialement,',
  'Élise Durand',
  '',
]);

/** A multipart/mixed entity: accented text and a base64 attachment with a UTF-8 file name. */
export function multipartEntity(): Buffer {
  const attachment = Buffer.concat([Buffer.from('%PDF-1.4\n% compte rendu\n'), randomBytes(3000)]);
  const base64 = attachment.toString('base64').match(/.{1,76}/g)!;
  return CRLF([
    'Content-Type: multipart/mixed; boundary="=_limite_4242"',
    '',
    'This is a multi-part message in MIME format.',
    '--=_limite_4242',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Compte rendu d=E2=80=99=C3=A9chographie ci-joint.',
    '--=_limite_4242',
    'Content-Type: application/pdf; name="=?UTF-8?Q?compte-rendu_=C3=A9chographie.pdf?="',
    'Content-Transfer-Encoding: base64',
    "Content-Disposition: attachment; filename*=UTF-8''compte-rendu%20%C3%A9chographie.pdf",
    '',
    ...base64,
    '--=_limite_4242--',
    '',
  ]);
}

/** A whole message: the outer header, MIME-Version, then the entity. */
export function messageWith(entity: Buffer): Buffer {
  return Buffer.concat([CRLF([...OUTER_HEADER, 'MIME-Version: 1.0', '']), entity]);
}

/** The outer header fields as they must come out of encryption and decryption. */
export const OUTER_HEADER_TEXT = OUTER_HEADER.join('\r\n') + '\r\n';
