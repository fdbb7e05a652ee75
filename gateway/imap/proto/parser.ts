/**
 * Parses one complete client command (as delimited by CommandFramer: its lines and the
 * bytes of its literals, inline as on the wire) into a tag, a verb and a token tree.
 * Lenient where real clients differ from the ABNF (UTF-8 in quoted strings, bare LF),
 * strict on what could desynchronise the stream (literal lengths, CTLs).
 */
import { ImapSyntaxError, type ParsedCommand, type Token } from './tokens.js';

const SP = 0x20;
const CR = 0x0d;
const LF = 0x0a;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const LPAREN = 0x28;
const RPAREN = 0x29;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const LT = 0x3c;
const GT = 0x3e;
const PLUS = 0x2b;

/** Atoms that may carry a `[section]` (`BODY[1.MIME]`); elsewhere brackets are plain atom chars. */
const SECTION_ATOMS = new Set(['BODY', 'BODY.PEEK', 'BINARY', 'BINARY.PEEK', 'BINARY.SIZE']);
const MAX_DEPTH = 32;

export function parseCommand(input: Buffer): ParsedCommand {
  const cursor = new Cursor(stripLineEnd(input));
  const tag = cursor.readTag();
  cursor.tag = tag;
  if (cursor.atEnd()) throw new ImapSyntaxError('Missing command', tag);
  cursor.expectSpace();
  let name = cursor.readVerb();
  if (name === 'UID') {
    if (cursor.atEnd()) throw new ImapSyntaxError('Missing command after UID', tag);
    cursor.expectSpace();
    name = `UID ${cursor.readVerb()}`;
  }
  const args: Token[] = [];
  while (!cursor.atEnd()) {
    cursor.expectSpace();
    args.push(cursor.readToken(false, 0));
  }
  return { tag, name, args };
}

/** The tag of a command line when it can be read, for answering a command we refuse early. */
export function peekTag(line: Buffer): string | undefined {
  let end = 0;
  while (end < line.length && isTagChar(line[end]!)) end++;
  if (end === 0 || end >= line.length || line[end] !== SP) return undefined;
  return line.subarray(0, end).toString('latin1');
}

function stripLineEnd(input: Buffer): Buffer {
  let end = input.length;
  if (end > 0 && input[end - 1] === LF) end--;
  if (end > 0 && input[end - 1] === CR) end--;
  return input.subarray(0, end);
}

function isCtl(c: number): boolean {
  return c < 0x20 || c === 0x7f;
}

/** tag = 1*<any ASTRING-CHAR except "+"> */
function isTagChar(c: number): boolean {
  if (isCtl(c) || c === SP || c >= 0x80) return false;
  return !(c === LPAREN || c === RPAREN || c === LBRACE || c === DQUOTE || c === BACKSLASH
    || c === 0x25 /* % */ || c === 0x2a /* * */ || c === PLUS);
}

function isAtomChar(c: number, inSection: boolean): boolean {
  if (isCtl(c) || c === SP) return false;
  if (c === LPAREN || c === RPAREN || c === LBRACE || c === DQUOTE) return false;
  if (inSection && c === RBRACKET) return false;
  return true;
}

class Cursor {
  pos = 0;
  tag: string | undefined;

  constructor(private readonly input: Buffer) {}

  atEnd(): boolean {
    return this.pos >= this.input.length;
  }

  private peek(): number {
    return this.input[this.pos] ?? -1;
  }

  private fail(message: string): never {
    throw new ImapSyntaxError(`${message} at byte ${this.pos}`, this.tag);
  }

  readTag(): string {
    const start = this.pos;
    while (!this.atEnd() && isTagChar(this.peek())) this.pos++;
    if (this.pos === start) throw new ImapSyntaxError('Missing or invalid tag');
    const tag = this.input.subarray(start, this.pos).toString('latin1');
    if (!this.atEnd() && this.peek() !== SP) throw new ImapSyntaxError('Invalid character in tag');
    return tag;
  }

  expectSpace(): void {
    if (this.peek() !== SP) this.fail('Expected a space');
    this.pos++;
    // Tolerate doubled spaces some clients send.
    while (this.peek() === SP) this.pos++;
    if (this.atEnd()) this.fail('Unexpected trailing space');
  }

  readVerb(): string {
    const start = this.pos;
    while (!this.atEnd()) {
      const c = this.peek();
      const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f;
      if (!letter) break;
      this.pos++;
    }
    if (this.pos === start) this.fail('Missing or invalid command name');
    if (!this.atEnd() && this.peek() !== SP) this.fail('Invalid character in command name');
    return this.input.subarray(start, this.pos).toString('latin1').toUpperCase();
  }

