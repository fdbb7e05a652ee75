/**
 * The certificate store: certificates, their private keys and the trust anchors, over
 * knex. Imports parse and decrypt first (outside any transaction: PBKDF2 and scrypt take
 * time), then write everything of one import in one transaction together with its audit
 * record; a refused import is audited too, with its reason. No key material ever goes to
 * the audit trail, to errors or to logs.
 */
import { KeyObject, type webcrypto } from 'node:crypto';
import type { Knex } from 'knex';
import * as pkijs from 'pkijs';
import type { AuditTrail } from '../../core/audit.js';
import type { Clock } from '../../core/clock.js';
import { toIso } from '../../core/database.js';
import { HygieError } from '../../core/errors.js';
import { knexKeyReads, type KeyReads } from '../../core/key-reads.js';
import type { CryptoKey } from '../engine.js';
import { toArrayBuffer } from '../pem.js';
import { certificateFacts, type CertificateFacts } from './certificate-facts.js';
import { certificateQuery, loadCertificate, loadCertificates, saveCertificate, whereRef } from './certificate-rows.js';
import { CertificateStoreError } from './errors.js';
import { PrivateKeyVault, type KeyEncryption, type KeySecret, type SealedKey } from './key-vault.js';
import { looksLikePkcs12, readPkcs12 } from './pkcs12/read-pkcs12.js';
import {
  assertUsableKey, defaultSigningAlgorithm, keyMatches, pkcs8Of, readPrivateKeyPkcs8, toCryptoKey, type ImportAlgorithm,
} from './private-keys.js';
import { readDerBundle, readPemBundle, type Bundle } from './read-bundle.js';
import {
  CERTIFICATE_SOURCES, TRUST_PURPOSES,
  type AuditContext, type CertificateFilter, type CertificateInput, type CertificateRef, type CertificateSource,
  type ImportedCertificate, type ImportOptions, type ImportResult, type SigningIdentity, type StoredCertificate,
  type TrustAnchor, type TrustPurpose,
} from './types.js';

export interface CertificateStoreOptions {
  db: Knex;
  audit: AuditTrail;
  clock: Clock;
  /**
   * Secrets that seal private keys at rest: the first seals new keys, all can open.
   * None: keys are stored clear (PKCS#8), and can be sealed later with resealPrivateKeys.
   */
  keySecrets?: readonly KeySecret[];
  /** Reads by key on every message (a read-only connection of their own on SQLite: core/key-reads.ts); knex's pool without it. */
  reads?: KeyReads;
}

type Format = 'pem' | 'der' | 'pkcs12';
const FORMAT_NAMES: Readonly<Record<Format, string>> = { pem: 'PEM text', der: 'DER input', pkcs12: 'PKCS#12 file' };

interface KeyRow {
  certificate_id: number | string;
  sha256: string;
  encryption: KeyEncryption;
  secret_id: string | null;
  data: Buffer;
}

export class CertificateStore {
  private readonly db: Knex;
  private readonly reads: KeyReads;
  private readonly audit: AuditTrail;
  private readonly clock: Clock;
  private readonly vault: PrivateKeyVault;

  constructor(options: CertificateStoreOptions) {
    this.db = options.db;
    this.reads = options.reads ?? knexKeyReads(options.db);
    this.audit = options.audit;
    this.clock = options.clock;
    this.vault = new PrivateKeyVault(options.keySecrets);
  }

  // ---------------------------------------------------------------------------------
  // Imports

  /** Certificates (a chain, PKCS#7 bundles) and private keys from PEM text. */
  importPem(text: string, options: ImportOptions = {}): Promise<ImportResult> {
    return this.importing('pem', options, async () => readPemBundle(text, options.password));
  }

  /** One DER certificate, or a DER PKCS#7 certificate bundle (.p7b). */
  importDer(bytes: Uint8Array, options: ImportOptions = {}): Promise<ImportResult> {
    return this.importing('der', options, async () => readDerBundle(bytes));
  }

