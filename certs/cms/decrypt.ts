/**
 * S/MIME decryption (RFC 8551 §3.3, RFC 5652 §6, RFC 5083): EnvelopedData and
 * AuthEnvelopedData, addressed by RSA key transport (PKCS#1 v1.5, OAEP) or ECDH.
 *
 * Never throws on bad data and never returns garbage as success: every outcome is a
 * result with a reason from a closed list. Unwrap failures are not reported as such (the
 * key is replaced by a random one, see envelope-key-transport.ts), so the reason depends
 * only on the content layer: GCM tag → integrity-failure, CBC → decryption-failed.
 */
import { readAuthEnvelopedData } from './auth-enveloped.js';
import { CONTENT_TYPE_OID, type ContentEncryptionName } from './envelope-algorithms.js';
import { readContentInfo, readEnvelopedData, type EncryptedContentInfo, type RecipientInfo } from './envelope-asn1.js';
import { BerError } from './envelope-ber.js';
import { contentParameters, openContent } from './envelope-content.js';
import { EnvelopeFailure, type DecryptFailureReason } from './envelope-failure.js';
import { recipientIdentity, type RecipientIdentity } from './envelope-certificates.js';
import { describeRecipients, findCandidates, type KeyManagement, type RecipientKey } from './envelope-recipients.js';
import { entityParts, joinMessage, smimeStructureOf, splitMessageParts, type HeaderField, type SmimeStructure } from './mime.js';

export type { ContentEncryptionName } from './envelope-algorithms.js';
export type { DecryptFailureReason } from './envelope-failure.js';
export type { RecipientIdentity } from './envelope-certificates.js';
export type { KeyManagement, RecipientKey } from './envelope-recipients.js';

export interface DecryptFailure {
  status: 'failed';
  reason: DecryptFailureReason;
  /** For logs and the operator; names no key material. */
  detail: string;
}

interface Decrypted {
  status: 'decrypted';
  algorithm: ContentEncryptionName;
  keyManagement: KeyManagement;
  /** EnvelopedData or AuthEnvelopedData (RFC 5083). */
  structure: 'enveloped-data' | 'authEnveloped-data';
  recipient: RecipientIdentity;
}

export type DecryptCmsResult = (Decrypted & { content: Buffer }) | DecryptFailure;

/** `message` is the outer header followed by the decrypted entity, byte for byte. */
export type DecryptResult = (Decrypted & { message: Buffer }) | DecryptFailure;

export interface DecryptCmsOptions {
  /**
   * Whether the content must look like a MIME entity, as S/MIME content always is
   * (RFC 8551 §3.3). True by default: it is what tells CBC garbage (wrong key, altered
   * ciphertext) from a success. Set false only for non-MIME CMS content.
   */
  readonly requireMimeEntity?: boolean;
}

/** Decrypts a DER (or BER) ContentInfo with whichever of `keys` it is addressed to. */
export async function decryptCms(der: Uint8Array, keys: readonly RecipientKey[], options: DecryptCmsOptions = {}): Promise<DecryptCmsResult> {
  return asResult(() => unseal(readEnvelope(der), keys, options.requireMimeEntity === false ? undefined : looksLikeMimeEntity));
}

/**
 * Decrypts an `application/pkcs7-mime` message with whichever of `keys` it is addressed
 * to, and puts the decrypted entity back under the outer header.
 */
export async function decryptMessage(message: Buffer, keys: readonly RecipientKey[]): Promise<DecryptResult> {
  return asResult(() => {
    let split: ReturnType<typeof splitMessageParts>;
    try {
      // The body is base64, whose decoding ignores line ends: no need to canonicalise (or copy) it.
      split = splitMessageParts(message, { canonicalize: false });
    } catch (error) {
      throw new EnvelopeFailure('malformed', `unreadable message header: ${(error as Error).message}`);
    }
    let structure: SmimeStructure;
    try {
      structure = smimeStructureOf(split.entityFields, split.body);
    } catch (error) {
      // It only fails on a broken multipart/signed: not an encrypted message either.
      throw new EnvelopeFailure('not-encrypted', `not an encrypted message (${(error as Error).message})`);
    }
    if (structure.kind !== 'pkcs7-mime') throw new EnvelopeFailure('not-encrypted', 'the message is not application/pkcs7-mime');
    if (structure.smimeType !== null && structure.smimeType !== 'enveloped-data' && structure.smimeType !== 'authEnveloped-data') {
      throw new EnvelopeFailure('not-encrypted', `the message is smime-type=${structure.smimeType}`);
    }
    const { content, ...decrypted } = unseal(readEnvelope(structure.der), keys, looksLikeMimeEntity);
    return { ...decrypted, message: joinDecrypted(split.outer, content) };
  });
}

async function asResult<T>(run: () => T): Promise<T | DecryptFailure> {
  try {
    return run();
  } catch (error) {
    if (error instanceof EnvelopeFailure) return { status: 'failed', reason: error.reason, detail: error.message };
    if (error instanceof BerError) return { status: 'failed', reason: 'malformed', detail: `unreadable CMS structure: ${error.message}` };
    // Anything else is a fault of ours, still reported as a result rather than thrown at the gateway.
    return { status: 'failed', reason: 'malformed', detail: `unexpected error reading the CMS structure: ${(error as Error).message}` };
  }
}

