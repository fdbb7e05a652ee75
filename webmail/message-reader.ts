/**
 * Turns a stored RFC 5322 message into what the reading page shows: the main header
 * fields, the body as plain text, and the list of attachments. HTML is never passed on:
 * an HTML-only message is shown as the text mailparser derives from it (tags, scripts and
 * styles dropped), and the views escape that text like any other.
 */
import { simpleParser, type AddressObject, type EmailAddress } from 'mailparser';

export interface ReadableAttachment {
  filename: string | null;
  contentType: string;
  size: number;
}

export interface ReadableMessage {
  subject: string;
  from: string;
  to: string;
  cc: string;
  date: Date | null;
  /** The plain-text body ('' when the message has none). */
  text: string;
  /** The message only had HTML, and it could not be converted to text (too large or too deep). */
  htmlNotConverted: boolean;
  attachments: ReadableAttachment[];
  /** The gateway's S/MIME verdict, when this operator wrote one. */
  security: SecurityVerdict | null;
}

/** RFC 7281 results, as the gateway's `Authentication-Results` field states them. */
export interface SecurityVerdict {
  result: 'pass' | 'fail' | 'policy' | 'neutral' | 'none' | 'temperror' | 'permerror';
  /** The signer's address, when the signature named one. */
  signer: string | null;
  reason: string | null;
  /** The gateway decrypted the message for its reader. */
  decrypted: boolean;
}

/** HTML bodies larger than this (decoded characters) are not converted to text. */
const MAX_HTML_TO_CONVERT = 2 * 1024 * 1024;

/** `authservId`: this operator's name in `Authentication-Results`; results from anyone else are not trusted. */
export async function readableMessage(raw: Buffer, authservId?: string): Promise<ReadableMessage> {
  const parsed = await simpleParser(raw, {
    skipTextToHtml: true,
    skipTextLinks: true,
    skipImageLinks: true,
    keepCidLinks: true,
    maxHtmlLengthToParse: MAX_HTML_TO_CONVERT,
  });
  const text = (parsed.text ?? '').replace(/\s+$/, '');
  return {
    subject: parsed.subject ?? '',
    from: addressText(parsed.from),
    to: addressText(parsed.to),
    cc: addressText(parsed.cc),
    date: parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : null,
    text,
    // mailparser 3.14 reports HTML it would not convert on the result; older typings omit it.
    htmlNotConverted: text === '' && Boolean((parsed as { textConversionError?: Error }).textConversionError),
    attachments: parsed.attachments.map((attachment) => ({
      filename: attachment.filename ?? null,
      contentType: attachment.contentType,
      size: attachment.size,
    })),
    security: authservId ? securityVerdict(raw, authservId) : null,
  };
}

const RESULTS = new Set(['pass', 'fail', 'policy', 'neutral', 'none', 'temperror', 'permerror']);

/** The topmost `Authentication-Results` of ours (the gateway writes it above anything received). */
function securityVerdict(raw: Buffer, authservId: string): SecurityVerdict | null {
  const end = raw.indexOf('\r\n\r\n');
  const header = raw.subarray(0, end >= 0 ? end : raw.length).toString('latin1').replace(/\r\n[ \t]+/g, ' ');
  const decrypted = /^x-hygie-decrypted:/im.test(header);
  for (const line of header.split('\r\n')) {
    const match = /^authentication-results:\s*([^;\s]+)\s*;(.*)$/i.exec(line);
    if (!match || match[1]!.toLowerCase() !== authservId.toLowerCase()) continue;
    const body = match[2]!;
    const result = /\bsmime=(\w+)/i.exec(body)?.[1]?.toLowerCase();
    if (!result || !RESULTS.has(result)) return null;
    return {
      result: result as SecurityVerdict['result'],
      signer: /body\.smime-identifier=("?)([^"\s;]+)\1/i.exec(body)?.[2] ?? null,
      reason: /reason="((?:[^"\\]|\\.)*)"/i.exec(body)?.[1]?.replace(/\\(.)/g, '$1') ?? null,
      decrypted,
    };
  }
  return null;
}

/** Addresses as people read them: `Dr Paul Martin <paul.martin@…>`, without the quoting of the header syntax. */
function addressText(value: AddressObject | AddressObject[] | undefined): string {
  if (!value) return '';
  return (Array.isArray(value) ? value : [value]).flatMap((header) => header.value.map(formatAddress)).filter(Boolean).join(', ');
}

function formatAddress(entry: EmailAddress): string {
  if (entry.group) return `${entry.name}: ${entry.group.map(formatAddress).join(', ')};`;
  const address = entry.address ?? '';
  return entry.name ? (address ? `${entry.name} <${address}>` : entry.name) : address;
}
