/**
 * S/MIME signature verification of whole messages: multipart/signed (detached) and
 * application/pkcs7-mime signed-data (opaque), nested signatures included. Every input
 * gives a verdict (verdict.ts): bad data never throws and is never 'valid'.
 *
 * A layer is judged in this order, the first failure giving the reason: message and CMS
 * structure (malformed), algorithms (unsupported-algorithm), signer certificate
 * (unknown-signer), digest (content-altered), signature (bad-signature), certificate path
 * (untrusted-chain, wrong-key-usage, expired, not-yet-valid, revoked), From address
 * (from-mismatch), then revocation availability. Dates are checked at `now` (the time of
 * verification), not at the claimed signing time, which nobody vouches for.
 */
import type * as pkijs from 'pkijs';
import { StaticCrlSource, type CrlRequest, type CrlSource } from '../trust/crl-source.js';
import { validateCertificatePath } from '../trust/path-validation.js';
import type { TrustStore } from '../trust/trust-store.js';
import { authorAddresses, normalizeAddress } from './mail-addresses.js';
import { canonicalize, detectSmime, joinMessage, splitMessage, type HeaderField, type SmimeStructure } from './mime.js';
import { checkSignerInfo, CmsFormatError, parseSignedData, type ParsedSignedData, type SignerCheck } from './signed-data.js';
import { summarizeSigner, type InvalidVerdict, type SignatureVerdict, type SignerSummary } from './verdict.js';

export interface VerifyOptions {
  readonly trust: TrustStore;
  /** Where CRLs come from; without it revocation is 'not-checked'. */
  readonly crls?: CrlSource;
  /** Verification time; now by default. */
  readonly now?: Date;
  /** When true, a signature whose revocation cannot be determined is 'revocation-unknown' rather than valid with a warning. */
  readonly requireRevocationCheck?: boolean;
  /** Certificates known from elsewhere (directory, earlier mail) for signers that do not include theirs. */
  readonly knownCertificates?: readonly pkijs.Certificate[];
  /** How many signature layers inside one another are verified. Default 3. */
  readonly maxNesting?: number;
}

type CmsVerdict = Exclude<SignatureVerdict, { status: 'unsigned' }>;

/** Verifies the S/MIME signature of an RFC 5322 message. */
export async function verifyMessage(message: Buffer, options: VerifyOptions): Promise<SignatureVerdict> {
  try {
    return await verifyLayer(message, options, 1);
  } catch (error) {
    // Defence in depth: a parser bug must still give a verdict, and never 'valid'.
    return { status: 'invalid', reason: 'malformed', detail: `could not be processed: ${(error as Error).message}`, headerFrom: [] };
  }
}

async function verifyLayer(message: Buffer, options: VerifyOptions, depth: number): Promise<SignatureVerdict> {
  let outer: HeaderField[];
  let entity: Buffer;
  try {
    ({ outer, entity } = splitMessage(message));
  } catch (error) {
    return { status: 'invalid', reason: 'malformed', detail: `unreadable message header: ${(error as Error).message}`, headerFrom: [] };
  }
  const authors = authorAddresses(outer);
  const headerFrom = [...authors.from, ...authors.sender];
  let structure: SmimeStructure;
  try {
    structure = detectSmime(entity, { canonicalize: false }); // canonical already: splitMessage made it so
  } catch (error) {
    return { status: 'invalid', reason: 'malformed', detail: (error as Error).message, headerFrom };
  }
  if (structure.kind === 'plain') return { status: 'unsigned', detail: 'the message is not S/MIME signed', headerFrom };
  if (structure.kind === 'pkcs7-mime' && structure.smimeType !== 'signed-data' && structure.smimeType !== null) {
    return { status: 'unsigned', detail: `the message is ${structure.smimeType}, not signed-data${structure.smimeType.includes('enveloped') ? ': decrypt it first' : ''}`, headerFrom };
  }

  const form = structure.kind === 'multipart-signed' ? 'detached' : 'opaque';
  const der = structure.kind === 'multipart-signed' ? structure.signature : structure.der;
  const detached = structure.kind === 'multipart-signed' ? structure.content : undefined;
  const cms = await verifyCms(der, { ...options, ...(detached ? { detachedContent: detached } : {}) });
  if ('unsigned' in cms) return { status: 'unsigned', detail: cms.unsigned, headerFrom };

  // A detached signature covers a part of the (canonical) entity; opaque content may have any line ends.
  const signedEntity = cms.verdict.content && form === 'opaque' ? canonicalize(cms.verdict.content) : cms.verdict.content;
  const content = signedEntity ? joinMessage(outer, signedEntity) : undefined;
  let verdict: CmsVerdict = { ...cms.verdict, form, headerFrom, ...(content ? { content } : {}) };
  if (verdict.status === 'valid' || verdict.status === 'revocation-unknown') {
    verdict = checkFrom(verdict, authors, verdict.signer) ?? verdict;
  }
  if (content && signedEntity && isSignedEntity(signedEntity)) {
    const nested: SignatureVerdict = depth < (options.maxNesting ?? 3)
      ? await verifyLayer(content, options, depth + 1)
      : { status: 'invalid', reason: 'malformed', detail: `signatures nested more than ${options.maxNesting ?? 3} deep are not verified`, headerFrom };
    verdict = { ...verdict, nested };
  }
  return verdict;
}

