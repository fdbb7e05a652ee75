/**
 * Delivery status notifications (RFC 3464): the report a sender gets when a message could
 * not be delivered (failed), is late (delayed, with when we give up), or — when asked
 * with NOTIFY=SUCCESS — was delivered. Written by hand: nodemailer's composer cannot make a
 * top-level multipart/report. The human part is French then English; the original comes
 * back as its headers only (RET=HDRS, the default) or whole when RET=FULL was asked.
 */
import { randomBytes, randomUUID } from 'node:crypto';

export type DsnAction = 'failed' | 'delayed' | 'delivered';

export interface DsnRecipient {
  address: string;
  action: DsnAction;
  /** Enhanced status code (RFC 3463), e.g. 5.1.1. */
  status: string;
  /** What the remote server said, or our own reason. */
  diagnostic: string;
  remoteMta?: string;
  lastAttemptAt?: Date;
  willRetryUntil?: Date;
  orcpt?: string | null;
}

export interface DsnInput {
  /** This gateway's host name (Reporting-MTA). */
  reportingMta: string;
  /** Where the DSN goes: the original envelope sender. */
  to: string;
  from: string;
  originalMessage: Buffer;
  originalEnvelopeId?: string | null;
  arrivalDate: Date;
  returnFull: boolean;
  recipients: readonly DsnRecipient[];
  now: Date;
}

const SUBJECTS: Record<DsnAction, string> = {
  failed: 'Non remis / Undelivered mail',
  delayed: 'Remise retardée / Delayed mail',
  delivered: 'Remis / Delivered',
};

export function buildDsn(input: DsnInput): Buffer {
  const action = input.recipients[0]?.action ?? 'failed';
  const boundary = `=_dsn_${randomBytes(12).toString('hex')}`;
  const headers = headerBlock(input.originalMessage);
  const lines: string[] = [
    `From: ${input.from}`,
    `To: <${input.to}>`,
    `Subject: ${SUBJECTS[action]}`,
    `Date: ${input.now.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${randomUUID()}@${input.reportingMta}>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    ...humanText(input),
    '',
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    '',
    `Reporting-MTA: dns; ${input.reportingMta}`,
    ...(input.originalEnvelopeId ? [`Original-Envelope-Id: ${input.originalEnvelopeId}`] : []),
    `Arrival-Date: ${rfc5322Date(input.arrivalDate)}`,
    '',
    ...input.recipients.flatMap((r) => [
      ...(r.orcpt ? [`Original-Recipient: ${r.orcpt}`] : []),
      `Final-Recipient: rfc822; ${r.address}`,
      `Action: ${r.action}`,
      `Status: ${r.status}`,
      ...(r.remoteMta ? [`Remote-MTA: dns; ${r.remoteMta}`] : []),
      `Diagnostic-Code: smtp; ${oneLine(r.diagnostic)}`,
      ...(r.lastAttemptAt ? [`Last-Attempt-Date: ${rfc5322Date(r.lastAttemptAt)}`] : []),
      ...(r.willRetryUntil ? [`Will-Retry-Until: ${rfc5322Date(r.willRetryUntil)}`] : []),
      '',
    ]),
    `--${boundary}`,
    input.returnFull ? 'Content-Type: message/rfc822' : 'Content-Type: text/rfc822-headers',
    '',
  ];
  const head = Buffer.from(lines.join('\r\n') + '\r\n', 'utf8');
  const original = input.returnFull ? input.originalMessage : headers;
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  return Buffer.concat([head, original, tail]);
}

/** The enhanced status code a reply carries ("550 5.1.1 …"), or a default by class. */
export function statusOf(text: string, permanent: boolean): string {
  const found = text.match(/\b([245])\.(\d{1,3})\.(\d{1,3})\b/);
  if (found) return `${found[1]}.${found[2]}.${found[3]}`;
  return permanent ? '5.0.0' : '4.0.0';
}

function humanText(input: DsnInput): string[] {
  const list = input.recipients.map((r) => `  ${r.address} : ${oneLine(r.diagnostic)}`);
  const until = input.recipients.find((r) => r.willRetryUntil)?.willRetryUntil;
  const action = input.recipients[0]?.action ?? 'failed';
  if (action === 'delayed') {
    return [
      'Votre message n\'a pas encore pu être remis aux destinataires suivants. Nous réessayons',
      `jusqu'au ${until ? until.toISOString() : '?'} ; vous n'avez rien à faire pour l'instant.`,
      '', ...list, '',
      'Your message could not be delivered yet to the recipients above. We keep trying until',
      `${until ? until.toISOString() : '?'}; there is nothing to do for now.`,
    ];
  }
  if (action === 'delivered') {
    return ['Votre message a été remis aux destinataires suivants :', '', ...list, '', 'Your message was delivered to the recipients above.'];
  }
  return [
    'Votre message n\'a pas pu être remis aux destinataires suivants, pour la raison indiquée.',
    'Rien n\'a été transmis en clair.',
    '', ...list, '',
    'Your message could not be delivered to the recipients above, for the reason given.',
    'Nothing was sent in clear.',
  ];
}

function headerBlock(message: Buffer): Buffer {
  const end = message.indexOf('\r\n\r\n');
  if (end >= 0) return message.subarray(0, end + 2);
  const lf = message.indexOf('\n\n');
  return lf >= 0 ? message.subarray(0, lf + 1) : message;
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/[^\x20-\x7e\u00a0-\uffff]/g, '?').slice(0, 900);
}

function rfc5322Date(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}
