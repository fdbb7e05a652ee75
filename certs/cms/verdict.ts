/**
 * The result of verifying a signed message, as one discriminated union that the gateway
 * records and the webmail shows, and its `Authentication-Results` form (RFC 8601 with the
 * `smime` method of RFC 7281).
 */
import type * as pkijs from 'pkijs';
import { HygieError } from '../../core/errors.js';
import { fingerprint } from '../describe.js';
import { formatName } from '../names.js';
import { certificateDerOf, emailAddressesOf, serialHexOf } from '../trust/certificate-facts.js';

export type InvalidReason =
  | 'bad-signature' | 'content-altered' | 'untrusted-chain' | 'expired' | 'not-yet-valid' | 'revoked'
  | 'wrong-key-usage' | 'from-mismatch' | 'unsupported-algorithm' | 'malformed';

export interface SignerSummary {
  /** RFC 4514 form, most specific first. */
  readonly subject: string;
  readonly emails: readonly string[];
  /** Uppercase hex, as `openssl x509 -serial` shows it. */
  readonly serial: string;
  readonly issuer: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SHA-256 of the certificate, "AA:BB:…". */
  readonly fingerprint: string;
  readonly certificate: pkijs.Certificate;
}

interface SignedLayer {
  /** How the signature was carried; absent when the message could not be read that far. */
  readonly form?: 'detached' | 'opaque';
  /** From (and Sender) addresses of the message. */
  readonly headerFrom: readonly string[];
  /** The claimed signing time (a signed attribute, not a trusted timestamp). */
  readonly signingTime?: Date;
  /**
   * What was signed, re-joined with the outer header: a message the gateway can store.
   * Present whenever it could be extracted, also for invalid signatures, in which case
   * it is not authenticated.
   */
  readonly content?: Buffer;
  /** The verdict on the signed content when it is itself a signed message. */
  readonly nested?: SignatureVerdict;
}

export interface ValidVerdict extends SignedLayer {
  readonly status: 'valid';
  readonly signer: SignerSummary;
  readonly content: Buffer;
  /** 'unknown' only when the policy accepts that (requireRevocationCheck false); see warnings. */
  readonly revocation: 'good' | 'not-checked' | 'unknown';
  readonly warnings: readonly string[];
}

export interface InvalidVerdict extends SignedLayer {
  readonly status: 'invalid';
  readonly reason: InvalidReason;
  readonly detail: string;
  readonly signer?: SignerSummary;
}

/** Signed, but no certificate for the signer was carried or known. */
export interface UnknownSignerVerdict extends SignedLayer {
  readonly status: 'unknown-signer';
  readonly detail: string;
}

/** Everything checked out except revocation, which could not be determined and the policy requires. */
export interface RevocationUnknownVerdict extends SignedLayer {
  readonly status: 'revocation-unknown';
  readonly detail: string;
  readonly signer: SignerSummary;
}

/** No S/MIME signature at this level (plain, or encrypted: decrypt first). */
export interface UnsignedVerdict {
  readonly status: 'unsigned';
  readonly detail: string;
  readonly headerFrom: readonly string[];
}

export type SignatureVerdict = ValidVerdict | InvalidVerdict | UnknownSignerVerdict | RevocationUnknownVerdict | UnsignedVerdict;

export function summarizeSigner(cert: pkijs.Certificate): SignerSummary {
  return {
    subject: formatName(cert.subject),
    emails: emailAddressesOf(cert),
    serial: serialHexOf(cert),
    issuer: formatName(cert.issuer),
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    fingerprint: fingerprint(certificateDerOf(cert)),
    certificate: cert,
  };
}

/** The innermost signed content: what a reader should see. */
export function innermostContent(verdict: SignatureVerdict): Buffer | undefined {
  if (verdict.status === 'unsigned') return undefined;
  return (verdict.nested && innermostContent(verdict.nested)) ?? verdict.content;
}

/** Whether every signature layer is valid (an invalid inner signature spoils a valid outer one). */
export function allLayersValid(verdict: SignatureVerdict): boolean {
  if (verdict.status !== 'valid') return false;
  return !verdict.nested || verdict.nested.status === 'unsigned' || allLayersValid(verdict.nested);
}

