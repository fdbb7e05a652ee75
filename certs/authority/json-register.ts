/**
 * The revocation register kept in a JSON file, for the development PKI until certs/store
 * keeps it in the database. Every change rewrites the file atomically (files.ts: temp
 * file, fsync, rename) with mode 0600, before the change is visible. One process per file:
 * changes from a second process at the same time would be lost (the database register
 * will not have this limit).
 */
import { HygieError } from '../../core/errors.js';
import { readIfExists, writeFileAtomic } from '../files.js';
import { isRevocationReason } from './reasons.js';
import { EMPTY_REGISTER, MemoryRevocationRegister, type CertificateRecord, type RegisterState } from './register.js';

const FORMAT = 'hygie-revocation-register/1';
const FILE_MODE = 0o600;

export class JsonFileRevocationRegister extends MemoryRevocationRegister {
  readonly file: string;

  private constructor(file: string, initial: RegisterState) {
    super(initial);
    this.file = file;
  }

  /** Opens the register in `file`; a missing file is an empty register, written at its first change. */
  static async open(file: string): Promise<JsonFileRevocationRegister> {
    const text = await readIfExists(file);
    return new JsonFileRevocationRegister(file, text === undefined ? EMPTY_REGISTER : decodeRegister(text, file));
  }

  protected override persist(next: RegisterState): Promise<void> {
    return writeFileAtomic(this.file, encodeRegister(next), FILE_MODE);
  }
}

export function encodeRegister(state: RegisterState): string {
  const certificates = [...state.records.values()].map((record) => ({
    ...record,
    notBefore: record.notBefore.toISOString(),
    notAfter: record.notAfter.toISOString(),
    ...(record.revocation ? { revocation: { reason: record.revocation.reason, date: record.revocation.date.toISOString() } } : {}),
  }));
  return JSON.stringify({ format: FORMAT, lastCrlNumber: state.lastCrlNumber.toString(), certificates }, null, 2) + '\n';
}

/** Reads a register file back; anything unexpected is refused rather than half-read. */
export function decodeRegister(text: string, file: string): RegisterState {
  const broken = (detail: string, cause?: unknown) => new HygieError('CONFIG_INVALID',
    `${file} is not a readable revocation register (${detail}); it is the CA's record of what it issued: restore it, do not delete it`,
    cause === undefined ? undefined : { cause });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw broken('invalid JSON', cause);
  }
  const root = asObject(data);
  if (!root || root['format'] !== FORMAT) throw broken(`format is not ${FORMAT}`);
  const last = root['lastCrlNumber'];
  if (typeof last !== 'string' || !/^\d+$/.test(last)) throw broken('lastCrlNumber');
  if (!Array.isArray(root['certificates'])) throw broken('certificates');
  const records = new Map<string, CertificateRecord>();
  for (const [index, item] of root['certificates'].entries()) {
    const record = decodeRecord(item);
    if (!record) throw broken(`certificate #${index}`);
    if (records.has(record.serialHex)) throw broken(`serial ${record.serialHex} listed twice`);
    records.set(record.serialHex, record);
  }
  return { records, lastCrlNumber: BigInt(last) };
}

function decodeRecord(item: unknown): CertificateRecord | undefined {
  const o = asObject(item);
  if (!o) return undefined;
  const { serialHex, subject, profile, certificatePem } = o;
  const notBefore = asDate(o['notBefore']);
  const notAfter = asDate(o['notAfter']);
  if (typeof serialHex !== 'string' || !/^[0-9A-F]+$/.test(serialHex) || typeof subject !== 'string'
    || typeof profile !== 'string' || typeof certificatePem !== 'string' || !notBefore || !notAfter) return undefined;
  const record = { serialHex, subject, profile, notBefore, notAfter, certificatePem };
  if (o['revocation'] === undefined) return record;
  const revocation = asObject(o['revocation']);
  const reason = revocation?.['reason'];
  const date = asDate(revocation?.['date']);
  if (typeof reason !== 'string' || !isRevocationReason(reason) || !date) return undefined;
  return { ...record, revocation: { reason, date } };
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function asDate(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
