/** `hygie pki …`: the development PKI (create, issue, revoke), and the certificate store (list, import). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  describeCertificate, DevHealthPkiService, ensureDevPki, isRevocationReason, normaliseSerial, REVOCATION_REASONS, SUB_CAS,
  type ImportResult, type KeyAlgorithm, type StoredCertificate,
} from '../../certs/index.js';
import { HygieError } from '../../core/errors.js';
import type { OperatorContext } from '../context.js';
import { operatorActor, optionalString, PASSWORD_OPTIONS, readPassword, withContext } from './shared.js';
import { UsageError, type CliCommand, type OptionValues } from './types.js';

const SMIME_USAGES = ['signing', 'encryption', 'dual'] as const;
const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['RSA-2048', 'RSA-3072', 'RSA-4096', 'ECDSA-P256'];
const CLIENT_KINDS = ['operator', 'application'] as const;
const TRUST_PURPOSES = ['smime', 'tls-peer'] as const;

/** The development health PKI of this operator: <dataDir>/pki/health, kept in step with the store. */
export function devHealthPki(context: OperatorContext): DevHealthPkiService {
  return new DevHealthPkiService({
    dir: path.join(context.paths.pki, 'health'), organisation: context.config.operator.name,
    certificates: context.certificates, audit: context.audit,
  });
}

function oneOf<T extends string>(values: OptionValues, name: string, allowed: readonly T[], fallback?: T): T {
  const value = optionalString(values, name) ?? fallback;
  if (value === undefined) throw new UsageError(`--${name} is required (${allowed.join(', ')})`);
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, not "${value}"`);
  return value as T;
}

function printCertificate(c: StoredCertificate, extra: string[] = []): void {
  console.log(`Certificate ${c.subject}`);
  const rows: Array<[string, string]> = [
    ['issuer', c.issuer],
    ['serial', c.serialHex],
    ['addresses', c.addresses.join(', ') || '-'],
    ['notAfter', c.notAfter.toISOString()],
    ['usage', usageOf(c)],
    ['key', `${c.keyAlgorithm}${c.hasPrivateKey ? ' (private key stored)' : ''}`],
    ['SHA-256', colonHex(c.sha256)],
  ];
  for (const [label, value] of rows) console.log(`  ${label.padEnd(10)} ${value}`);
  for (const line of extra) console.log(`  ${line}`);
}

function usageOf(c: StoredCertificate): string {
  if (c.isCa) return 'CA';
  if (c.canSign && c.canEncrypt) return 'dual (sign, encrypt)';
  if (c.canSign) return 'signing';
  if (c.canEncrypt) return 'encryption';
  return 'none';
}

function colonHex(hex: string): string {
  return (hex.toUpperCase().match(/../g) ?? []).join(':');
}

const printCa: CliCommand = {
  words: ['pki', 'print-ca'],
  usage: '\n      print the development CA certificate (PEM; fingerprint on stderr)',
  run: async ({ config }) => {
    if (config.tls.certFile) {
      console.error('This operator uses a configured certificate (tls.certFile); its CA is not the development CA.');
      return 1;
    }
    const pki = await ensureDevPki({ dir: path.resolve(config.server.dataDir, 'pki'), hostnames: [...config.server.hostnames], organisation: config.operator.name });
    const ca = describeCertificate(pki.caCertPem);
    process.stdout.write(pki.caCertPem.endsWith('\n') ? pki.caCertPem : pki.caCertPem + '\n');
    console.error(`# ${ca.subject}\n# SHA-256 fingerprint: ${ca.sha256Fingerprint}\n# valid until ${ca.notAfter.toISOString()}\n# file: ${pki.caCertFile}`);
    return 0;
  },
};

/** Opens the PKI for issuing, saying so when this first use created it. */
async function issuingPki(context: OperatorContext): Promise<DevHealthPkiService> {
  const service = devHealthPki(context);
  const { created } = await service.open(operatorActor());
  if (created) console.error(`Development health PKI created in ${service.dir} (root trusted for ${service.trustedFor.join(', ')})`);
  return service;
}