/** RFC 8550 §3: one of the certificate's addresses must be the From (or Sender) address. */
function checkFrom(verdict: CmsVerdict, authors: { from: string[]; sender: string[] }, signer: SignerSummary): InvalidVerdict | undefined {
  const certified = new Set(signer.emails.map(normalizeAddress));
  const claimed = [...authors.from, ...authors.sender];
  if (claimed.some((address) => certified.has(normalizeAddress(address)))) return undefined;
  const detail = claimed.length === 0
    ? 'the message has no From address to compare with the signer certificate'
    : `From ${claimed.join(', ')} is not an address of the signer certificate (${signer.emails.join(', ') || 'none'})`;
  return { status: 'invalid', reason: 'from-mismatch', detail, signer, headerFrom: verdict.headerFrom, ...withoutStatus(verdict) };
}

function withoutStatus(verdict: CmsVerdict): { form?: 'detached' | 'opaque'; signingTime?: Date; content?: Buffer } {
  return {
    ...(verdict.form ? { form: verdict.form } : {}),
    ...(verdict.signingTime ? { signingTime: verdict.signingTime } : {}),
    ...(verdict.content ? { content: verdict.content } : {}),
  };
}

/** Whether a canonical entity is itself signed. */
function isSignedEntity(entity: Buffer): boolean {
  try {
    const inner = detectSmime(entity, { canonicalize: false });
    return inner.kind === 'multipart-signed' || (inner.kind === 'pkcs7-mime' && (inner.smimeType === 'signed-data' || inner.smimeType === null));
  } catch {
    return false;
  }
}

export interface VerifyCmsOptions extends VerifyOptions {
  /** The signed bytes of a detached signature (a canonical MIME entity for S/MIME). */
  readonly detachedContent?: Uint8Array;
}

/**
 * Verifies DER SignedData: signature, certificate path and revocation (no From check, no
 * MIME). `verdict.content` is the signed bytes (encapsulated or detached); `unsigned` is
 * set instead when the CMS is another type (enveloped-data…).
 */
export async function verifyCms(der: Uint8Array, options: VerifyCmsOptions): Promise<{ verdict: CmsVerdict } | { unsigned: string }> {
  let parsed: ParsedSignedData;
  try {
    parsed = parseSignedData(der);
  } catch (error) {
    if (error instanceof CmsFormatError && error.notSigned) return { unsigned: error.message };
    return { verdict: { status: 'invalid', reason: 'malformed', detail: (error as Error).message, headerFrom: [] } };
  }
  const content = options.detachedContent ?? parsed.encapsulated;
  if (!content) return { verdict: { status: 'invalid', reason: 'malformed', detail: 'detached signature without its content', headerFrom: [] } };
  const contentField = { content: Buffer.from(content.buffer, content.byteOffset, content.byteLength) };

  const candidates = [...parsed.certificates, ...(options.knownCertificates ?? []), ...options.trust.intermediates, ...options.trust.anchors];
  let first: CmsVerdict | undefined;
  // Several SignerInfos: the message is valid when one of them is (RFC 5652 §5.1 leaves the choice to the recipient).
  for (const signerInfo of parsed.signerInfos) {
    const check = checkSignerInfo(signerInfo, content, parsed.eContentType, candidates);
    const verdict = check.ok ? await judgeSigner(check, parsed, options) : signerFailure(check);
    const withContent: CmsVerdict = { ...verdict, ...contentField };
    if (withContent.status === 'valid') return { verdict: withContent };
    first ??= withContent;
  }
  return { verdict: first! };
}