  /** A PKCS#12 file (.p12/.pfx): its certificates and keys, each key stored with its certificate. */
  importPkcs12(bytes: Uint8Array, password: string, options: ImportOptions = {}): Promise<ImportResult> {
    return this.importing('pkcs12', options, async () => ({ ...(await readPkcs12(bytes, password)), ignored: [] }));
  }

  /** A file of unknown format (CLI): PEM, PKCS#12 (needs `options.password`) or DER. */
  importFile(bytes: Uint8Array, options: ImportOptions = {}): Promise<ImportResult> {
    const head = Buffer.from(bytes.subarray(0, 4096)).toString('latin1');
    if (head.includes('-----BEGIN ')) return this.importPem(Buffer.from(bytes).toString('utf8'), options);
    if (looksLikePkcs12(bytes)) {
      if (options.password === undefined) {
        return this.importing('pkcs12', options, async () => {
          throw new CertificateStoreError('password-required', 'this is a PKCS#12 file: give its password');
        });
      }
      return this.importPkcs12(bytes, options.password, options);
    }
    return this.importDer(bytes, options);
  }

  /**
   * Stores one certificate, with its private key when given (the authority module stores
   * what it issues this way). A CryptoKey must be extractable.
   */
  async addCertificate(certificate: CertificateInput, options: AuditContext & { source: CertificateSource; privateKey?: CryptoKey | KeyObject }): Promise<ImportedCertificate> {
    const result = await this.importing('der', options, async () => ({
      certificates: [derOf(certificate)],
      privateKeys: options.privateKey ? [keyObjectOf(options.privateKey)] : [],
      ignored: [],
    }));
    return result.certificates[0]!;
  }

  /**
   * A certificate met in a verified signed message (or in the directory): stored if new,
   * its last-seen date moved otherwise. Only a new certificate is audited: one record per
   * message would drown the trail.
   */
  async recordSeenCertificate(certificate: CertificateInput, source: CertificateSource = 'seen-in-signed-mail'): Promise<StoredCertificate> {
    checkSource(source);
    const facts = certificateFacts(derOf(certificate));
    return this.db.transaction(async (trx) => {
      const { id, created } = await saveCertificate(trx, facts, source, this.clock.now());
      if (created) {
        await this.audit.record({
          action: 'certs.seen', outcome: 'success', actor: 'system', subject: facts.sha256,
          details: { source, subject: facts.subject, addresses: facts.addresses },
        }, trx);
      }
      return (await loadCertificate(trx, id))!;
    });
  }

  // ---------------------------------------------------------------------------------
  // Trust anchors

  /** Trusts a CA for a purpose. A certificate that is not a CA is refused. */
  async addTrustAnchor(certificate: CertificateInput | number, purpose: TrustPurpose, actor: string): Promise<TrustAnchor> {
    const action = 'certs.trust-anchor.add';
    try {
      checkPurpose(purpose);
      const facts = typeof certificate === 'number' ? await this.factsOf(certificate) : certificateFacts(derOf(certificate));
      if (!facts.isCa) {
        throw new CertificateStoreError('not-a-ca', `${facts.subject} is not a certification authority (no basicConstraints CA:TRUE): refused as a trust anchor`);
      }
      if (!facts.canSignCertificates) {
        throw new CertificateStoreError('not-a-ca', `${facts.subject} may not sign certificates (keyUsage without keyCertSign): refused as a trust anchor`);
      }
      const now = this.clock.now();
      return await this.db.transaction(async (trx) => {
        const { id } = await saveCertificate(trx, facts, 'imported', now);
        await trx('trust_anchors').insert({ certificate_id: id, purpose, added_by: actor, added_at: toIso(now) })
          .onConflict(['certificate_id', 'purpose']).ignore();
        await this.audit.record({
          action, outcome: 'success', actor, subject: facts.sha256,
          details: { purpose, subject: facts.subject, notAfter: toIso(facts.notAfter) },
        }, trx);
        const [anchor] = await this.anchors(trx, purpose, id);
        return anchor!;
      });
    } catch (error) {
      await this.recordFailure(action, { actor }, error, { purpose });
      throw error;
    }
  }

