/**
 * The whole-message operations as one interface, so that their caller (SmimeService)
 * runs them either in this thread or in worker threads (certs/workers/smime-pool.ts)
 * without knowing which: same arguments, same results, same errors.
 */
import type * as pkijs from 'pkijs';
import { decryptMessage, type DecryptResult, type RecipientKey } from './decrypt.js';
import { encryptMessage, type EncryptOptions } from './encrypt.js';
import { signAndEncryptMessage, type SignAndEncryptOptions } from './sign-encrypt.js';
import { signMessage, type Signer, type SignOptions } from './sign.js';

export interface SmimeOperations {
  signMessage(message: Buffer, signer: Signer, options?: SignOptions): Promise<Buffer>;
  encryptMessage(message: Buffer, recipients: readonly pkijs.Certificate[], options?: EncryptOptions): Promise<Buffer>;
  signAndEncryptMessage(message: Buffer, signer: Signer, recipients: readonly pkijs.Certificate[], options?: SignAndEncryptOptions): Promise<Buffer>;
  decryptMessage(message: Buffer, keys: readonly RecipientKey[]): Promise<DecryptResult>;
}

/** In this thread; the private-key operations go to libuv's pool, so concurrent calls still use several cores. */
export const IN_PROCESS: SmimeOperations = { signMessage, encryptMessage, signAndEncryptMessage, decryptMessage };
