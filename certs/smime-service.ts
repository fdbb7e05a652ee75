/**
 * S/MIME for an address, with the certificates and keys of the store: sign as a user,
 * encrypt for recipients, both at once, decrypt as a user, verify against the configured
 * S/MIME trust anchors. The command line uses it today and the gateway's pipeline will
 * tomorrow, so the choices (which certificate, which chain, which keys) are made here once.
 *
 * Store lookups are remembered for a short while (smime-lookups.ts). The cryptography runs
 * in this thread by default; give an SmimePool (certs/workers/) to spread whole messages
 * over worker threads — what a gateway handling many messages wants.
 */
import { HygieError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { DecryptResult, RecipientKey } from './cms/decrypt.js';
import type { EncryptOptions } from './cms/encrypt.js';
import { IN_PROCESS, type SmimeOperations } from './cms/operations.js';
import type { SignatureMode } from './cms/sign.js';
import type { SignatureVerdict } from './cms/verdict.js';
import { verifyMessage } from './cms/verify.js';
import { SmimeLookups, type EncryptionLookup, type SigningLookup } from './smime-lookups.js';
import type { CertificateStore } from './store/certificate-store.js';
import type { StoredCertificate } from './store/types.js';
import type { CrlSource } from './trust/crl-source.js';

export interface SmimeServiceOptions {
  certificates: CertificateStore;
  /** Where revocation lists come from; without it revocation is not checked. */
  crls?: CrlSource;
  /** Where the cryptography runs: this thread (IN_PROCESS, the default) or an SmimePool. */
  operations?: SmimeOperations;
  /** How long store lookups are reused, in ms (default 60 000; 0 looks up for every message). */
  lookupCacheMs?: number;
  /** For the lookup cache's expiry. */
  clock?: Clock;
}

export interface SignedAs {
  message: Buffer;
  certificate: StoredCertificate;
}

export interface EncryptedFor {
  message: Buffer;
  recipients: Array<{ address: string; certificate: StoredCertificate }>;
}

export interface SignedAndEncrypted extends EncryptedFor {
  /** The signing certificate. */
  certificate: StoredCertificate;
}

export interface SignAndEncryptForOptions {
  /** Default 'detached'. */
  mode?: SignatureMode;
  encryption?: EncryptOptions;
}

export class SmimeService {
  private readonly crls: CrlSource | undefined;
  private readonly operations: SmimeOperations;
  private readonly lookups: SmimeLookups;

  constructor(options: SmimeServiceOptions) {
    this.crls = options.crls;
    this.operations = options.operations ?? IN_PROCESS;
    this.lookups = new SmimeLookups({
      certificates: options.certificates,
      ...(options.lookupCacheMs !== undefined ? { ttlMs: options.lookupCacheMs } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    });
  }

  /** Signs with the address's newest valid signing certificate, its chain included. */
  async signAs(message: Buffer, address: string, mode: SignatureMode = 'detached'): Promise<SignedAs> {
    const { stored, signer } = await this.signingIdentity(address);
    return { message: await this.operations.signMessage(message, signer, { mode }), certificate: stored };
  }

  /** Encrypts for each address's newest valid encryption certificate; every address must have one. */
  async encryptFor(message: Buffer, addresses: readonly string[], options: EncryptOptions = {}): Promise<EncryptedFor> {
    const recipients = await this.recipients(addresses);
    const encrypted = await this.operations.encryptMessage(message, recipients.map((r) => r.lookup.certificate), options);
    return { message: encrypted, recipients: recipients.map(({ address, lookup }) => ({ address, certificate: lookup.stored })) };
  }

  /**
   * Signs as `from`, then encrypts for `addresses` and for `from` itself, so that the sender
   * can read the copy it keeps (one pass: see cms/sign-encrypt.ts).
   */
  async signAndEncryptFor(message: Buffer, from: string, addresses: readonly string[], options: SignAndEncryptForOptions = {}): Promise<SignedAndEncrypted> {
    const [{ stored, signer }, recipients] = await Promise.all([this.signingIdentity(from), this.recipients([...addresses, from])]);
    const sealed = await this.operations.signAndEncryptMessage(message, signer, recipients.map((r) => r.lookup.certificate), {
      sign: { mode: options.mode ?? 'detached' },
      ...(options.encryption ? { encrypt: options.encryption } : {}),
    });
    return { message: sealed, certificate: stored, recipients: recipients.map(({ address, lookup }) => ({ address, certificate: lookup.stored })) };
  }

  /** Whether a valid encryption certificate is known for the address (a remembered lookup: routing asks for every message). */
  async canEncryptTo(address: string): Promise<boolean> {
    return (await this.lookups.encryptionCertificate(address)) !== undefined;
  }

  /** Whether an encryption key of the address is stored here, to decrypt what arrives for it (remembered too). */
  async canDecryptAs(address: string): Promise<boolean> {
    return (await this.lookups.decryptionKeys(address)).length > 0;
  }

  /** Decrypts with any stored encryption key of the address (old certificates included: mail outlives them). */
  async decryptAs(message: Buffer, address: string): Promise<DecryptResult> {
    const keys = await this.lookups.decryptionKeys(address);
    if (keys.length === 0) throw new HygieError('INVALID_INPUT', `no encryption certificate with its private key is stored for ${address}`);
    const result = await this.operations.decryptMessage(message, keys);
    if (result.status === 'decrypted' || result.reason !== 'no-matching-key') return result;
    // Perhaps for a key imported since the lookup was remembered: look again before giving up.
    this.lookups.forget(address);
    const fresh = await this.lookups.decryptionKeys(address);
    return sameKeys(fresh, keys) ? result : this.operations.decryptMessage(message, fresh);
  }

  /** Verifies against the S/MIME trust anchors, with the stored CA certificates as intermediates. */
  async verify(message: Buffer, now?: Date): Promise<SignatureVerdict> {
    return verifyMessage(message, {
      trust: await this.lookups.trust(),
      ...(this.crls ? { crls: this.crls } : {}),
      ...(now ? { now } : {}),
    });
  }

  /**
   * Forgets remembered lookups for an address (or all, trust anchors included): call it
   * after importing, deleting or revoking certificates so that the change applies at once.
   */
  forget(address?: string): void {
    this.lookups.forget(address);
  }

  private async signingIdentity(address: string): Promise<SigningLookup> {
    const identity = await this.lookups.signingIdentity(address);
    if (!identity) throw new HygieError('INVALID_INPUT', `no valid signing certificate with its private key is stored for ${address}`);
    return identity;
  }

  /** Each distinct address (case-insensitive) with its encryption certificate; an address without one is an error. */
  private async recipients(addresses: readonly string[]): Promise<Array<{ address: string; lookup: EncryptionLookup }>> {
    const distinct = [...new Set(addresses.map((a) => a.toLowerCase()))];
    const found = await Promise.all(distinct.map((address) => this.lookups.encryptionCertificate(address)));
    return distinct.map((address, i) => {
      const lookup = found[i];
      if (!lookup) throw new HygieError('INVALID_INPUT', `no valid encryption certificate is stored for ${address}`);
      return { address, lookup };
    });
  }
}

function sameKeys(a: readonly RecipientKey[], b: readonly RecipientKey[]): boolean {
  return a.length === b.length && a.every((key, i) => key.certificate === b[i]!.certificate);
}
