/**
 * Applies the protection a network requires to one copy of a message. For S/MIME: signed
 * as the sender's identity in that network, then encrypted for every recipient and for
 * the sender (so that it can read its own copy). A recipient without a valid encryption
 * certificate cannot be written to: it is set aside with the reason (its sender gets a
 * DSN) and nothing is ever sent to it in clear.
 */
import { isHygieError } from '../../core/errors.js';
import type { NetworkProfile } from './networks.js';

/** What protection needs of the S/MIME engine (certs/smime-service.ts). */
export interface SmimeOperations {
  hasEncryptionCertificate(address: string): Promise<boolean>;
  /** Signed as `from`, then encrypted for `addresses` and for `from` when it has an encryption certificate. */
  signAndEncrypt(message: Buffer, from: string, addresses: readonly string[]): Promise<{ message: Buffer }>;
}

export interface ProtectedCopy {
  /** The bytes to send, or undefined when no recipient can receive this copy. */
  message: Buffer | undefined;
  recipients: string[];
  refused: Array<{ address: string; reason: string }>;
  /** What was applied, for the audit trail. */
  applied: 'none' | 'smime-signed-encrypted';
}

export async function protectCopy(smime: SmimeOperations, profile: NetworkProfile, message: Buffer, identity: string, recipients: readonly string[]): Promise<ProtectedCopy> {
  if (profile.protection !== 'smime') return { message, recipients: [...recipients], refused: [], applied: 'none' };
  const able: string[] = [];
  const refused: ProtectedCopy['refused'] = [];
  for (const address of recipients) {
    if (await smime.hasEncryptionCertificate(address)) able.push(address);
    else refused.push({ address, reason: `no valid S/MIME encryption certificate is known for ${address}; the message was not sent (never in clear)` });
  }
  if (able.length === 0) return { message: undefined, recipients: [], refused, applied: 'smime-signed-encrypted' };
  try {
    const sealed = await smime.signAndEncrypt(message, identity, able);
    return { message: sealed.message, recipients: able, refused, applied: 'smime-signed-encrypted' };
  } catch (error) {
    const reason = isHygieError(error) ? error.message : `S/MIME failed: ${(error as Error).message}`;
    return { message: undefined, recipients: [], refused: [...refused, ...able.map((address) => ({ address, reason }))], applied: 'smime-signed-encrypted' };
  }
}