const create: CliCommand = {
  words: ['pki', 'create'],
  usage: '\n      create (or reopen) the development health PKI: a root and three sub-CAs, the root\n      trusted for smime and tls-peer',
  run: ({ config }) => withContext(config, async (context) => {
    const service = devHealthPki(context);
    const { pki, created } = await service.open(operatorActor());
    console.log(`Development health PKI ${created ? 'created' : 'reopened'} in ${service.dir}`);
    for (const name of ['root', ...SUB_CAS] as const) console.log(`  ${name.padEnd(13)} ${describeCertificate(pki[name].der).subject}`);
    console.log(`Root SHA-256 fingerprint: ${describeCertificate(pki.root.der).sha256Fingerprint}`);
    console.log(`Root trusted for: ${service.trustedFor.join(', ')}`);
    return 0;
  }),
};

const issueSmime: CliCommand = {
  words: ['pki', 'issue', 'smime'],
  usage: 'ADDRESS [--usage signing|encryption|dual] [--key RSA-2048|RSA-3072|RSA-4096|ECDSA-P256]\n      issue an S/MIME certificate (dual by default) and store it with its key',
  options: { usage: { type: 'string' }, key: { type: 'string' } },
  run: ({ values, args, config }) => withContext(config, async (context) => {
    const address = args[0];
    if (!address || args.length > 1) throw new UsageError('pki issue smime needs one ADDRESS');
    const usage = oneOf(values, 'usage', SMIME_USAGES, 'dual');
    const keyAlgorithm = oneOf(values, 'key', KEY_ALGORITHMS, 'RSA-2048');
    const { stored, issuer } = await (await issuingPki(context)).issueSmime(address, { usage, keyAlgorithm, actor: operatorActor() });
    console.log(`S/MIME certificate issued for ${address} by ${issuer} (${usage}, ${keyAlgorithm})`);
    printCertificate(stored);
    return 0;
  }),
};

const issueClient: CliCommand = {
  words: ['pki', 'issue', 'client'],
  usage: 'NAME --kind operator|application\n      issue a TLS client certificate (a peer operator\'s relay host, or an application), print and store it',
  options: { kind: { type: 'string' } },
  run: ({ values, args, config }) => withContext(config, async (context) => {
    const name = args[0];
    if (!name || args.length > 1) throw new UsageError('pki issue client needs one NAME');
    const kind = oneOf(values, 'kind', CLIENT_KINDS);
    const { stored, issuer, pem } = await (await issuingPki(context)).issueTlsClient(name, kind, operatorActor());
    console.error(`TLS client certificate issued for ${name} (${kind}) by ${issuer}; its private key is stored`);
    printCertificate(stored);
    process.stdout.write(pem.endsWith('\n') ? pem : pem + '\n');
    return 0;
  }),
};

