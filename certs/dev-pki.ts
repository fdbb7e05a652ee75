/**
 * The development PKI: a root CA of its own and one TLS server certificate for the
 * operator's host names, so that a fresh install speaks TLS on every protocol at once.
 * Users import ca.crt into their mail client once; that is why the CA is never replaced
 * behind their back, while the server certificate is re-issued (under the same CA)
 * whenever the host names change or it comes close to expiry.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type * as pkijs from 'pkijs';
import { HygieError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { describeCertificate } from './describe.js';
import { cryptoEngine } from './engine.js';
import { readIfExists, writeFileAtomic } from './files.js';
import {
  DEFAULT_KEY_ALGORITHM, exportPrivateKeyPem, generateKeyPair, importPrivateKeyPem, keyAlgorithmOfKeyObject,
  type KeyAlgorithm, type KeyPairInfo,
} from './keys.js';
import { hostSubjectAltName, subjectAltNameKey as sanKey, type SubjectAltName } from './names.js';
import { fromPem } from './pem.js';
import { PROFILES } from './profiles.js';
import { issueCertificate, parseCertificate, subjectAltNamesOf } from './x509.js';

export interface DevPkiOptions {
  /** Directory of ca.crt, ca.key, server.crt, server.key; created with mode 0700. */
  dir: string;
  /** DNS names (or IP literals) the server is reached by; 127.0.0.1 is always added. */
  hostnames: string[];
  organisation: string;
  /** Injectable clock, for tests. */
  now?: Date;
  /** Used only when a key is generated; RSA-2048 by default. */
  caKeyAlgorithm?: KeyAlgorithm;
  /** Desired server key algorithm; a server key of another algorithm is replaced. */
  serverKeyAlgorithm?: KeyAlgorithm;
  logger?: Logger;
}

export interface DevPki {
  caCertPem: string;
  caCertFile: string;
  serverCertPem: string;
  serverKeyPem: string;
  serverCertFile: string;
  serverKeyFile: string;
  /** True when this call created a new CA (users must import the new ca.crt). */
  created: boolean;
  /** True when this call (re-)issued the server certificate. */
  serverIssued: boolean;
}

const DAY_MS = 86_400_000;
const CA_VALIDITY_YEARS = 10;
const SERVER_VALIDITY_DAYS = 397;
const RENEW_BEFORE_DAYS = 30;
/** notBefore is set slightly in the past so a client with a late clock still accepts it. */
const BACKDATE_MS = 3_600_000;
const ALWAYS_IPS = ['127.0.0.1'];
const KEY_MODE = 0o600;
const CERT_MODE = 0o644;

interface LoadedCa {
  certPem: string;
  cert: pkijs.Certificate;
}

