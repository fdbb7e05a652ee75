/**
 * The few decoded header fields a listing needs (subject, sender, date, Message-ID),
 * read from the header block only so that large bodies are not parsed at delivery.
 */
import { simpleParser, type AddressObject } from 'mailparser';

export interface HeaderSummary {
  subject: string;
  from: string;
  messageId: string | null;
  sentAt: Date | null;
}

export async function summariseHeaders(raw: Buffer): Promise<HeaderSummary> {
  const parsed = await simpleParser(headerBlock(raw), { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
  const sentAt = parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : null;
  return {
    subject: parsed.subject ?? '',
    from: formatAddresses(parsed.from),
    messageId: parsed.messageId ?? null,
    sentAt,
  };
}

/** The bytes up to and including the blank line that ends the header. */
export function headerBlock(raw: Buffer): Buffer {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const candidates = [crlf >= 0 ? crlf + 4 : -1, lf >= 0 ? lf + 2 : -1].filter((i) => i >= 0);
  return candidates.length ? raw.subarray(0, Math.min(...candidates)) : raw;
}

function formatAddresses(value: AddressObject | AddressObject[] | undefined): string {
  if (!value) return '';
  return (Array.isArray(value) ? value : [value]).map((group) => group.text).join(', ');
}
