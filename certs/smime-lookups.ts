/**
 * What S/MIME looks up in the certificate store for each message — the signing identity
 * of an address (certificate, key, chain), its newest encryption certificate, its
 * decryption keys, the trust anchors — remembered for a short while. A gateway signs and
 * encrypts for the same addresses again and again, and one lookup (queries, unsealing and
 * importing a key, parsing certificates) costs more than the message's cryptography; the
 * same objects coming back also let the layers below keep their per-key and
 * per-certificate work (key checks, DER, worker copies).
 *
 * An entry lasts `ttlMs`, never beyond its certificate's notAfter. An empty answer is not
 * remembered: a certificate imported for an address that had none is used at once; one
 * that replaces another is used within `ttlMs`, or at once after forget().
 */
import type * as pkijs from 'pkijs';
import { systemClock, type Clock } from '../core/clock.js';
import type { RecipientKey } from './cms/decrypt.js';
import type { Signer } from './cms/sign.js';
import type { CertificateStore } from './store/certificate-store.js';
import type { StoredCertificate } from './store/types.js';
import { certificateFromDer } from './trust/certificate-cache.js';
import { TrustStore } from './trust/trust-store.js';

export interface SigningLookup {
  readonly stored: StoredCertificate;
  readonly signer: Signer;
}

export interface EncryptionLookup {
  readonly stored: StoredCertificate;
  readonly certificate: pkijs.Certificate;
}

export interface SmimeLookupsOptions {
  readonly certificates: CertificateStore;
  /** How long an answer is reused, in ms; 0 looks everything up every time. Default 60 000. */
  readonly ttlMs?: number;
  readonly clock?: Clock;
}

/** How deep an issuer chain may go before we stop looking (loops, absurd PKIs). */
const MAX_CHAIN = 8;

interface Entry<T> {
  readonly value: Promise<T>;
  /** Epoch ms; Infinity while the lookup runs. */
  expiresAt: number;
}

/** Beyond this many entries, expired ones are dropped, then the oldest: keys and certificates of idle addresses do not pile up. */
const MAX_ENTRIES = 10_000;

/** Answers by key, each with its own expiry; a lookup in flight is shared by concurrent callers. */
class Remembered<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(private readonly ttlMs: number, private readonly clock: Clock) {}

  get(key: string, lookup: () => Promise<T>, notAfter: (value: T) => Date | undefined): Promise<T> {
    const now = this.clock.now().getTime();
    const cached = this.entries.get(key);
    if (cached && cached.expiresAt > now) return cached.value;
    const value = lookup();
    if (this.ttlMs <= 0) return value;
    const entry: Entry<T> = { value, expiresAt: Infinity };
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > MAX_ENTRIES) this.prune(now);
    value.then((resolved) => {
      const end = notAfter(resolved);
      if (end === undefined) this.drop(key, entry);
      else entry.expiresAt = Math.min(this.clock.now().getTime() + this.ttlMs, end.getTime());
    }, () => this.drop(key, entry));
    return value;
  }

  forget(key?: string): void {
    if (key === undefined) this.entries.clear();
    else this.entries.delete(key);
  }

  /** Drops expired entries, then the oldest ones, back to the limit. */
  private prune(now: number): void {
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    for (const key of this.entries.keys()) {
      if (this.entries.size <= MAX_ENTRIES) break;
      this.entries.delete(key);
    }
  }

  private drop(key: string, entry: Entry<T>): void {
    if (this.entries.get(key) === entry) this.entries.delete(key);
  }
}

export class SmimeLookups {
  private readonly certificates: CertificateStore;
  private readonly signing: Remembered<SigningLookup | undefined>;
  private readonly encryption: Remembered<EncryptionLookup | undefined>;
  private readonly decryption: Remembered<RecipientKey[]>;
  private readonly trustStore: Remembered<TrustStore>;

  constructor(options: SmimeLookupsOptions) {
    this.certificates = options.certificates;
    const ttl = options.ttlMs ?? 60_000;
    const clock = options.clock ?? systemClock;
    this.signing = new Remembered(ttl, clock);
    this.encryption = new Remembered(ttl, clock);
    this.decryption = new Remembered(ttl, clock);
    this.trustStore = new Remembered(ttl, clock);
  }

