/**
 * A plain SMTP client for tests that must see the exact replies (codes, enhanced codes,
 * EHLO keywords) — including the ones a library client would hide or refuse to provoke.
 */
import net from 'node:net';
import tls from 'node:tls';

export interface SmtpReply {
  code: number;
  lines: string[];
  text: string;
}

export class SmtpDialog {
  private socket: net.Socket | tls.TLSSocket;
  private buffer = '';
  private waiters: Array<(reply: SmtpReply) => void> = [];
  private pending: string[] = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.listen();
  }

  static async connect(port: number): Promise<{ dialog: SmtpDialog; greeting: SmtpReply }> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const dialog = new SmtpDialog(socket);
    return { dialog, greeting: await dialog.reply() };
  }

  async command(line: string): Promise<SmtpReply> {
    this.socket.write(line + '\r\n');
    return this.reply();
  }

  /** Sends a message body after DATA's 354 (dot-stuffed, CRLF-terminated). */
  async data(body: string): Promise<SmtpReply> {
    const stuffed = body.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    this.socket.write(stuffed + (stuffed.endsWith('\r\n') ? '' : '\r\n') + '.\r\n');
    return this.reply();
  }

  /** Sends the bytes as they are (no line-ending repair, no dot-stuffing), then the end of data. */
  async dataRaw(bytes: Buffer): Promise<SmtpReply> {
    this.socket.write(Buffer.concat([bytes, Buffer.from('\r\n.\r\n')]));
    return this.reply();
  }

  async startTls(ca: string): Promise<void> {
    const reply = await this.command('STARTTLS');
    if (reply.code !== 220) throw new Error(`STARTTLS refused: ${reply.text}`);
    this.socket.removeAllListeners('data');
    const secure = tls.connect({ socket: this.socket as net.Socket, ca, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    this.socket = secure;
    this.listen();
  }

  reply(): Promise<SmtpReply> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.drain();
    });
  }

  close(): void {
    this.socket.destroy();
  }

  /** Sends bytes without waiting for a reply: a message cut off in the middle. */
  write(text: string): void {
    this.socket.write(text);
  }

  /** Drops the connection with a TCP reset, as a peer that crashed or was killed does. */
  reset(): void {
    this.socket.resetAndDestroy();
  }

  /** Resolves when the server closes the connection. */
  closed(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once('close', () => resolve());
    });
  }

  private listen(): void {
    this.socket.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('utf8');
      let index;
      while ((index = this.buffer.indexOf('\r\n')) >= 0) {
        this.pending.push(this.buffer.slice(0, index));
        this.buffer = this.buffer.slice(index + 2);
      }
      this.drain();
    });
  }

  private drain(): void {
    while (this.waiters.length > 0) {
      const end = this.pending.findIndex((line) => /^\d{3} /.test(line) || /^\d{3}$/.test(line));
      if (end < 0) return;
      const lines = this.pending.splice(0, end + 1);
      const last = lines[lines.length - 1] as string;
      const waiter = this.waiters.shift() as (reply: SmtpReply) => void;
      waiter({ code: Number(last.slice(0, 3)), lines, text: lines.map((l) => l.slice(4)).join('\n') });
    }
  }
}
