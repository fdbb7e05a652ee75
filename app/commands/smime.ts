/**
 * `hygie smime …`: sign, encrypt, decrypt and verify a message file with the certificates
 * and keys of the store, so that an operator can check a message by hand.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { allLayersValid, formatAuthenticationResults, SmimeService, type SignatureVerdict } from '../../certs/index.js';
import { HygieError } from '../../core/errors.js';
import type { OperatorContext } from '../context.js';
import { devHealthPki } from './pki.js';
import { operatorActor, optionalString, requiredString, withContext } from './shared.js';
import { UsageError, type CliCommand, type OptionValues } from './types.js';

const OUT_OPTION = { out: { type: 'string' } } as const;

function readMessage(args: string[], command: string): Buffer {
  const file = args[0];
  if (!file || args.length > 1) throw new UsageError(`smime ${command} needs one FILE (a whole RFC 5322 message)`);
  try {
    return readFileSync(file);
  } catch (error) {
    throw new HygieError('INVALID_INPUT', `cannot read ${file}: ${(error as Error).message}`);
  }
}

function writeOutput(values: OptionValues, data: Buffer): void {
  const out = optionalString(values, 'out');
  if (out) writeFileSync(out, data, { mode: 0o600 });
  else process.stdout.write(data);
}

/** S/MIME with the store's certificates, revocation from the development PKI's CRLs. */
function smime(context: OperatorContext): SmimeService {
  return new SmimeService({ certificates: context.certificates, crls: devHealthPki(context).crlSource() });
}

const sign: CliCommand = {
  words: ['smime', 'sign'],
  usage: 'FILE --from ADDRESS [--opaque] [--out F]\n      sign a message with the stored signing certificate and key of ADDRESS (detached by default)',
  options: { from: { type: 'string' }, opaque: { type: 'boolean' }, ...OUT_OPTION },
  run: ({ values, args, config }) => withContext(config, async (context) => {
    const message = readMessage(args, 'sign');
    const from = requiredString(values, 'from');
    const signed = await smime(context).signAs(message, from, values.opaque ? 'opaque' : 'detached');
    writeOutput(values, signed.message);
    await context.audit.record({ action: 'smime.sign', outcome: 'success', actor: operatorActor(), channel: 'cli', subject: from, details: { certificate: signed.certificate.sha256 } });
    console.error(`Signed (${values.opaque ? 'opaque' : 'detached'}) as ${from} with certificate ${signed.certificate.serialHex}`);
    return 0;
  }),
};

function addressList(value: string): string[] {
  const addresses = value.split(',').map((a) => a.trim()).filter(Boolean);
  if (addresses.length === 0) throw new UsageError('--to needs at least one ADDRESS');
  return addresses;
}

const encrypt: CliCommand = {
  words: ['smime', 'encrypt'],
  usage: 'FILE --to ADDRESS[,ADDRESS…] [--from ADDRESS] [--gcm] [--out F]\n      encrypt a message for the recipients (and the sender with --from); AES-256-CBC, or AES-256-GCM',
  options: { to: { type: 'string' }, from: { type: 'string' }, gcm: { type: 'boolean' }, ...OUT_OPTION },
  run: ({ values, args, config }) => withContext(config, async (context) => {
    const message = readMessage(args, 'encrypt');
    const to = addressList(requiredString(values, 'to'));
    const from = optionalString(values, 'from');
    const encrypted = await smime(context).encryptFor(message, from ? [...to, from] : to, { contentEncryption: values.gcm ? 'AES-256-GCM' : 'AES-256-CBC' });
    for (const r of encrypted.recipients) console.error(`Recipient ${r.address}: certificate ${r.certificate.serialHex}`);
    writeOutput(values, encrypted.message);
    return 0;
  }),
};

const decrypt: CliCommand = {
  words: ['smime', 'decrypt'],
  usage: 'FILE --as ADDRESS [--out F]\n      decrypt a message with the stored private keys of ADDRESS',
  options: { as: { type: 'string' }, ...OUT_OPTION },
  run: ({ values, args, config }) => withContext(config, async (context) => {
    const message = readMessage(args, 'decrypt');
    const address = requiredString(values, 'as');
    const result = await smime(context).decryptAs(message, address);
    await context.audit.record({
      action: 'smime.decrypt', outcome: result.status === 'decrypted' ? 'success' : 'failure', actor: operatorActor(), channel: 'cli', subject: address,
      details: result.status === 'decrypted' ? { algorithm: result.algorithm } : { reason: result.reason },
    });
    if (result.status !== 'decrypted') {
      console.error(`hygie: cannot decrypt as ${address}: ${result.reason}: ${result.detail}`);
      return 1;
    }
    writeOutput(values, result.message);
    console.error(`Decrypted as ${address} (${result.structure}, ${result.algorithm}, ${result.keyManagement})`);
    return 0;
  }),
};

function describeVerdict(verdict: SignatureVerdict, indent = ''): string[] {
  const lines = [`${indent}Status: ${verdict.status}`];
  if (verdict.status === 'unsigned') return [...lines, `${indent}Detail: ${verdict.detail}`];
  if (verdict.form) lines.push(`${indent}Form: ${verdict.form}`);
  if (verdict.headerFrom.length) lines.push(`${indent}From: ${verdict.headerFrom.join(', ')}`);
  if (verdict.status === 'invalid') lines.push(`${indent}Reason: ${verdict.reason}: ${verdict.detail}`);
  else if (verdict.status !== 'valid') lines.push(`${indent}Reason: ${verdict.detail}`);
  const signer = 'signer' in verdict ? verdict.signer : undefined;
  if (signer) {
    lines.push(
      `${indent}Signer: ${signer.subject}${signer.emails.length ? ` <${signer.emails.join(', ')}>` : ''}`,
      `${indent}Issuer: ${signer.issuer}`,
      `${indent}Serial: ${signer.serial}`,
      `${indent}Fingerprint: ${signer.fingerprint}`,
      `${indent}Valid until: ${signer.notAfter.toISOString()}`,
    );
  }
  if (verdict.signingTime) lines.push(`${indent}Signing time (claimed): ${verdict.signingTime.toISOString()}`);
  if (verdict.status === 'valid') {
    lines.push(`${indent}Revocation: ${verdict.revocation}`);
    for (const warning of verdict.warnings) lines.push(`${indent}Warning: ${warning}`);
  }
  if (verdict.nested && verdict.nested.status !== 'unsigned') lines.push(`${indent}Inner signature:`, ...describeVerdict(verdict.nested, indent + '  '));
  return lines;
}

const verify: CliCommand = {
  words: ['smime', 'verify'],
  usage: 'FILE [--out F]\n      verify a signed message against the smime trust anchors (exit 1 unless valid);\n      --out writes the signed content',
  options: { ...OUT_OPTION },
  run: ({ values, args, config }) => withContext(config, async (context) => {
    const message = readMessage(args, 'verify');
    const verdict = await smime(context).verify(message);
    const valid = allLayersValid(verdict);
    for (const line of describeVerdict(verdict)) console.log(line);
    console.log(`Authentication-Results: ${formatAuthenticationResults(verdict, config.server.hostnames[0] ?? 'localhost').replace(/\r\n\t/g, ' ')}`);
    if (optionalString(values, 'out') && verdict.status !== 'unsigned' && verdict.content) writeOutput(values, verdict.content);
    if (!valid) console.error(`hygie: the signature is not valid${verdict.status === 'invalid' ? ` (${verdict.reason})` : ` (${verdict.status})`}`);
    return valid ? 0 : 1;
  }),
};

export const smimeCommands: CliCommand[] = [sign, encrypt, decrypt, verify];
