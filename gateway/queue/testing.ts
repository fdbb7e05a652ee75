/** A real SMTP server on loopback playing a peer in queue tests: it records what it accepts and refuses as told. */
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: Buffer;
}

export interface PeerBehaviour {
  /** Reply to RCPT TO for this address: undefined accepts; otherwise `{ code, message }`. */
  recipient?(address: string): { code: number; message: string } | undefined;
  /** Reply after DATA; undefined accepts. */
  data?(): { code: number; message: string } | undefined;
}

export interface TestPeer {
  port: number;
  received: ReceivedMail[];
  behaviour: PeerBehaviour;
  close(): Promise<void>;
}

export async function startTestPeer(behaviour: PeerBehaviour = {}): Promise<TestPeer> {
  const received: ReceivedMail[] = [];
  const peer: Partial<TestPeer> = { received, behaviour };
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onRcptTo(address, _session, callback) {
      const reply = peer.behaviour!.recipient?.(address.address);
      if (!reply) return callback();
      const error = new Error(reply.message) as Error & { responseCode: number };
      error.responseCode = reply.code;
      callback(error);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const reply = peer.behaviour!.data?.();
        if (reply) {
          const error = new Error(reply.message) as Error & { responseCode: number };
          error.responseCode = reply.code;
          return callback(error);
        }
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks),
        });
        callback();
      });
    },
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.server.address() as { port: number }).port)));
  return Object.assign(peer, { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }) as TestPeer;
}