export async function ensureDevPki(options: DevPkiOptions): Promise<DevPki> {
  const now = options.now ?? new Date();
  const organisation = options.organisation.trim();
  if (organisation === '' || organisation.length > 64) {
    throw new HygieError('CONFIG_INVALID', 'the PKI organisation name must be 1 to 64 characters');
  }
  const wanted = wantedSubjectAltNames(options.hostnames);
  const serverKeyAlgorithm = options.serverKeyAlgorithm ?? DEFAULT_KEY_ALGORITHM;
  const files = {
    caCert: path.join(options.dir, 'ca.crt'),
    caKey: path.join(options.dir, 'ca.key'),
    serverCert: path.join(options.dir, 'server.crt'),
    serverKey: path.join(options.dir, 'server.key'),
  };
  await fs.mkdir(options.dir, { recursive: true, mode: 0o700 });

  let ca = await loadCa(files.caCert, files.caKey, now);
  let caKeys: KeyPairInfo | undefined;
  const created = ca === undefined;
  if (!ca) {
    caKeys = await generateKeyPair(options.caKeyAlgorithm ?? DEFAULT_KEY_ALGORITHM);
    ca = await createCa(caKeys, organisation, now);
    // Key first: a ca.crt on disk always has its key next to it.
    await writeFileAtomic(files.caKey, await exportPrivateKeyPem(caKeys.privateKey), KEY_MODE);
    await writeFileAtomic(files.caCert, ca.certPem, CERT_MODE);
    options.logger?.info('dev PKI: created root CA', { file: files.caCert, sha256: describeCertificate(ca.certPem).sha256Fingerprint });
  }

  const certPem = created ? undefined : await readIfExists(files.serverCert);
  const keyPem = created ? undefined : await readIfExists(files.serverKey);
  const renewal: Renewal | undefined = created
    ? { reason: 'new CA', newKey: true }
    : await renewalReason(certPem, keyPem, ca, wanted, serverKeyAlgorithm, now);
  if (!renewal) {
    return result(files, ca.certPem, certPem!, keyPem!, false, false);
  }

  // Renewal keeps a sound server key, so that nothing which pinned it has to change;
  // delete server.key to rotate it.
  const reuseKey = !renewal.newKey && keyPem !== undefined;
  const serverKeys = reuseKey ? await importPrivateKeyPem(keyPem) : await generateKeyPair(serverKeyAlgorithm);
  const signingKey = caKeys?.privateKey ?? (await importPrivateKeyPem(await fs.readFile(files.caKey, 'utf8'))).privateKey;
  const dnsNames = wanted.flatMap((s) => ('dns' in s ? [s.dns] : []));
  const commonName = dnsNames.find((name) => name.length <= 64);
  const notBefore = new Date(Math.max(now.getTime() - BACKDATE_MS, ca.cert.notBefore.value.getTime()));
  const notAfter = new Date(Math.min(now.getTime() + SERVER_VALIDITY_DAYS * DAY_MS, ca.cert.notAfter.value.getTime()));
  const server = await issueCertificate({
    profile: PROFILES.tlsServer,
    subject: { organisation, ...(commonName ? { commonName } : {}) },
    issuer: { certificate: ca.cert, privateKey: signingKey },
    publicKey: serverKeys.publicKey,
    validity: { notBefore, notAfter },
    subjectAltNames: wanted,
  });
  const serverKeyPem = reuseKey ? keyPem : await exportPrivateKeyPem(serverKeys.privateKey);
  if (!reuseKey) await writeFileAtomic(files.serverKey, serverKeyPem, KEY_MODE);
  await writeFileAtomic(files.serverCert, server.pem, CERT_MODE);
  options.logger?.info('dev PKI: issued server certificate', {
    reason: renewal.reason, names: wanted.map(sanKey).join(' '), notAfter: notAfter.toISOString(),
  });
  return result(files, ca.certPem, server.pem, serverKeyPem, created, true);
}

function result(
  files: { caCert: string; serverCert: string; serverKey: string },
  caCertPem: string, serverCertPem: string, serverKeyPem: string, created: boolean, serverIssued: boolean,
): DevPki {
  return {
    caCertPem, caCertFile: files.caCert,
    serverCertPem, serverKeyPem, serverCertFile: files.serverCert, serverKeyFile: files.serverKey,
    created, serverIssued,
  };
}

/** The existing CA, or undefined when there is none yet. A broken CA is an error, never replaced. */
async function loadCa(certFile: string, keyFile: string, now: Date): Promise<LoadedCa | undefined> {
  const certPem = await readIfExists(certFile);
  if (certPem === undefined) return undefined; // a lone ca.key was never trusted by anyone
  let cert: pkijs.Certificate;
  try {
    cert = parseCertificate(certPem);
  } catch (cause) {
    throw new HygieError('CONFIG_INVALID', `${certFile} is not a readable certificate; remove the directory to create a new dev PKI`, { cause });
  }
  if ((await readIfExists(keyFile)) === undefined) {
    throw new HygieError('CONFIG_INVALID', `${keyFile} is missing next to ${certFile}; remove the directory to create a new dev PKI`);
  }
  if (cert.notAfter.value <= now) {
    throw new HygieError('CONFIG_INVALID', `the dev CA ${certFile} expired on ${cert.notAfter.value.toISOString()}; remove the directory to create a new one`);
  }
  return { certPem, cert };
}

