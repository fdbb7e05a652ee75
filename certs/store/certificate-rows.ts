/**
 * The certificate tables as typed records: writing a certificate once (by fingerprint),
 * and reading rows back into StoredCertificate with their addresses. Every function takes
 * the knex handle to use, so that the store can run them inside its transactions.
 */
import type { Knex } from 'knex';
import { toBoolean, toIso } from '../../core/database.js';
import { HygieError } from '../../core/errors.js';
import type { CertificateFacts } from './certificate-facts.js';
import type { CertificateRef, CertificateSource, StoredCertificate } from './types.js';

type Db = Knex | Knex.Transaction;

interface CertificateRow {
  id: number | string;
  sha256: string;
  der: Buffer;
  subject: string;
  issuer: string;
  serial: string;
  not_before: string;
  not_after: string;
  can_sign: unknown;
  can_encrypt: unknown;
  email_protection: unknown;
  is_ca: unknown;
  key_algorithm: string;
  source: CertificateSource;
  first_seen_at: string;
  last_seen_at: string;
  key_certificate_id: number | string | null;
}

/** Inserts the certificate unless its fingerprint is already stored; either way refreshes last_seen_at. */
export async function saveCertificate(db: Db, facts: CertificateFacts, source: CertificateSource, now: Date): Promise<{ id: number; created: boolean }> {
  const at = toIso(now);
  // ON CONFLICT DO NOTHING: two sessions recording the same sender's certificate at once both succeed.
  const inserted = await db('certificates').insert({
    sha256: facts.sha256,
    der: Buffer.from(facts.der),
    subject: facts.subject,
    issuer: facts.issuer,
    serial: facts.serialHex,
    not_before: toIso(facts.notBefore),
    not_after: toIso(facts.notAfter),
    can_sign: facts.canSign,
    can_encrypt: facts.canEncrypt,
    email_protection: facts.emailProtection,
    is_ca: facts.isCa,
    key_algorithm: facts.keyAlgorithm,
    source,
    first_seen_at: at,
    last_seen_at: at,
  }).onConflict('sha256').ignore().returning('id');
  const insertedId = inserted[0] === undefined ? undefined : idOf(inserted[0]);
  if (insertedId !== undefined) {
    if (facts.addresses.length > 0) {
      await db('certificate_addresses').insert(facts.addresses.map((address) => ({ certificate_id: insertedId, address })));
    }
    return { id: insertedId, created: true };
  }
  const existing = await db('certificates').where({ sha256: facts.sha256 }).first('id');
  await db('certificates').where({ id: existing.id }).update({ last_seen_at: at });
  return { id: Number(existing.id), created: false };
}

function idOf(value: unknown): number {
  return Number(typeof value === 'object' && value !== null ? (value as { id: unknown }).id : value);
}

/** The certificates table joined with the private key marker, aliased `c`. */
export function certificateQuery(db: Db): Knex.QueryBuilder {
  return db('certificates as c')
    .leftJoin('private_keys as pk', 'pk.certificate_id', 'c.id')
    .select('c.*', 'pk.certificate_id as key_certificate_id');
}

/** Runs a certificate query and attaches each certificate's addresses. */
export async function loadCertificates(db: Db, query: Knex.QueryBuilder): Promise<StoredCertificate[]> {
  const rows = (await query) as CertificateRow[];
  if (rows.length === 0) return [];
  const addresses = new Map<number, string[]>();
  const ids = rows.map((r) => Number(r.id));
  for (let i = 0; i < ids.length; i += 500) {
    const found = await db('certificate_addresses').whereIn('certificate_id', ids.slice(i, i + 500)).orderBy('address');
    for (const row of found as { certificate_id: number | string; address: string }[]) {
      const id = Number(row.certificate_id);
      addresses.set(id, [...(addresses.get(id) ?? []), row.address]);
    }
  }
  return rows.map((row) => toStoredCertificate(row, addresses.get(Number(row.id)) ?? []));
}

export async function loadCertificate(db: Db, ref: CertificateRef): Promise<StoredCertificate | undefined> {
  const [found] = await loadCertificates(db, whereRef(certificateQuery(db), ref, 'c'));
  return found;
}

/** Narrows a query to one certificate, by id or fingerprint. */
export function whereRef(query: Knex.QueryBuilder, ref: CertificateRef, alias?: string): Knex.QueryBuilder {
  const column = (name: string): string => (alias ? `${alias}.${name}` : name);
  if (typeof ref === 'number') return query.where(column('id'), ref);
  return query.where(column('sha256'), normaliseFingerprint(ref));
}

/** "AB:CD:…" or "abcd…" to the stored form (64 lower-case hex digits). */
export function normaliseFingerprint(fingerprint: string): string {
  const hex = fingerprint.replace(/[:\s]/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new HygieError('INVALID_INPUT', `not a SHA-256 fingerprint: "${fingerprint}"`);
  return hex;
}

function toStoredCertificate(row: CertificateRow, addresses: string[]): StoredCertificate {
  return {
    id: Number(row.id),
    sha256: row.sha256,
    der: new Uint8Array(row.der),
    subject: row.subject,
    issuer: row.issuer,
    serialHex: row.serial,
    notBefore: new Date(row.not_before),
    notAfter: new Date(row.not_after),
    addresses,
    canSign: toBoolean(row.can_sign),
    canEncrypt: toBoolean(row.can_encrypt),
    emailProtection: toBoolean(row.email_protection),
    isCa: toBoolean(row.is_ca),
    keyAlgorithm: row.key_algorithm,
    source: row.source,
    hasPrivateKey: row.key_certificate_id !== null && row.key_certificate_id !== undefined,
    firstSeenAt: new Date(row.first_seen_at),
    lastSeenAt: new Date(row.last_seen_at),
  };
}
