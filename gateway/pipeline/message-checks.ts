/**
 * Step: check that the data is an RFC 5322 message (a header block of `Name: value`
 * fields) and, on submission, complete it as an MSA does (RFC 6409 §8): a missing
 * Date or Message-ID is added; a missing From is refused.
 */
import { randomBytes } from 'node:crypto';
import { HygieError } from '../../core/errors.js';
import { headerBlock } from '../store/header-summary.js';
import type { IntakeChannel } from './types.js';

const FIELD = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/;

export interface CheckedMessage {
  raw: Buffer;
  messageId: string | null;
}

export function checkMessage(raw: Buffer, channel: IntakeChannel, hostname: string, now: Date): CheckedMessage {
  const header = headerBlock(raw).toString('utf8');
  const lines = header.split(/\r?\n/).filter((line) => line.length > 0);
  if (lines.length === 0) throw new HygieError('MESSAGE_MALFORMED', 'the message has no header');
  const names: string[] = [];
  for (const [index, line] of lines.entries()) {
    if (/^[ \t]/.test(line) && index > 0) continue; // folded continuation
    if (!FIELD.test(line)) throw new HygieError('MESSAGE_MALFORMED', `header line ${index + 1} is not a "Name: value" field`);
    names.push(line.slice(0, line.indexOf(':')).trim().toLowerCase());
  }
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
