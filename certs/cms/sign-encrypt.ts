/**
 * Sign-then-encrypt (RFC 8551 §3.7) in one pass: the signed MIME entity is encrypted as
 * it comes out of signing, instead of being joined into a message and split out of it
 * again. The result is what encryptMessage(await signMessage(…)) gives.
 */
import type * as pkijs from 'pkijs';
import { encryptedMessageOf, type EncryptOptions } from './encrypt.js';
import { signEntityOf, type Signer, type SignOptions } from './sign.js';

export interface SignAndEncryptOptions {
  readonly sign?: SignOptions;
  readonly encrypt?: EncryptOptions;
}

/** Signs `message` as `signer`, then encrypts it for `recipients` (include the sender: see encryptCms). */
export async function signAndEncryptMessage(
  message: Buffer, signer: Signer, recipients: readonly pkijs.Certificate[], options: SignAndEncryptOptions = {},
): Promise<Buffer> {
  const { outer, entity } = await signEntityOf(message, signer, options.sign);
  return encryptedMessageOf(outer, entity, recipients, options.encrypt);
}
