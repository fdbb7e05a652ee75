/**
 * S/MIME for an address, with the certificates and keys of the store: sign as a user,
 * encrypt for recipients, decrypt as a user, verify against the configured S/MIME trust
 * anchors. The command line uses it today and the gateway's pipeline will tomorrow, so the
 * choices (which certificate, which chain, which keys) are made here once.
 */
import type * as pkijs from 'pkijs';
import { HygieError } from '../core/errors.js';
import { decryptMessage, type DecryptResult, type RecipientKey } from './cms/decrypt.js';
import { encryptMessage, type EncryptOptions } from './cms/encrypt.js';
import { signMessage, type SignatureMode } from './cms/sign.js';
import type { SignatureVerdict } from './cms/verdict.js';
import { verifyMessage } from './cms/verify.js';
import type { CertificateStore } from './store/certificate-store.js';
import type { StoredCertificate } from './store/types.js';
import type { CrlSource } from './trust/crl-source.js';
import { TrustStore } from './trust/trust-store.js';
import { parseCertificate } from './x509.js';

export interface SmimeServiceOptions {
  certificates: CertificateStore;
  /** Where revocation lists come from; without it revocation is not checked. */
  crls?: CrlSource;
}

export interface SignedAs {
  message: Buffer;
  certificate: StoredCertificate;
}

export interface EncryptedFor {
  message: Buffer;
  recipients: Array<{ address: string; certificate: StoredCertificate }>;
}

/** How deep an issuer chain may go before we stop looking (loops, absurd PKIs). */
const MAX_CHAIN = 8;

export class SmimeService {
  private readonly certificates: CertificateStore;
  private readonly crls: CrlSource | undefined;

  constructor(options: SmimeServiceOptions) {
    this.certificates = options.certificates;
    this.crls = options.crls;
  }

  /** Signs with the address's newest valid signing certificate, its chain included. */
  async signAs(message: Buffer, address: string, mode: SignatureMode = 'detached'): Promise<SignedAs> {
    const identity = await this.certificates.findSigningIdentity(address);
    if (!identity) throw new HygieError('INVALID_INPUT', `no valid signing certificate with its private key is stored for ${address}`);
    // A signing-only certificate names the encryption certificate, so that replies can be encrypted.
    const encryption = identity.certificate.canEncrypt ? undefined : (await this.certificates.findEncryptionCertificates(address))[0];
    const signed = await signMessage(message, {
      certificate: identity.x509,
      privateKey: identity.privateKey,
      chain: await this.chainOf(identity.x509),
      ...(encryption ? { encryptionCertificate: parseCertificate(encryption.der) } : {}),
    }, { mode });
    return { message: signed, certificate: identity.certificate };
  }

  /** Encrypts for each address's newest valid encryption certificate; every address must have one. */
  async encryptFor(message: Buffer, addresses: readonly string[], options: EncryptOptions = {}): Promise<EncryptedFor> {
    const recipients: EncryptedFor['recipients'] = [];
    for (const address of new Set(addresses.map((a) => a.toLowerCase()))) {
      const [newest] = await this.certificates.findEncryptionCertificates(address);
      if (!newest) throw new HygieError('INVALID_INPUT', `no valid encryption certificate is stored for ${address}`);
      recipients.push({ address, certificate: newest });
    }
    const encrypted = await encryptMessage(message, recipients.map((r) => parseCertificate(r.certificate.der)), options);
    return { message: encrypted, recipients };
  }

  /** Decrypts with any stored encryption key of the address (old certificates included: mail outlives them). */
  async decryptAs(message: Buffer, address: string): Promise<DecryptResult> {
    const stored = (await this.certificates.listCertificates({ address, withPrivateKey: true })).filter((c) => c.canEncrypt);
    if (stored.length === 0) throw new HygieError('INVALID_INPUT', `no encryption certificate with its private key is stored for ${address}`);
    const keys: RecipientKey[] = [];
    for (const c of stored) keys.push({ certificate: parseCertificate(c.der), privateKey: await this.certificates.privateKeyFor(c.id) });
    return decryptMessage(message, keys);
  }

  /** Verifies against the S/MIME trust anchors, with the stored CA certificates as intermediates. */
  async verify(message: Buffer, now?: Date): Promise<SignatureVerdict> {
    const anchors = (await this.certificates.listTrustAnchors('smime')).map((a) => parseCertificate(a.certificate.der));
    const intermediates = (await this.certificates.listCertificates({ isCa: true })).map((c) => parseCertificate(c.der));
    return verifyMessage(message, {
      trust: new TrustStore({ anchors, intermediates }),
      ...(this.crls ? { crls: this.crls } : {}),
      ...(now ? { now } : {}),
    });
  }

  /** The stored CA certificates above `leaf`, up to (not including) a self-signed root. */
  private async chainOf(leaf: pkijs.Certificate): Promise<pkijs.Certificate[]> {
    const cas = (await this.certificates.listCertificates({ isCa: true })).map((c) => parseCertificate(c.der));
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