function signerFailure(check: Extract<SignerCheck, { ok: false }>): CmsVerdict {
  const signingTime = check.signingTime ? { signingTime: check.signingTime } : {};
  if (check.reason === 'unknown-signer') return { status: 'unknown-signer', detail: check.detail, headerFrom: [], ...signingTime };
  return {
    status: 'invalid', reason: check.reason, detail: check.detail, headerFrom: [], ...signingTime,
    ...(check.certificate ? { signer: summarizeSigner(check.certificate) } : {}),
  };
}

/** The signature is sound: now the certificate path, at `now`, for signing mail. */
async function judgeSigner(check: Extract<SignerCheck, { ok: true }>, parsed: ParsedSignedData, options: VerifyOptions): Promise<CmsVerdict> {
  const signer = summarizeSigner(check.certificate);
  const signingTime = check.signingTime ? { signingTime: check.signingTime } : {};
  const crls = options.crls && parsed.crls.length > 0 ? withEmbeddedCrls(options.crls, parsed.crls) : options.crls;
  const path = await validateCertificatePath(check.certificate, {
    trust: options.trust,
    untrusted: [...parsed.certificates, ...(options.knownCertificates ?? [])],
    usage: 'smime-signing',
    ...(options.now ? { now: options.now } : {}),
    ...(crls ? { crls } : {}),
  });
  if (!path.ok) return { status: 'invalid', reason: path.reason, detail: path.detail, signer, headerFrom: [], ...signingTime };
  const warnings = signingTimeWarnings(check.signingTime, check.certificate, options.now ?? new Date());
  if (path.revocation.status === 'unknown') {
    if (options.requireRevocationCheck) return { status: 'revocation-unknown', detail: path.revocation.detail, signer, headerFrom: [], ...signingTime };
    warnings.push(`revocation unknown: ${path.revocation.detail}`);
    return { status: 'valid', signer, revocation: 'unknown', warnings, headerFrom: [], content: Buffer.alloc(0), ...signingTime };
  }
  if (path.revocation.status === 'not-checked' && options.requireRevocationCheck) {
    return { status: 'revocation-unknown', detail: 'revocation checking is required but no CRL source is configured', signer, headerFrom: [], ...signingTime };
  }
  return { status: 'valid', signer, revocation: path.revocation.status, warnings, headerFrom: [], content: Buffer.alloc(0), ...signingTime };
}

/** The claimed signing time is only informative, but an implausible one is worth showing. */
function signingTimeWarnings(signingTime: Date | undefined, cert: pkijs.Certificate, now: Date): string[] {
  if (!signingTime) return [];
  if (signingTime.getTime() > now.getTime() + 86_400_000) return [`the claimed signing time ${signingTime.toISOString()} is in the future`];
  if (signingTime < cert.notBefore.value || signingTime > cert.notAfter.value) {
    return [`the claimed signing time ${signingTime.toISOString()} is outside the certificate validity`];
  }
  return [];
}

/** CRLs the sender attached are as good as fetched ones: their signature is checked the same way. */
function withEmbeddedCrls(source: CrlSource, embedded: readonly pkijs.CertificateRevocationList[]): CrlSource {
  const attached = new StaticCrlSource(embedded);
  return {
    async crlsFor(issuer: pkijs.Certificate, request: CrlRequest) {
      const [fromMessage, fromSource] = await Promise.all([attached.crlsFor(issuer), source.crlsFor(issuer, request)]);
      return [...fromMessage, ...fromSource];
    },
  };
}