type SmimeResult = 'none' | 'pass' | 'fail' | 'policy' | 'neutral' | 'temperror' | 'permerror';

/**
 * RFC 7281 results: `fail` when the signature itself does not verify, `policy` when it
 * does but the certificate or sender is not acceptable, `neutral` when it could not be
 * processed, `temperror` when revocation could not be checked (a CRL may come back).
 */
function resultOf(verdict: SignatureVerdict): SmimeResult {
  switch (verdict.status) {
    case 'valid': return 'pass';
    case 'unsigned': return 'none';
    case 'unknown-signer': return 'neutral';
    case 'revocation-unknown': return 'temperror';
    case 'invalid':
      if (verdict.reason === 'bad-signature' || verdict.reason === 'content-altered') return 'fail';
      if (verdict.reason === 'malformed' || verdict.reason === 'unsupported-algorithm') return 'neutral';
      return 'policy';
  }
}

const AUTHSERV_ID = /^[A-Za-z0-9.-]+$/;

/**
 * The value of an `Authentication-Results` header field, e.g.
 * `mail.example.test; smime=pass header.from=a@x.test body.smime-identifier=a@x.test
 * body.smime-serial=1A2B body.smime-issuer="CN=…"`; one `smime` result per signature
 * layer, outermost first. Nothing from the message can break out of its value: quotes,
 * backslashes and line breaks are escaped or dropped.
 */
export function formatAuthenticationResults(verdict: SignatureVerdict, hostname: string): string {
  if (!AUTHSERV_ID.test(hostname)) throw new HygieError('INVALID_INPUT', `not a host name for Authentication-Results: "${hostname}"`);
  const results: string[] = [];
  let layer: SignatureVerdict | undefined = verdict;
  for (let depth = 0; layer && depth < 8; depth++) {
    results.push(resultInfo(layer, depth > 0));
    layer = layer.status === 'unsigned' ? undefined : layer.nested;
  }
  return [hostname, ...results].join(';\r\n\t');
}

function resultInfo(verdict: SignatureVerdict, inner: boolean): string {
  const parts = [`smime=${resultOf(verdict)}`];
  if (inner) parts.push('(inner signature)');
  if (verdict.status === 'invalid') parts.push(`reason=${quoted(`${verdict.reason}: ${verdict.detail}`)}`);
  else if (verdict.status !== 'valid') parts.push(`reason=${quoted(verdict.detail)}`);
  const from = verdict.headerFrom[0];
  if (from) parts.push(`header.from=${propertyValue(from)}`);
  const signer = 'signer' in verdict ? verdict.signer : undefined;
  if (signer) {
    const identifier = signer.emails[0];
    if (identifier) parts.push(`body.smime-identifier=${propertyValue(identifier)}`);
    parts.push(`body.smime-serial=${signer.serial}`, `body.smime-issuer=${quoted(signer.issuer)}`);
  }
  return parts.join(' ');
}

/**
 * A quoted-string (RFC 5322 §3.2.4) on one line, at most 200 characters inside, ASCII
 * only: a header field must stay 7-bit, so non-ASCII characters become the UTF-8 hex
 * escapes RFC 4514 uses in names ("Santé" → `Sant\C3\A9`, backslash quoted).
 */
function quoted(text: string): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ').replace(/[\x00-\x1f\x7f]/g, '');
  const short = flat.length > 200 ? flat.slice(0, 199) + '…' : flat;
  const escaped = short.replace(/[\\"]/g, (c) => '\\' + c).replace(/[^\x20-\x7e]/gu, (c) =>
    [...Buffer.from(c, 'utf8')].map((byte) => '\\\\' + byte.toString(16).toUpperCase().padStart(2, '0')).join(''));
  return `"${escaped}"`;
}

/** An address as a property value: bare when it is a plain dot-atom address, quoted otherwise. */
function propertyValue(address: string): string {
  return /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+$/.test(address) ? address : quoted(address);
}