  async listTrustAnchors(purpose: TrustPurpose): Promise<TrustAnchor[]> {
    checkPurpose(purpose);
    return this.anchors(this.db, purpose);
  }

  /** Stops trusting a CA for a purpose (the certificate stays stored). False if it was not an anchor. */
  async removeTrustAnchor(certificate: CertificateRef, purpose: TrustPurpose, actor: string): Promise<boolean> {
    checkPurpose(purpose);
    return this.db.transaction(async (trx) => {
      const stored = await loadCertificate(trx, certificate);
      if (!stored) return false;
      const removed = await trx('trust_anchors').where({ certificate_id: stored.id, purpose }).delete();
      if (removed === 0) return false;
      await this.audit.record({
        action: 'certs.trust-anchor.remove', outcome: 'success', actor, subject: stored.sha256,
        details: { purpose, subject: stored.subject },
      }, trx);
      return true;
    });
  }

  // ---------------------------------------------------------------------------------
  // Lookups

  /**
   * The certificates to encrypt to for an address: valid at `now`, able to encrypt, allowed
   * for e-mail, end-entity, from any source; newest first (latest notBefore).
   */
  async findEncryptionCertificates(address: string, now: Date = this.clock.now()): Promise<StoredCertificate[]> {
    const query = this.usableFor(this.db, address, now).where('c.can_encrypt', true);
    return loadCertificates(this.db, query);
  }

  /** The newest valid signing certificate for an address that has its private key here, with that key. */
  async findSigningIdentity(address: string, now: Date = this.clock.now()): Promise<SigningIdentity | undefined> {
    const query = this.usableFor(this.db, address, now).where('c.can_sign', true).whereNotNull('pk.certificate_id').limit(1);
    const [certificate] = await loadCertificates(this.db, query);
    if (!certificate) return undefined;
    const privateKey = await this.privateKeyFor(certificate.id);
    return { certificate, x509: pkijs.Certificate.fromBER(toArrayBuffer(certificate.der)), privateKey };
  }

  /**
   * The private key of a stored certificate as a non-extractable CryptoKey. By default it
   * signs (see defaultSigningAlgorithm); pass e.g. `{ name: 'RSA-OAEP', hash: 'SHA-256' }`
   * and `['decrypt']`, or ECDH and `['deriveBits']`, to decrypt with it.
   */
  async privateKeyFor(certificate: CertificateRef, algorithm?: ImportAlgorithm, usages: readonly webcrypto.KeyUsage[] = ['sign']): Promise<CryptoKey> {
    const query = whereRef(this.db('private_keys as pk').join('certificates as c', 'c.id', 'pk.certificate_id'), certificate, 'c')
      .first('pk.certificate_id', 'c.sha256', 'pk.encryption', 'pk.secret_id', 'pk.data');
    const row = (await query) as KeyRow | undefined;
    if (!row) throw new CertificateStoreError('not-found', `no private key is stored for certificate ${String(certificate)}`);
    const pkcs8 = await this.vault.open({ encryption: row.encryption, secretId: row.secret_id, data: row.data }, row.sha256);
    try {
      const chosen = algorithm ?? defaultSigningAlgorithm(readPrivateKeyPkcs8(pkcs8));
      if (!chosen) throw new CertificateStoreError('unsupported-algorithm', `the private key of certificate ${row.sha256} has no WebCrypto algorithm`);
      return await toCryptoKey(pkcs8, chosen, usages);
    } finally {
      pkcs8.fill(0);
    }
  }

  async getCertificate(certificate: CertificateRef): Promise<StoredCertificate | undefined> {
    return loadCertificate(this.db, certificate);
  }

