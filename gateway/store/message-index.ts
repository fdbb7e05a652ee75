/**
 * What is worked out once per message body, at delivery or append, so that reading a
 * large mailbox does not parse every message again: the IMAP ENVELOPE and BODYSTRUCTURE
 * in wire form (FETCH writes them verbatim), and the decoded, lower-cased header and body
 * text that SEARCH scans inside the database. The IMAP proto functions used here are
 * pure (no I/O), so the store may call them without depending on the protocol layer.
 */
import { buildBodyStructure } from '../imap/proto/bodystructure.js';
import { compileValue } from '../imap/proto/compiler.js';
import { buildEnvelope } from '../imap/proto/envelope.js';
import { decodeEncodedWords, extractBodyText } from '../imap/proto/mime-decode.js';
import { parseMime } from '../imap/proto/mime.js';
import { summariseFields, type HeaderSummary } from './header-summary.js';

export interface MessageIndex {
  /** ENVELOPE value in IMAP wire form (literals inline). */
  envelope: string;
  /** BODYSTRUCTURE value in IMAP wire form. */
  bodyStructure: string;
  /** `name: decoded value` lines of every header field, lower-cased. */
  headerText: string;
  /** Decoded text of the text parts, lower-cased. */
  bodyText: string;
  /** Subject, sender, date and Message-ID for listings. */
  summary: HeaderSummary;
}

/** Body text kept for search; a longer text part is searched in its first 4 MiB characters only. */
export const MAX_INDEXED_TEXT = 4 * 1024 * 1024;

export function indexMessage(raw: Buffer): MessageIndex {
  const mime = parseMime(raw);
  const headerText = mime.headers.map((field) => `${field.key}: ${decodeEncodedWords(field.value)}`).join('\n').toLowerCase();
  let bodyText = extractBodyText(raw, mime);
  if (bodyText.length > MAX_INDEXED_TEXT) bodyText = bodyText.slice(0, MAX_INDEXED_TEXT);
  return {
    envelope: compileValue(buildEnvelope(mime.headers)).toString('utf8'),
    bodyStructure: compileValue(buildBodyStructure(mime, true)).toString('utf8'),
    headerText,
    bodyText: bodyText.toLowerCase(),
    summary: summariseFields(mime.headers),
  };
}

/** Decoded values of one header field from an indexed header text (`field` lower-cased). */
export function headerValuesFromText(headerText: string, field: string): string[] {
  if (field === '*') return headerText.split('\n');
  const prefix = `${field}: `;
  return headerText.split('\n').filter((line) => line.startsWith(prefix)).map((line) => line.slice(prefix.length));
}