interface Envelope {
  structure: 'enveloped-data' | 'authEnveloped-data';
  recipientInfos: RecipientInfo[];
  encryptedContentInfo: EncryptedContentInfo;
  mac?: Buffer;
  aad?: Buffer;
}

const NOT_ENCRYPTED_TYPES = new Map([
  [CONTENT_TYPE_OID.data, 'data'],
  [CONTENT_TYPE_OID.signedData, 'signed-data'],
  ['1.2.840.113549.1.9.16.1.9', 'compressed-data'],
  ['1.2.840.113549.1.7.5', 'digested-data'],
]);

function readEnvelope(der: Uint8Array): Envelope {
  if (der.byteLength === 0) throw new EnvelopeFailure('malformed', 'the CMS structure is empty');
  const { contentType, content } = readContentInfo(Buffer.from(der.buffer, der.byteOffset, der.byteLength));
  switch (contentType) {
    case CONTENT_TYPE_OID.envelopedData:
      return { structure: 'enveloped-data', ...readEnvelopedData(content) };
    case CONTENT_TYPE_OID.authEnvelopedData: {
      const { recipientInfos, authEncryptedContentInfo, mac, aad } = readAuthEnvelopedData(content);
      return { structure: 'authEnveloped-data', recipientInfos, encryptedContentInfo: authEncryptedContentInfo, mac, ...(aad ? { aad } : {}) };
    }
    default: {
      const name = NOT_ENCRYPTED_TYPES.get(contentType);
      if (name) throw new EnvelopeFailure('not-encrypted', `the CMS content is ${name}, not enveloped`);
      throw new EnvelopeFailure('unsupported-algorithm', `CMS content type ${contentType} is not supported`);
    }
  }
}

function unseal(envelope: Envelope, keys: readonly RecipientKey[], plausible?: (content: Buffer) => boolean): Decrypted & { content: Buffer } {
  const { candidates, refused } = findCandidates(envelope.recipientInfos, keys);
  if (candidates.length === 0) {
    throw refused[0] ?? new EnvelopeFailure('no-matching-key', `none of our ${keys.length} key(s) is a recipient; the message is for: ${describeRecipients(envelope.recipientInfos)}`);
  }
  const parameters = contentParameters(envelope.encryptedContentInfo, envelope.structure);
  let failure: EnvelopeFailure | undefined;
  // Several of our keys may be addressed (old and new certificate): the first that opens wins.
  for (const candidate of candidates) {
    const contentKey = candidate.unwrap(parameters.algorithm.keyLength);
    try {
      const content = openContent(parameters, contentKey, envelope.mac, envelope.aad);
      if (plausible && !plausible(content)) {
        // CBC has no integrity: a wrong key or altered ciphertext may still "decrypt".
        throw parameters.algorithm.mode === 'cbc'
          ? new EnvelopeFailure('decryption-failed', `${parameters.algorithm.name} decryption gave bytes that are not a MIME entity: the message was altered or not encrypted for this key`)
          : new EnvelopeFailure('malformed', 'the authenticated content is not a MIME entity');
      }
      return {
        status: 'decrypted',
        content,
        algorithm: parameters.algorithm.name,
        keyManagement: candidate.keyManagement,
        structure: envelope.structure,
        recipient: recipientIdentity(candidate.key.certificate),
      };
    } catch (error) {
      if (!(error instanceof EnvelopeFailure)) throw error;
      failure ??= error;
    } finally {
      contentKey.fill(0);
    }
  }
  throw failure!;
}

const FIELD_LINE = /^[\x21-\x39\x3b-\x7e]+[ \t]*:[^\x00-\x08\x0a-\x1f\x7f]*$/;
const FOLDED_LINE = /^[ \t][^\x00-\x08\x0a-\x1f\x7f]*$/;

/**
 * Whether decrypted bytes start like a MIME entity: one or more header lines (field, or
 * folded continuation; no control characters, 8-bit allowed for RFC 6532), then the empty
 * line that ends the header, within the first 64 KB. Random bytes fail this with
 * overwhelming probability: it is the garbage check for CBC. (MIME allows an entity with
 * no header field or no body separator, but no S/MIME agent encrypts one.)
 */
export function looksLikeMimeEntity(content: Buffer): boolean {
  const head = content.subarray(0, 64 * 1024).toString('latin1');
  for (let start = 0, index = 0; ; index++) {
    const end = head.indexOf('\n', start);
    if (end < 0) return false; // no end of header within reach
    const line = head.slice(start, end > start && head[end - 1] === '\r' ? end - 1 : end);
    if (line === '' && index > 0) return true;
    if (!(FIELD_LINE.test(line) || (index > 0 && FOLDED_LINE.test(line)))) return false;
    start = end + 1;
  }
}

/** Outer header + decrypted entity; MIME-Version is added only if the entity lacks one. */
function joinDecrypted(outer: readonly HeaderField[], entity: Buffer): Buffer {
  let hasMimeVersion = false;
  try {
    hasMimeVersion = entityParts(entity).fields.some((f) => f.name.toLowerCase() === 'mime-version');
  } catch {
    // looksLikeMimeEntity let it through: keep the entity as is.
  }
  if (!hasMimeVersion) return joinMessage(outer, entity);
  return Buffer.concat([Buffer.from(outer.map((f) => f.raw + '\r\n').join(''), 'latin1'), entity]);
}