async function createCa(keys: KeyPairInfo, organisation: string, now: Date): Promise<LoadedCa> {
  const notBefore = new Date(now.getTime() - BACKDATE_MS);
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_VALIDITY_YEARS);
  const issued = await issueCertificate({
    profile: PROFILES.rootCa,
    subject: { organisation, commonName: truncate(`Hygie Dev Root CA – ${organisation}`, 64) },
    issuer: { selfSigned: true, privateKey: keys.privateKey },
    publicKey: keys.publicKey,
    validity: { notBefore, notAfter },
  });
  return { certPem: issued.pem, cert: issued.certificate };
}

interface Renewal {
  reason: string;
  /** Whether the server key must be replaced too (absent, unreadable, wrong kind). */
  newKey: boolean;
}

/** Why the server certificate must be (re-)issued, or undefined when it is fine as it is. */
async function renewalReason(
  certPem: string | undefined, keyPem: string | undefined, ca: LoadedCa,
  wanted: readonly SubjectAltName[], keyAlgorithm: KeyAlgorithm, now: Date,
): Promise<Renewal | undefined> {
  let key: KeyObject;
  try {
    if (keyPem === undefined) return { reason: 'server key missing', newKey: true };
    key = createPrivateKey({ key: Buffer.from(fromPem(keyPem, 'PRIVATE KEY')), format: 'der', type: 'pkcs8' });
  } catch {
    return { reason: 'server key unreadable', newKey: true };
  }
  if (keyAlgorithmOfKeyObject(key) !== keyAlgorithm) return { reason: 'key algorithm changed', newKey: true };
  let cert: pkijs.Certificate;
  try {
    if (certPem === undefined) return { reason: 'server certificate missing', newKey: false };
    cert = parseCertificate(certPem);
  } catch {
    return { reason: 'server certificate unreadable', newKey: false };
  }
  const keySpki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const certSpki = Buffer.from(cert.subjectPublicKeyInfo.toSchema().toBER(false));
  if (!keySpki.equals(certSpki)) return { reason: 'server key does not match certificate', newKey: false };
  if (!cert.issuer.isEqual(ca.cert.subject) || !(await cert.verify(ca.cert, cryptoEngine()))) {
    return { reason: 'issued by another CA', newKey: false };
  }
  if (!sameNames(subjectAltNamesOf(cert), wanted)) return { reason: 'hostnames changed', newKey: false };
  // (Unless the CA itself starts later: a new certificate would not start any earlier.)
  if (cert.notBefore.value > now && cert.notBefore.value > ca.cert.notBefore.value) return { reason: 'not yet valid', newKey: false };
  const expiresSoon = cert.notAfter.value.getTime() - now.getTime() < RENEW_BEFORE_DAYS * DAY_MS;
  // When the CA itself ends first, a new certificate could not live longer: keep this one.
  if (expiresSoon && ca.cert.notAfter.value > cert.notAfter.value) return { reason: 'expires soon', newKey: false };
  return undefined;
}

/** Normalised, de-duplicated SAN list from configured host names, plus the loopback address. */
function wantedSubjectAltNames(hostnames: readonly string[]): SubjectAltName[] {
  const out = new Map<string, SubjectAltName>();
  for (const raw of [...hostnames, ...ALWAYS_IPS]) {
    let san: SubjectAltName;
    try {
      san = hostSubjectAltName(raw);
    } catch (cause) {
      throw new HygieError('CONFIG_INVALID', `invalid host name for the TLS certificate: "${raw}"`, { cause });
    }
    out.set(sanKey(san), san);
  }
  return [...out.values()];
}

function sameNames(a: readonly SubjectAltName[], b: readonly SubjectAltName[]): boolean {
  const left = [...new Set(a.map(sanKey))].sort();
  const right = [...new Set(b.map(sanKey))].sort();
  return left.length === right.length && left.every((key, i) => key === right[i]);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + '…';
}

