/**
 * Cuts a connection's bytes into whole LDAP messages (BER SEQUENCEs of definite
 * length), so that the server can answer some itself and hand the others to ldapjs one
 * by one. It also guards the connection: ldapjs would buffer whatever length a client
 * announces, whatever the first byte, so a client could make it hold gigabytes or wait
 * forever on bytes that are not LDAP; here such a stream is refused as soon as its
 * header is read.
 */

/** Every LDAPMessage is a BER SEQUENCE. */
const SEQUENCE = 0x30;

export type Framed =
  | { messages: Buffer[]; refused?: undefined }
  /** The stream is not LDAP, or a request is too large: close the connection (messages before it are whole). */
  | { messages: Buffer[]; refused: string };

export class MessageFramer {
  /** Bytes of a message not complete yet. */
  private pending: Buffer | undefined;

  constructor(private readonly maxBytes: number) {}

  /** The messages this chunk completes, in order. */
  push(chunk: Buffer): Framed {
    const bytes = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    const messages: Buffer[] = [];
    let at = 0;
    while (at < bytes.length) {
      const header = readHeader(bytes, at);
      if (header === 'short') break;
      if (header === 'not ldap') return { messages, refused: 'not an LDAP message' };
      if (header.total > this.maxBytes) return { messages, refused: `request over ${this.maxBytes} bytes` };
      if (at + header.total > bytes.length) break;
      messages.push(bytes.subarray(at, at + header.total));
      at += header.total;
    }
    // A copy, so that a large chunk is not kept alive by the few bytes of its last message.
    if (at < bytes.length) this.pending = Buffer.from(bytes.subarray(at));
    return { messages };
  }
}

/** The whole length of the message starting at `at` (header included), if its header has arrived. */
function readHeader(bytes: Buffer, at: number): { total: number } | 'short' | 'not ldap' {
  if (bytes[at] !== SEQUENCE) return 'not ldap';
  if (at + 1 >= bytes.length) return 'short';
  const first = bytes[at + 1]!;
  if (first < 0x80) return { total: 2 + first };
  const count = first & 0x7f;
  // Indefinite lengths (0x80) are not allowed in LDAP (RFC 4511 §5.1); more than 4 length bytes is no request of ours.
  if (count === 0 || count > 4) return 'not ldap';
  if (at + 2 + count > bytes.length) return 'short';
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + bytes[at + 2 + i]!;
  return { total: 2 + count + length };
}
