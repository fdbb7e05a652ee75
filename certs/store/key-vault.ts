/**
 * Private keys at rest. With a configured secret, PKCS#8 bytes are sealed with AES-256-GCM
 * under a key derived from the secret by scrypt; without one they are stored clear. Every
 * sealed row says how it was sealed (`encryption`) and under which secret (`secretId`), so
 * clear rows stay readable when a secret is added later, and old secrets can be kept for
 * reading while a new one seals (rotation: list the new secret first, then reseal).
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { HygieError } from '../../core/errors.js';
import { CertificateStoreError } from './errors.js';

export interface KeySecret {
  /** Names the secret in each row it seals: letters, digits, dot, dash, underscore. */
  readonly id: string;
  /** Operator-chosen passphrase or random bytes; at least 16 characters/bytes. */
  readonly secret: string | Uint8Array;
}

export type KeyEncryption = 'none' | 'aes-256-gcm';

export interface SealedKey {
  readonly encryption: KeyEncryption;
  readonly secretId: string | null;
  /** `none`: the PKCS#8 DER. `aes-256-gcm`: IV (12) ‖ tag (16) ‖ ciphertext. */
  readonly data: Uint8Array;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
// scrypt once per secret and process (about 100 ms), so each key opening costs only AES-GCM.
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

export class PrivateKeyVault {
  private readonly secrets = new Map<string, string | Uint8Array>();
  private readonly derived = new Map<string, Promise<Buffer>>();
  /** The secret new keys are sealed with; undefined: keys are stored clear. */
  readonly sealingSecretId: string | undefined;

  constructor(secrets: readonly KeySecret[] = []) {
    for (const { id, secret } of secrets) {
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new HygieError('CONFIG_INVALID', `private key secret id "${id}" must be 1 to 64 letters, digits, dots, dashes or underscores`);
      if (this.secrets.has(id)) throw new HygieError('CONFIG_INVALID', `private key secret id "${id}" is given twice`);
      if (secret.length < 16) throw new HygieError('CONFIG_INVALID', `private key secret "${id}" is too short: at least 16 characters`);
      this.secrets.set(id, secret);
    }
    this.sealingSecretId = secrets[0]?.id;
  }

  /** Seals PKCS#8 bytes; `binding` (the certificate fingerprint) ties the sealed row to its certificate. */
  async seal(pkcs8: Uint8Array, binding: string): Promise<SealedKey> {
    const secretId = this.sealingSecretId;
    if (secretId === undefined) return { encryption: 'none', secretId: null, data: Uint8Array.from(pkcs8) };
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', await this.keyFor(secretId), iv);
    cipher.setAAD(additionalData(secretId, binding));
    const ciphertext = Buffer.concat([cipher.update(pkcs8), cipher.final()]);
    return { encryption: 'aes-256-gcm', secretId, data: Buffer.concat([iv, cipher.getAuthTag(), ciphertext]) };
  }

  /** The PKCS#8 bytes of a sealed row; a missing or wrong secret is a clear `key-unavailable` error. */
  async open(sealed: SealedKey, binding: string): Promise<Buffer> {
    if (sealed.encryption === 'none') return Buffer.from(sealed.data);
    if (sealed.encryption !== 'aes-256-gcm') {
      throw new CertificateStoreError('key-unavailable', `the private key of certificate ${binding} is sealed with an unknown scheme "${String(sealed.encryption)}"`);
    }
    const secretId = sealed.secretId ?? '';
    if (!this.secrets.has(secretId)) {
      throw new CertificateStoreError('key-unavailable', `the private key of certificate ${binding} is sealed with secret "${secretId}", which is not configured`);
    }
    const data = Buffer.from(sealed.data);
    try {
      const decipher = createDecipheriv('aes-256-gcm', await this.keyFor(secretId), data.subarray(0, IV_BYTES));
      decipher.setAAD(additionalData(secretId, binding));
      decipher.setAuthTag(data.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(data.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      // No cause attached: it would only say "unable to authenticate data".
      throw new CertificateStoreError('key-unavailable', `the private key of certificate ${binding} could not be decrypted with secret "${secretId}": wrong secret, or the stored row was altered`);
    }
  }

  /** Whether a row should be resealed to follow the current configuration. */
  needsReseal(sealed: Pick<SealedKey, 'encryption' | 'secretId'>): boolean {
    if (this.sealingSecretId === undefined) return false; // never downgrade sealed rows to clear
    return sealed.encryption !== 'aes-256-gcm' || sealed.secretId !== this.sealingSecretId;
  }

  private keyFor(secretId: string): Promise<Buffer> {
    let key = this.derived.get(secretId);
    if (!key) {
      const secret = this.secrets.get(secretId)!;
      // A fixed, per-id salt: the derived key must be the same after a restart.
      key = new Promise<Buffer>((resolve, reject) => {
        scrypt(secret, `hygie/private-keys/v1/${secretId}`, 32, SCRYPT, (error, derived) => (error ? reject(error) : resolve(derived)));
      });
      this.derived.set(secretId, key);
    }
    return key;
  }
}

function additionalData(secretId: string, binding: string): Buffer {
  return Buffer.from(`hygie private key v1|${secretId}|${binding}`, 'utf8');
}
