/**
 * ENVELOPE (RFC 3501 7.4.2) from a header block. Values are the header text as stored
 * (encoded words left for the client to decode); 8-bit text goes out as a literal.
 */
import type { ResponseValue } from './compiler.js';
import { parseAddressList, type ParsedMailbox } from './address.js';
import { headerValue, type HeaderField } from './mime.js';

export function buildEnvelope(headers: readonly HeaderField[]): ResponseValue[] {
  const text = (key: string): string | null => {
    const value = headerValue(headers, key);
    return value === undefined || value === '' ? null : value;
  };
  const from = addresses(text('from'));
  return [
    text('date'),
    text('subject'),
    from,
    addresses(text('sender')) ?? from,
    addresses(text('reply-to')) ?? from,
    addresses(text('to')),
    addresses(text('cc')),
    addresses(text('bcc')),
    text('in-reply-to'),
    text('message-id'),
  ];
}

function addresses(value: string | null): ResponseValue[] | null {
  if (value === null) return null;
  const out: ResponseValue[] = [];
  for (const entry of parseAddressList(value)) {
    if (entry.kind === 'mailbox') {
      out.push(address(entry));
    } else {
      out.push([null, null, entry.name, null]);
      for (const member of entry.members) out.push(address(member));
      out.push([null, null, null, null]);
    }
  }
  return out.length === 0 ? null : out;
}

function address(mailbox: ParsedMailbox): ResponseValue[] {
  return [mailbox.name, mailbox.route, mailbox.mailbox || null, mailbox.host];
}