const revoke: CliCommand = {
  words: ['pki', 'revoke'],
  usage: `SERIAL [--reason ${Object.keys(REVOCATION_REASONS).join('|')}]\n      revoke a certificate of the development PKI and write the issuing CA's new CRL`,
  options: { reason: { type: 'string' } },
  run: ({ values, args, config }) => withContext(config, async (context) => {
    const given = args[0];
    if (!given || args.length > 1) throw new UsageError('pki revoke needs one SERIAL (hex)');
    const reason = optionalString(values, 'reason') ?? 'unspecified';
    if (!isRevocationReason(reason)) throw new UsageError(`--reason must be one of ${Object.keys(REVOCATION_REASONS).join(', ')}`);
    let serial: string;
    try {
      serial = normaliseSerial(given);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const revoked = await devHealthPki(context).revoke(serial, reason, operatorActor());
    console.log(`Certificate ${revoked.serial} revoked by ${revoked.authority} (${reason}, ${revoked.date.toISOString()})`);
    console.log(`CRL number ${revoked.crlNumber} written to ${revoked.crlFile}`);
    return 0;
  }),
};

function listed(c: StoredCertificate) {
  return {
    id: c.id, subject: c.subject, issuer: c.issuer, addresses: c.addresses, serial: c.serialHex,
    notBefore: c.notBefore.toISOString(), notAfter: c.notAfter.toISOString(), source: c.source,
    hasPrivateKey: c.hasPrivateKey, canSign: c.canSign, canEncrypt: c.canEncrypt, isCa: c.isCa,
    keyAlgorithm: c.keyAlgorithm, sha256: c.sha256,
  };
}

const list: CliCommand = {
  words: ['pki', 'list'],
  usage: '[--address A] [--json]\n      list stored certificates',
  options: { address: { type: 'string' }, json: { type: 'boolean' } },
  run: ({ values, config }) => withContext(config, async (context) => {
    const address = optionalString(values, 'address');
    const certificates = await context.certificates.listCertificates(address ? { address } : {});
    if (values.json) {
      console.log(JSON.stringify(certificates.map(listed), null, 2));
      return 0;
    }
    if (certificates.length === 0) console.log(address ? `No certificate for ${address}.` : 'No certificate yet. Create the PKI with: hygie pki create');
    for (const c of certificates) {
      const flags = [c.canSign ? 'sign' : '', c.canEncrypt ? 'encrypt' : '', c.isCa ? 'CA' : '', c.hasPrivateKey ? 'key' : ''].filter(Boolean).join(',');
      console.log(`${String(c.id).padStart(4)}  ${c.serialHex}  ${c.notAfter.toISOString().slice(0, 10)}  ${c.source.padEnd(8)} ${flags.padEnd(20)} ${c.subject}${c.addresses.length ? `  <${c.addresses.join(', ')}>` : ''}`);
    }
    return 0;
  }),
};

const importCommand: CliCommand = {
  words: ['pki', 'import'],
  usage: 'FILE [--password P | --password-stdin] [--trust smime|tls-peer]\n      import certificates and keys (PEM, DER, PKCS#12); --trust adds the CA certificates as trust anchors',
  options: { ...PASSWORD_OPTIONS, trust: { type: 'string' } },
  run: ({ values, args, config }) => withContext(config, async (context) => {
    const file = args[0];
    if (!file || args.length > 1) throw new UsageError('pki import needs one FILE');
    const trust = values.trust === undefined ? undefined : oneOf(values, 'trust', TRUST_PURPOSES);
    const password = values.password !== undefined || values['password-stdin'] ? readPassword(values) : undefined;
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (error) {
      throw new HygieError('INVALID_INPUT', `cannot read ${file}: ${(error as Error).message}`);
    }
    const actor = operatorActor();
    const result = await context.certificates.importFile(bytes, { actor, channel: 'cli', ...(password !== undefined ? { password } : {}) });
    for (const c of result.certificates) printImported(c);
    for (const warning of result.warnings) console.error(`warning: ${warning}`);
    if (trust) {
      const cas = result.certificates.filter((c) => c.isCa);
      if (cas.length === 0) throw new HygieError('INVALID_INPUT', `--trust ${trust}: ${file} holds no CA certificate`);
      for (const c of cas) {
        await context.certificates.addTrustAnchor(c.id, trust, actor);
        console.log(`Trusted for ${trust}: ${c.subject}`);
      }
    }
    console.log(`${result.certificates.length} certificate(s), ${result.certificates.filter((c) => c.privateKeyAdded).length} private key(s) stored`);
    return 0;
  }),
};

function printImported(c: ImportResult['certificates'][number]): void {
  const notes = [c.created ? 'new' : 'already stored', c.privateKeyAdded ? 'private key stored' : '', c.expired ? 'EXPIRED' : '', c.notYetValid ? 'NOT YET VALID' : ''];
  printCertificate(c, [`status     ${notes.filter(Boolean).join(', ')}`]);
}

export const pkiCommands: CliCommand[] = [printCa, create, issueSmime, issueClient, revoke, list, importCommand];
