/** Step: the trace fields a receiving MTA adds (RFC 5321 §4.4): Return-Path and Received. */
import { prependHeaders } from './message-checks.js';
import type { Envelope, PeerInfo } from './types.js';

export function addTraceHeaders(raw: Buffer, options: { envelope: Envelope; peer: PeerInfo; hostname: string; queueId: string; now: Date }): Buffer {
  const { peer, envelope } = options;
  // RFC 3848 protocol names: ESMTP, +S with TLS, +A when authenticated.
  const protocol = 'ESMTP' + (peer.tls ? 'S' : '') + (peer.user ? 'A' : '');
  const tls = peer.tls ? ` (${peer.tls.protocol} ${peer.tls.cipher})` : '';
  const received = `Received: from ${sanitise(peer.clientName)} ([${peer.remoteAddress}])\r\n` +
    `\tby ${options.hostname} (Hygie) with ${protocol}${tls} id ${options.queueId};\r\n` +
    `\t${options.now.toUTCString().replace('GMT', '+0000')}`;
  return prependHeaders(raw, [`Return-Path: <${envelope.mailFrom}>`, received]);
}

function sanitise(name: string): string {
  return name.replace(/[^\w.\-[\]:]/g, '') || 'unknown';
}
