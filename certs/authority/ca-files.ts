/**
 * One CA's certificate and private key in a directory (ca.crt 0644, ca.key 0600, the
 * directory 0700), as the development PKI keeps them until certs/store holds them.
 * Loading refuses, rather than repairs, anything inconsistent: users may already trust
 * the certificate, so it is never replaced behind their back.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type * as pkijs from 'pkijs';
import { HygieError } from '../../core/errors.js';
import { subtle, type CryptoKey } from '../engine.js';
import { readIfExists, writeFileAtomic } from '../files.js';
import { exportPrivateKeyPem, importPrivateKeyPem, type KeyPairInfo } from '../keys.js';
import { parseCertificate, type IssuedCertificate } from '../x509.js';

export const CA_FILES = { certificate: 'ca.crt', privateKey: 'ca.key', register: 'register.json' } as const;
const KEY_MODE = 0o600;
const CERT_MODE = 0o644;
const DIR_MODE = 0o700;

export interface StoredCa {
  readonly certificate: pkijs.Certificate;
  readonly keys: KeyPairInfo;
}

/** The CA in `dir`, or undefined when there is no CA there yet (neither certificate nor register). */
export async function loadCaFiles(dir: string, now: Date): Promise<StoredCa | undefined> {
  const certFile = path.join(dir, CA_FILES.certificate);
  const keyFile = path.join(dir, CA_FILES.privateKey);
  const refuse = (detail: string, cause?: unknown) => new HygieError('CONFIG_INVALID',
    `${detail}; remove ${dir} (and what it issued) to create a new CA`, cause === undefined ? undefined : { cause });
  const certPem = await readIfExists(certFile);
  if (certPem === undefined) {
    // A lone key was never trusted by anyone; a lone register would mix another CA's serials into a new one.
    const register = path.join(dir, CA_FILES.register);
    if ((await readIfExists(register)) !== undefined) throw refuse(`${register} is left from a CA whose ${CA_FILES.certificate} is gone`);
    return undefined;
  }
  let certificate: pkijs.Certificate;
  try {
    certificate = parseCertificate(certPem);
  } catch (cause) {
    throw refuse(`${certFile} is not a readable certificate`, cause);
  }
  const keyPem = await readIfExists(keyFile);
  if (keyPem === undefined) throw refuse(`${keyFile} is missing next to ${certFile}`);
  let keys: KeyPairInfo;
  try {
    keys = await importPrivateKeyPem(keyPem);
  } catch (cause) {
    throw refuse(`${keyFile} is not a readable private key`, cause);
  }
  const keySpki = Buffer.from(await subtle.exportKey('spki', keys.publicKey));
  if (!keySpki.equals(Buffer.from(certificate.subjectPublicKeyInfo.toSchema().toBER(false)))) {
    throw refuse(`${keyFile} is not the key of ${certFile}`);
  }
  if (certificate.notAfter.value <= now) throw refuse(`the CA ${certFile} expired on ${certificate.notAfter.value.toISOString()}`);
  return { certificate, keys };
}

/** Writes a new CA: key first, so that a certificate on disk always has its key next to it. */
export async function saveCaFiles(dir: string, issued: IssuedCertificate, privateKey: CryptoKey): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: DIR_MODE });
  await fs.chmod(dir, DIR_MODE);
  await writeFileAtomic(path.join(dir, CA_FILES.privateKey), await exportPrivateKeyPem(privateKey), KEY_MODE);
  await writeFileAtomic(path.join(dir, CA_FILES.certificate), issued.pem, CERT_MODE);
}