  /**
   * Whether an encryption certificate of the address has its private key here: what mail
   * arriving for the address needs to be decrypted. Asked for every encrypted message, and
   * mostly answered "no" where keys stay with their owners, so it is one read by key.
   */
  async hasDecryptionKey(address: string): Promise<boolean> {
    const rows = await this.reads.rows(`SELECT 1 AS found FROM certificate_addresses a
        JOIN certificates c ON c.id = a.certificate_id JOIN private_keys pk ON pk.certificate_id = c.id
       WHERE a.address = ? AND c.can_encrypt = ? LIMIT 1`, [normaliseAddress(address), true]);
    return rows.length > 0;
  }

  /** Stored certificates, newest first, narrowed by the filter. */
  async listCertificates(filter: CertificateFilter = {}): Promise<StoredCertificate[]> {
    let query = certificateQuery(this.db).orderBy([{ column: 'c.not_before', order: 'desc' }, { column: 'c.id', order: 'desc' }]);
    if (filter.address !== undefined) {
      query = query.join('certificate_addresses as a', 'a.certificate_id', 'c.id').where('a.address', normaliseAddress(filter.address));
    }
    if (filter.source !== undefined) query = query.where('c.source', checkSource(filter.source));
    if (filter.withPrivateKey !== undefined) query = filter.withPrivateKey ? query.whereNotNull('pk.certificate_id') : query.whereNull('pk.certificate_id');
    if (filter.isCa !== undefined) query = query.where('c.is_ca', filter.isCa);
    if (filter.validAt !== undefined) query = query.where('c.not_before', '<=', toIso(filter.validAt)).where('c.not_after', '>=', toIso(filter.validAt));
    if (filter.limit !== undefined) query = query.limit(filter.limit);
    return loadCertificates(this.db, query);
  }

  // ---------------------------------------------------------------------------------
  // Removal and maintenance

