/**
 * Step: check that the data is an RFC 5322 message (a header block of `Name: value`
 * fields, of reasonable size, in ASCII or UTF-8, not looping between servers), store it
 * with CRLF line endings whatever the client sent, and, on submission, complete it as an
 * MSA does (RFC 6409 §8): a missing Date or Message-ID is added; a missing From is refused.
 */
import { randomBytes } from 'node:crypto';
import { HygieError } from '../../core/errors.js';
import { headerBlock } from '../store/header-summary.js';
import type { IntakeChannel } from './types.js';

const FIELD = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/;
/** Postfix's header_size_limit is 100 KiB; a header block beyond 256 KiB is abuse, not mail. */
export const MAX_HEADER_BYTES = 256 * 1024;
/** More Received fields than any real path has: a loop between servers (RFC 5321 §6.3). */
export const MAX_RECEIVED = 50;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface CheckedMessage {
  raw: Buffer;
  messageId: string | null;
}

export function checkMessage(received: Buffer, channel: IntakeChannel, hostname: string, now: Date): CheckedMessage {
  if (received.length === 0) throw new HygieError('MESSAGE_MALFORMED', 'the message is empty');
  const raw = withCrlf(received);
  const headerBytes = headerBlock(raw);
  if (headerBytes.length > MAX_HEADER_BYTES) {
    throw new HygieError('MESSAGE_TOO_LARGE', `the header block is ${headerBytes.length} bytes; at most ${MAX_HEADER_BYTES} are accepted`);
  }
  if (headerBytes.includes(0)) throw new HygieError('MESSAGE_MALFORMED', 'the header contains a NUL byte');
  let header: string;
  try {
    header = utf8.decode(headerBytes);
  } catch {
    throw new HygieError('MESSAGE_MALFORMED', 'the header contains bytes that are neither ASCII nor UTF-8 (non-ASCII header text must be encoded, RFC 2047)');
  }
  const lines = header.split(/\r?\n/).filter((line) => line.length > 0);
  if (lines.length === 0) throw new HygieError('MESSAGE_MALFORMED', 'the message has no header');
  const names: string[] = [];
  for (const [index, line] of lines.entries()) {
    if (/^[ \t]/.test(line) && index > 0) continue; // folded continuation
    if (!FIELD.test(line)) throw new HygieError('MESSAGE_MALFORMED', `header line ${index + 1} is not a "Name: value" field`);
    names.push(line.slice(0, line.indexOf(':')).trim().toLowerCase());
  }
  const hops = names.filter((name) => name === 'received').length;
  if (hops > MAX_RECEIVED) throw new HygieError('MESSAGE_LOOP', `the message has passed ${hops} servers (Received fields): a mail loop`);
  const messageIdLine = lines.find((line) => /^message-id\s*:/i.test(line));
  let messageId = messageIdLine ? messageIdLine.slice(messageIdLine.indexOf(':') + 1).trim() || null : null;
  if (channel !== 'submission') return { raw, messageId };

  if (!names.includes('from')) throw new HygieError('MESSAGE_MALFORMED', 'the message has no From header');
  const added: string[] = [];
  if (!names.includes('date')) added.push(`Date: ${now.toUTCString().replace('GMT', '+0000')}`);
  if (!messageId) {
    messageId = `<${randomBytes(12).toString('hex')}@${hostname}>`;
    added.push(`Message-ID: ${messageId}`);
  }
  return { raw: added.length ? prependHeaders(raw, added) : raw, messageId };
}

export function prependHeaders(raw: Buffer, fields: readonly string[]): Buffer {
  return Buffer.concat([Buffer.from(fields.map((f) => f + '\r\n').join(''), 'utf8'), raw]);
}

/** Bare LF and bare CR line endings (careless clients, Unix tools) become CRLF, as stored messages must be. */
function withCrlf(raw: Buffer): Buffer {
  let bare = false;
  for (let i = 0; i < raw.length; i++) {
    if ((raw[i] === 0x0a && raw[i - 1] !== 0x0d) || (raw[i] === 0x0d && raw[i + 1] !== 0x0a)) {
      bare = true;
      break;
    }
  }
  return bare ? Buffer.from(raw.toString('latin1').replace(/\r\n|\r|\n/g, '\r\n'), 'latin1') : raw;
}
