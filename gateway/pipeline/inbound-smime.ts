/**
 * Step (mail arriving for local boxes): open S/MIME for the reader. An encrypted message
 * is decrypted with the key of one of its local recipients and stored decrypted, so every
 * mail client can read it; its signatures (nested ones too) are verified against the
 * S/MIME trust anchors and the verdict is written in an `Authentication-Results` field
 * (RFC 7601/7281). A message nobody here can decrypt is stored as received, with a verdict
 * saying so: never dropped. Forged `Authentication-Results` claiming our name are removed.
 */
import { formatAuthenticationResults, type DecryptResult, type SignatureVerdict } from '../../certs/index.js';
import { headerBlock } from '../store/header-summary.js';
import { prependHeaders } from './message-checks.js';

export interface InboundSmimeOperations {
  /** Whether this address has a decryption key here (certificate with its private key). */
  canDecrypt(address: string): Promise<boolean>;
  decryptAs(message: Buffer, address: string): Promise<DecryptResult>;
  verify(message: Buffer): Promise<SignatureVerdict>;
}

export interface OpenedMessage {
  raw: Buffer;
  /** For the audit trail. */
  decryption: 'not-encrypted' | 'decrypted' | 'no-key' | 'failed';
  decryptedFor?: string;
  signature: SignatureVerdict['status'];
}

export async function openSmime(raw: Buffer, recipients: readonly string[], smime: InboundSmimeOperations, hostname: string): Promise<OpenedMessage> {
  let message = withoutForgedResults(raw, hostname);
  let decryption: OpenedMessage['decryption'] = 'not-encrypted';
  let decryptedFor: string | undefined;
  let decryptionNote = '';
  if (isEncrypted(message)) {
    decryption = 'no-key';
    for (const address of recipients) {
      if (!(await smime.canDecrypt(address))) continue;
      const result = await smime.decryptAs(message, address);
      if (result.status === 'decrypted') {
        message = result.message;
        decryption = 'decrypted';
        decryptedFor = address;
        break;
      }
      // Not addressed to this reader's key: the same as having no key; anything else is a real failure.
      if (result.reason !== 'no-matching-key') {
        decryption = 'failed';
        decryptionNote = result.detail;
      }
    }
    if (decryption !== 'decrypted') {
      const why = decryption === 'no-key' ? 'encrypted for a key this operator does not hold' : `could not be decrypted: ${decryptionNote}`;
      const field = `Authentication-Results: ${hostname}; smime=neutral reason="${why.replace(/["\\\r\n]/g, ' ')}"`;
      return { raw: prependHeaders(message, [field]), decryption, signature: 'unsigned' };
    }
  }
  const verdict = await smime.verify(message);
  const fields = [`Authentication-Results: ${formatAuthenticationResults(verdict, hostname)}`];
  if (decryption === 'decrypted') fields.push(`X-Hygie-Decrypted: for ${decryptedFor} by ${hostname}`);
  return { raw: prependHeaders(message, fields), decryption, ...(decryptedFor ? { decryptedFor } : {}), signature: verdict.status };
}

function isEncrypted(message: Buffer): boolean {
  const header = headerText(message);
  const type = /^content-type:\s*([^;\r\n]+)((?:[^\r\n]|\r?\n[ \t])*)/im.exec(header);
  if (!type) return false;
  const mime = type[1]!.trim().toLowerCase();
  if (mime !== 'application/pkcs7-mime' && mime !== 'application/x-pkcs7-mime') return false;
  const smimeType = /smime-type\s*=\s*"?([\w-]+)/i.exec(type[2] ?? '')?.[1]?.toLowerCase();
  // Without smime-type, an opaque pkcs7-mime is most often enveloped data.
  return smimeType === undefined || smimeType === 'enveloped-data' || smimeType === 'authenveloped-data';
}

/** RFC 7601 §5: results that claim to come from us, before we added ours, are forgeries. */
function withoutForgedResults(raw: Buffer, hostname: string): Buffer {
  const header = headerText(raw);
  const escaped = hostname.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const forged = new RegExp(`^authentication-results:\\s*${escaped}\\s*;(?:[^\\n]*\\n[ \\t])*[^\\n]*\\n`, 'gim');
  if (!forged.test(header)) return raw;
  const cleaned = header.replace(forged, '');
  return Buffer.concat([Buffer.from(cleaned, 'latin1'), raw.subarray(Buffer.byteLength(header, 'latin1'))]);
}

function headerText(raw: Buffer): string {
  return headerBlock(raw).toString('latin1');
}