  /** Deletes a certificate with its addresses, private key and trust-anchor entries. False if absent. */
  async deleteCertificate(certificate: CertificateRef, actor: string): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const stored = await loadCertificate(trx, certificate);
      if (!stored) return false;
      const purposes = (await trx('trust_anchors').where({ certificate_id: stored.id }).select('purpose')).map((r: { purpose: string }) => r.purpose);
      await trx('certificates').where({ id: stored.id }).delete();
      await this.audit.record({
        action: 'certs.delete', outcome: 'success', actor, subject: stored.sha256,
        details: { subject: stored.subject, hadPrivateKey: stored.hasPrivateKey, trustAnchorFor: purposes },
      }, trx);
      return true;
    });
  }

  /**
   * Seals every private key that is stored clear or under an older secret with the
   * current one (after a secret was added or rotated). Returns how many were resealed.
   */
  async resealPrivateKeys(actor: string): Promise<number> {
    if (this.vault.sealingSecretId === undefined) return 0;
    const rows = (await this.db('private_keys as pk').join('certificates as c', 'c.id', 'pk.certificate_id')
      .select('pk.certificate_id', 'c.sha256', 'pk.encryption', 'pk.secret_id', 'pk.data')) as KeyRow[];
    const stale = rows.filter((row) => this.vault.needsReseal({ encryption: row.encryption, secretId: row.secret_id }));
    const resealed: { id: number; sealed: SealedKey }[] = [];
    for (const row of stale) {
      const pkcs8 = await this.vault.open({ encryption: row.encryption, secretId: row.secret_id, data: row.data }, row.sha256);
      resealed.push({ id: Number(row.certificate_id), sealed: await this.vault.seal(pkcs8, row.sha256) });
      pkcs8.fill(0);
    }
    await this.db.transaction(async (trx) => {
      for (const { id, sealed } of resealed) {
        await trx('private_keys').where({ certificate_id: id })
          .update({ encryption: sealed.encryption, secret_id: sealed.secretId, data: Buffer.from(sealed.data) });
      }
      await this.audit.record({
        action: 'certs.keys.reseal', outcome: 'success', actor,
        details: { count: resealed.length, secretId: this.vault.sealingSecretId },
      }, trx);
    });
    return resealed.length;
  }

  // ---------------------------------------------------------------------------------
  // Internals

  /** Parses (outside the transaction), matches keys, then writes the import and its audit record. */
  private async importing(format: Format, options: ImportOptions, read: () => Promise<Bundle>): Promise<ImportResult> {
    const action = 'certs.import';
    try {
      const source = checkSource(options.source ?? 'imported');
      const bundle = await read();
      const facts = uniqueByFingerprint(bundle.certificates.map(certificateFacts));
      if (facts.length === 0) throw new CertificateStoreError('no-certificate', `the ${FORMAT_NAMES[format]} holds no certificate`);
      const sealedKeys = await this.sealKeys(bundle.privateKeys, facts);
      const now = this.clock.now();
      const stored = await this.db.transaction(async (trx) => {
        const written = [];
        for (const fact of facts) {
          const { id, created } = await saveCertificate(trx, fact, source, now);
          const sealed = sealedKeys.get(fact.sha256);
          let privateKeyAdded = false;
          if (sealed) {
            const inserted = await trx('private_keys').insert({
              certificate_id: id, encryption: sealed.encryption, secret_id: sealed.secretId,
              data: Buffer.from(sealed.data), stored_at: toIso(now),
            }).onConflict('certificate_id').ignore().returning('certificate_id');
            privateKeyAdded = inserted.length > 0;
          }
          written.push({ id, created, privateKeyAdded, fact });
        }
        await this.audit.record({
          action, outcome: 'success', actor: options.actor ?? 'system', channel: options.channel,
          // The certificate that came with a key is what the operator meant to import.
          subject: (facts.find((f) => sealedKeys.has(f.sha256)) ?? facts[0]!).sha256,
          details: {
            format, source,
            certificates: written.map(({ fact, created, privateKeyAdded }) => ({
              sha256: fact.sha256, subject: fact.subject, addresses: fact.addresses, created, privateKeyAdded,
              expired: fact.notAfter < now,
            })),
            ignoredBlocks: bundle.ignored,
          },
        }, trx);
        const result: ImportedCertificate[] = [];
        for (const { id, created, privateKeyAdded, fact } of written) {
          const certificate = (await loadCertificate(trx, id))!;
          result.push({ ...certificate, created, privateKeyAdded, expired: fact.notAfter < now, notYetValid: fact.notBefore > now });
        }
        return result;
      });
      return { certificates: stored, warnings: warningsFor(stored, bundle.ignored, now) };
    } catch (error) {
      await this.recordFailure(action, options, error, { format });
      throw error;
    }
  }

  /** Matches each key to its certificate by public key and seals it; a key without a certificate is refused. */
  private async sealKeys(privateKeys: readonly KeyObject[], facts: readonly CertificateFacts[]): Promise<Map<string, SealedKey>> {
    const sealed = new Map<string, SealedKey>();
    for (const key of privateKeys) {
      const owner = facts.find((fact) => keyMatches(key, fact.publicKey));
      if (!owner) {
        throw new CertificateStoreError('key-mismatch', `a private key matches none of the ${facts.length} certificate(s) given with it`);
      }
      assertUsableKey(key);
      const pkcs8 = pkcs8Of(key);
      try {
        sealed.set(owner.sha256, await this.vault.seal(pkcs8, owner.sha256));
      } finally {
        pkcs8.fill(0);
      }
    }
    return sealed;
  }

  /** Certificates usable for S/MIME with an address at an instant: the base of both lookups. */
  private usableFor(db: Knex, address: string, now: Date): Knex.QueryBuilder {
    const at = toIso(now);
    return certificateQuery(db)
      .join('certificate_addresses as a', 'a.certificate_id', 'c.id')
      .where('a.address', normaliseAddress(address))
      .where('c.email_protection', true)
      .where('c.is_ca', false)
      .where('c.not_before', '<=', at)
      .where('c.not_after', '>=', at)
      .orderBy([{ column: 'c.not_before', order: 'desc' }, { column: 'c.id', order: 'desc' }]);
  }

  private async anchors(db: Knex | Knex.Transaction, purpose: TrustPurpose, certificateId?: number): Promise<TrustAnchor[]> {
    let query = db('trust_anchors').where({ purpose }).orderBy('id');
    if (certificateId !== undefined) query = query.where({ certificate_id: certificateId });
    const rows = (await query) as { certificate_id: number | string; added_by: string; added_at: string }[];
    const certificates = await loadCertificates(db, certificateQuery(db).whereIn('c.id', rows.map((r) => Number(r.certificate_id))));
    const byId = new Map(certificates.map((c) => [c.id, c]));
    return rows.map((row) => ({
      certificate: byId.get(Number(row.certificate_id))!,
      purpose,
      addedBy: row.added_by,
      addedAt: new Date(row.added_at),
    }));
  }

  private async factsOf(id: number): Promise<CertificateFacts> {
    const stored = await loadCertificate(this.db, id);
    if (!stored) throw new CertificateStoreError('not-found', `no certificate with id ${id}`);
    return certificateFacts(stored.der);
  }

  /** A refused action still leaves a trace: the reason, never the input. */
  private async recordFailure(action: string, context: AuditContext, error: unknown, details: Record<string, unknown>): Promise<void> {
    await this.audit.record({
      action, outcome: 'failure', actor: context.actor ?? 'system', channel: context.channel,
      details: {
        ...details,
        reason: error instanceof CertificateStoreError ? error.reason : error instanceof HygieError ? error.code : 'internal',
        error: error instanceof HygieError ? error.message : 'internal error',
      },
    }).catch(() => undefined); // the original error matters more than a failed audit write
  }
}