  /** The address's newest valid signing certificate with its key and chain, and its encryption certificate when separate. */
  signingIdentity(address: string): Promise<SigningLookup | undefined> {
    return this.signing.get(address.toLowerCase(), async () => {
      const identity = await this.certificates.findSigningIdentity(address);
      if (!identity) return undefined;
      const certificate = certificateFromDer(identity.certificate.der);
      // A signing-only certificate names the encryption certificate, so that replies can be encrypted.
      const encryption = identity.certificate.canEncrypt ? undefined : await this.encryptionCertificate(address);
      const signer: Signer = {
        certificate,
        privateKey: identity.privateKey,
        chain: await this.chainOf(certificate),
        ...(encryption ? { encryptionCertificate: encryption.certificate } : {}),
      };
      return { stored: identity.certificate, signer };
    }, (found) => found && earliest(found.stored.notAfter, found.signer.encryptionCertificate?.notAfter.value));
  }

  /** The address's newest valid encryption certificate. */
  encryptionCertificate(address: string): Promise<EncryptionLookup | undefined> {
    return this.encryption.get(address.toLowerCase(), async () => {
      const [newest] = await this.certificates.findEncryptionCertificates(address);
      return newest ? { stored: newest, certificate: certificateFromDer(newest.der) } : undefined;
    }, (found) => found?.stored.notAfter);
  }

  /** Every stored encryption key of the address, expired certificates included: mail outlives them. */
  decryptionKeys(address: string): Promise<RecipientKey[]> {
    return this.decryption.get(address.toLowerCase(), async () => {
      // Most addresses have no key here: one cheap read says so (an empty answer is not remembered).
      if (!(await this.certificates.hasDecryptionKey(address))) return [];
      const stored = (await this.certificates.listCertificates({ address, withPrivateKey: true })).filter((c) => c.canEncrypt);
      const keys: RecipientKey[] = [];
      for (const c of stored) keys.push({ certificate: certificateFromDer(c.der), privateKey: await this.certificates.privateKeyFor(c.id) });
      return keys;
    }, (keys) => (keys.length > 0 ? FAR_FUTURE : undefined));
  }

  /** The S/MIME trust anchors, with the stored CA certificates as intermediates. */
  trust(): Promise<TrustStore> {
    return this.trustStore.get('smime', async () => {
      const anchors = (await this.certificates.listTrustAnchors('smime')).map((a) => certificateFromDer(a.certificate.der));
      return new TrustStore({ anchors, intermediates: await this.cas() });
    }, () => FAR_FUTURE);
  }

  /** Drops what is remembered about an address (or everything): the next lookup reads the store. */
  forget(address?: string): void {
    const key = address?.toLowerCase();
    for (const remembered of [this.signing, this.encryption, this.decryption]) remembered.forget(key);
    if (key === undefined) this.trustStore.forget();
  }

  private async cas(): Promise<pkijs.Certificate[]> {
    return (await this.certificates.listCertificates({ isCa: true })).map((c) => certificateFromDer(c.der));
  }

  /** The stored CA certificates above `leaf`, up to (not including) a self-signed root. */
  private async chainOf(leaf: pkijs.Certificate): Promise<pkijs.Certificate[]> {
    const cas = await this.cas();
    const chain: pkijs.Certificate[] = [];
    let current = leaf;
    for (let depth = 0; depth < MAX_CHAIN; depth++) {
      const issuer = cas.find((ca) => ca.subject.isEqual(current.issuer));
      if (!issuer || issuer.subject.isEqual(issuer.issuer) || chain.includes(issuer)) break;
      chain.push(issuer);
      current = issuer;
    }
    return chain;
  }
}

/** No certificate bounds it: only the time to live does. */
const FAR_FUTURE = new Date(8.64e15);

function earliest(a: Date, b: Date | undefined): Date {
  return b && b < a ? b : a;
}
