/**
 * Splits the client's byte stream into complete commands: a command is one line, or
 * several when lines end with a literal announcement `{n}` / `{n+}` followed by n bytes.
 * Pure (no socket): the session pushes bytes in and pulls events out, one at a time, so
 * that nothing after a command is read before the command has run (STARTTLS, IDLE).
 */
import { peekTag } from './parser.js';

export interface FramerLimits {
  /** Longest line, CRLF excluded. */
  maxLineLength: number;
  /** Largest literal. */
  maxLiteralSize: number;
}

export type FrameEvent =
  /** A complete command, lines and literal bytes inline, as `parseCommand` reads it. */
  | { kind: 'command'; bytes: Buffer }
  /** The client announced a synchronising literal and waits for `+` before sending it. */
  | { kind: 'continue'; size: number }
  /** A literal over the limit; the command is dropped. Non-synchronising literal bytes are already on their way. */
  | { kind: 'literal-too-large'; tag: string | undefined; size: number; synchronising: boolean }
  /** A line over the limit: the stream cannot be resynchronised safely. */
  | { kind: 'line-too-long' };

const LF = 0x0a;
const LITERAL_AT_END = /\{(\d{1,12})(\+?)\}\r?\n$/;

export class CommandFramer {
  limits: FramerLimits;
  private buffer: Buffer = Buffer.alloc(0);
  private parts: Buffer[] = [];
  private partsSize = 0;
  private literalRemaining = 0;
  private broken = false;

  constructor(limits: FramerLimits) {
    this.limits = { ...limits };
  }

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
  }

  /** Bytes received and not yet handed out. */
  get buffered(): number {
    return this.buffer.length;
  }

  /** Part of a command has arrived and the rest has not (a line without its end, a literal still expected). */
  get midCommand(): boolean {
    return this.buffer.length > 0 || this.parts.length > 0 || this.literalRemaining > 0;
  }

  /** Hands over the bytes received and not yet framed (after COMPRESS they are compressed data). */
  takeBuffered(): Buffer {
    const bytes = this.buffer;
    this.buffer = Buffer.alloc(0);
    return bytes;
  }

  /** Forgets everything buffered (after STARTTLS: bytes sent in clear before the handshake are not trusted). */
  discard(): number {
    const dropped = this.buffer.length + this.partsSize;
    this.buffer = Buffer.alloc(0);
    this.parts = [];
    this.partsSize = 0;
    this.literalRemaining = 0;
    return dropped;
  }

  /** The next raw line without its line end, ignoring literal syntax (IDLE's DONE, SASL responses). */
  nextLine(): Buffer | 'too-long' | null {
    const lf = this.buffer.indexOf(LF);
    if (lf < 0) return this.buffer.length > this.limits.maxLineLength ? 'too-long' : null;
    let line = this.buffer.subarray(0, lf);
    this.buffer = this.buffer.subarray(lf + 1);
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    if (line.length > this.limits.maxLineLength) return 'too-long';
    return line;
  }

  /** The next event, or null when more bytes are needed. */
  next(): FrameEvent | null {
    if (this.broken) return null;
    for (;;) {
      if (this.literalRemaining > 0) {
        if (this.buffer.length === 0) return null;
        const take = Math.min(this.literalRemaining, this.buffer.length);
        this.addPart(this.buffer.subarray(0, take));
        this.buffer = this.buffer.subarray(take);
        this.literalRemaining -= take;
        if (this.literalRemaining > 0) return null;
      }

      const lf = this.buffer.indexOf(LF);
      if (lf < 0) {
        if (this.buffer.length > this.limits.maxLineLength + 1) return this.fail();
        return null;
      }
      const line = this.buffer.subarray(0, lf + 1);
      const contentLength = line.length - (line.length > 1 && line[line.length - 2] === 0x0d ? 2 : 1);
      if (contentLength > this.limits.maxLineLength) return this.fail();
      this.buffer = this.buffer.subarray(lf + 1);
      this.addPart(line);

      const tail = line.subarray(Math.max(0, line.length - 20)).toString('latin1');
      const literal = LITERAL_AT_END.exec(tail);
      if (!literal) return this.complete();

      const size = Number(literal[1]);
      const synchronising = literal[2] !== '+';
      // The whole command is bounded too, not only each literal in it.
      if (size > this.limits.maxLiteralSize || this.partsSize + size > this.limits.maxLiteralSize + this.limits.maxLineLength) {
        const tag = peekTag(this.parts[0]!);
        this.parts = [];
        this.partsSize = 0;
        // A non-synchronising literal's bytes follow regardless: the session must close.
        if (!synchronising) this.broken = true;
        return { kind: 'literal-too-large', tag, size, synchronising };
      }
      this.literalRemaining = size;
      if (synchronising) return { kind: 'continue', size };
    }
  }

  private addPart(part: Buffer): void {
    // Copy: the receive buffer is sliced and would otherwise be kept alive whole.
    this.parts.push(Buffer.from(part));
    this.partsSize += part.length;
  }

  private complete(): FrameEvent {
    const bytes = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partsSize);
    this.parts = [];
    this.partsSize = 0;
    return { kind: 'command', bytes };
  }

  private fail(): FrameEvent {
    this.broken = true;
    return { kind: 'line-too-long' };
  }
}