function derOf(certificate: CertificateInput): Uint8Array {
  return certificate instanceof pkijs.Certificate ? new Uint8Array(certificate.toSchema().toBER(false)) : certificate;
}

function keyObjectOf(key: CryptoKey | KeyObject): KeyObject {
  if (key instanceof KeyObject) return key;
  if (!key.extractable) throw new HygieError('INVALID_INPUT', 'the private key to store must be extractable');
  return KeyObject.from(key);
}

function uniqueByFingerprint(facts: CertificateFacts[]): CertificateFacts[] {
  const seen = new Set<string>();
  return facts.filter((f) => !seen.has(f.sha256) && Boolean(seen.add(f.sha256)));
}

function warningsFor(certificates: readonly ImportedCertificate[], ignored: readonly string[], now: Date): string[] {
  const warnings: string[] = [];
  for (const c of certificates) {
    if (c.expired) warnings.push(`${c.subject} expired on ${toIso(c.notAfter)}: stored, but no lookup will return it`);
    else if (c.notYetValid) warnings.push(`${c.subject} is valid only from ${toIso(c.notBefore)} (now ${toIso(now)})`);
  }
  for (const label of ignored) warnings.push(`PEM block "${label}" ignored: nothing to store in it`);
  return warnings;
}

function normaliseAddress(address: string): string {
  return address.trim().toLowerCase();
}

function checkSource(source: CertificateSource): CertificateSource {
  if (!CERTIFICATE_SOURCES.includes(source)) throw new HygieError('INVALID_INPUT', `unknown certificate source "${String(source)}"`);
  return source;
}

function checkPurpose(purpose: TrustPurpose): void {
  if (!TRUST_PURPOSES.includes(purpose)) throw new HygieError('INVALID_INPUT', `unknown trust purpose "${String(purpose)}": tls-peer or smime`);
}