  readToken(inSection: boolean, depth: number): Token {
    if (depth > MAX_DEPTH) this.fail('Lists nested too deeply');
    const c = this.peek();
    if (c === LPAREN) return this.readList(inSection, depth);
    if (c === DQUOTE) return this.readQuoted();
    if (c === LBRACE) return this.readLiteral();
    if (c === 0x7e /* ~ */ && this.input[this.pos + 1] === LBRACE) this.fail('literal8 (BINARY) is not supported');
    return this.readAtom(inSection, depth);
  }

  private readList(inSection: boolean, depth: number): Token {
    this.pos++;
    const items: Token[] = [];
    for (;;) {
      while (this.peek() === SP) this.pos++;
      if (this.atEnd()) this.fail('Unterminated list');
      if (this.peek() === RPAREN) {
        this.pos++;
        return { type: 'list', items };
      }
      if (items.length > 0 && this.input[this.pos - 1] !== SP && this.input[this.pos - 1] !== LPAREN) this.fail('Expected a space in list');
      items.push(this.readToken(inSection, depth + 1));
    }
  }

  private readQuoted(): Token {
    this.pos++;
    const bytes: number[] = [];
    for (;;) {
      if (this.atEnd()) this.fail('Unterminated quoted string');
      const c = this.peek();
      this.pos++;
      if (c === DQUOTE) return { type: 'string', value: Buffer.from(bytes), literal: false };
      if (c === CR || c === LF || c === 0) this.fail('Invalid character in quoted string');
      if (c === BACKSLASH) {
        const next = this.peek();
        if (next !== DQUOTE && next !== BACKSLASH) this.fail('Invalid escape in quoted string');
        this.pos++;
        bytes.push(next);
        continue;
      }
      bytes.push(c);
    }
  }

  private readLiteral(): Token {
    this.pos++;
    const start = this.pos;
    while (this.peek() >= 0x30 && this.peek() <= 0x39) this.pos++;
    const digits = this.input.subarray(start, this.pos).toString('latin1');
    if (digits.length === 0 || digits.length > 12) this.fail('Invalid literal length');
    if (this.peek() === PLUS) this.pos++;
    if (this.peek() !== RBRACE) this.fail('Invalid literal');
    this.pos++;
    if (this.peek() === CR) this.pos++;
    if (this.peek() !== LF) this.fail('Literal must end its line');
    this.pos++;
    const size = Number(digits);
    if (this.pos + size > this.input.length) this.fail('Literal shorter than announced');
    const value = this.input.subarray(this.pos, this.pos + size);
    this.pos += size;
    return { type: 'string', value: Buffer.from(value), literal: true };
  }

  private readAtom(inSection: boolean, depth: number): Token {
    const start = this.pos;
    while (!this.atEnd()) {
      const c = this.peek();
      if (!isAtomChar(c, inSection)) break;
      if (c === LBRACKET && SECTION_ATOMS.has(this.input.subarray(start, this.pos).toString('latin1').toUpperCase())) break;
      this.pos++;
    }
    if (this.pos === start) this.fail(this.atEnd() ? 'Unexpected end of command' : `Unexpected character '${String.fromCharCode(this.peek())}'`);
    const value = this.input.subarray(start, this.pos).toString('utf8');
    if (this.peek() !== LBRACKET) return { type: 'atom', value };

    this.pos++;
    const section: Token[] = [];
    for (;;) {
      while (this.peek() === SP) this.pos++;
      if (this.atEnd()) this.fail('Unterminated section');
      if (this.peek() === RBRACKET) {
        this.pos++;
        break;
      }
      section.push(this.readToken(true, depth + 1));
    }
    const token: Token = { type: 'atom', value, section };
    if (this.peek() === LT) token.partial = this.readPartial();
    return token;
  }

  private readPartial(): { start: number; length?: number } {
    this.pos++;
    const close = this.input.indexOf(GT, this.pos);
    if (close < 0) this.fail('Unterminated partial');
    const text = this.input.subarray(this.pos, close).toString('latin1');
    const match = /^(\d{1,10})(?:\.(\d{1,10}))?$/.exec(text);
    if (!match) this.fail('Invalid partial');
    this.pos = close + 1;
    const start = Number(match[1]);
    if (match[2] === undefined) return { start };
    const length = Number(match[2]);
    if (length === 0) this.fail('Partial length must not be zero');
    return { start, length };
  }
}
