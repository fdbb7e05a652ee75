/**
 * Sign-then-encrypt (RFC 8551 §3.7) in one pass: the signed MIME entity is encrypted as
 * it comes out of signing, instead of being joined into a message and split out of it
 * again. The result is what encryptMessage(await signMessage(…)) gives.
 */
import type * as pkijs from 'pkijs';
import { encryptedMessageOf, type EncryptOptions } from './encrypt.js';
import { Scratch } from './scratch.js';
import { signedEntity, signParts, type Signer, type SignOptions } from './sign.js';

export interface SignAndEncryptOptions {
  readonly sign?: SignOptions;
  readonly encrypt?: EncryptOptions;
}

/** Signs `message` as `signer`, then encrypts it for `recipients` (include the sender: see encryptCms). */
export async function signAndEncryptMessage(
  message: Buffer, signer: Signer, recipients: readonly pkijs.Certificate[], options: SignAndEncryptOptions = {},
): Promise<Buffer> {
  const signed = await signParts(message, signer, options.sign);
  // Written into the scratch buffer and encrypted from it in one synchronous stretch: no
  // other message can use the buffer in between.
  const entity = signedEntity(signed, (size) => entityScratch.take(size));
  return encryptedMessageOf(signed.outer, entity, recipients, options.encrypt);
}

/** Signed entities are written here, then encrypted at once: the entity itself is never kept. */
const entityScratch = new Scratch(8 * 1024 * 1024);
