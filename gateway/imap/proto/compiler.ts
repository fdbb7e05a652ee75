/**
 * Typed responses to bytes. Strings are quoted when that is safe (7-bit, no CR/LF, short)
 * and sent as literals otherwise; message bytes (Buffer) are always literals.
 */

/** An atom sent as is: flags, keywords, `FETCH`, `EXISTS`, section names. */
export class Atom {
  constructor(readonly value: string) {}
}

export function atom(value: string): Atom {
  return new Atom(value);
}

/** Bytes already in wire form (a cached ENVELOPE or BODYSTRUCTURE), written verbatim. */
export class Wire {
  constructor(readonly bytes: Buffer) {}
}

export function wire(bytes: Buffer | string): Wire {
  return new Wire(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes);
}

export type ResponseValue =
  | null // NIL
  | number
  | string // an IMAP string: quoted or literal
  | Buffer // always a literal
  | Atom
  | Wire
  | readonly ResponseValue[]; // a parenthesised list

export type StatusKind = 'OK' | 'NO' | 'BAD' | 'BYE' | 'PREAUTH';

/** A bracketed response code: `[UIDVALIDITY 7]`, `[PERMANENTFLAGS (\Seen \*)]`. */
export interface ResponseCode {
  name: string;
  args?: readonly ResponseValue[];
}

const CRLF = Buffer.from('\r\n');
const SPACE = Buffer.from(' ');
const OPEN = Buffer.from('(');
const CLOSE = Buffer.from(')');
const NIL = Buffer.from('NIL');
const STAR = Buffer.from('* ');
const MAX_QUOTED = 1024;

/** `* <values>` */
export function compileUntagged(values: readonly ResponseValue[]): Buffer {
  return Buffer.concat(compileUntaggedParts(values));
}

/** Below this, pieces of a response are joined; above, a literal's bytes are passed on without a copy. */
const JOIN_BELOW = 16 * 1024;

/**
 * `* <values>` as a few buffers: message bodies (literals) stay the caller's buffers, the
 * small pieces around them are joined. Written in order, they are the same bytes.
 */
export function compileUntaggedParts(values: readonly ResponseValue[]): Buffer[] {
  const out: Buffer[] = [STAR];
  writeValues(out, values);
  out.push(CRLF);
  const parts: Buffer[] = [];
  let small: Buffer[] = [];
  for (const piece of out) {
    if (piece.length < JOIN_BELOW) {
      small.push(piece);
      continue;
    }
    if (small.length > 0) parts.push(small.length === 1 ? small[0]! : Buffer.concat(small));
    small = [];
    parts.push(piece);
  }
  if (small.length > 0) parts.push(small.length === 1 ? small[0]! : Buffer.concat(small));
  return parts;
}

/** One value in wire form, e.g. an ENVELOPE list to cache. */
export function compileValue(value: ResponseValue): Buffer {
  const out: Buffer[] = [];
  writeValue(out, value);
  return Buffer.concat(out);
}

/** `<tag> OK [CODE] text`, or untagged with tag `*`. */
export function compileStatus(tag: string, status: StatusKind, text: string, code?: ResponseCode): Buffer {
  let line = `${tag} ${status} `;
  if (code) {
    const codeParts: Buffer[] = [Buffer.from(`[${code.name}`)];
    if (code.args && code.args.length > 0) {
      codeParts.push(Buffer.from(' '));
      writeValues(codeParts, code.args);
    }
    codeParts.push(Buffer.from('] '));
    line += Buffer.concat(codeParts).toString('latin1');
  }
  return Buffer.concat([Buffer.from(line, 'latin1'), Buffer.from(cleanText(text), 'utf8'), CRLF]);
}

/** `+ text`: the server waits for more from the client. */
export function compileContinuation(text: string): Buffer {
  // An empty text is meaningful here: an empty SASL challenge.
  return Buffer.from(`+ ${text.replace(/[\r\n]+/g, ' ')}\r\n`, 'utf8');
}

/** Status text must stay on one line; a leading `[` would read as a response code. */
function cleanText(text: string): string {
  const oneLine = text.replace(/[\r\n]+/g, ' ');
  const safe = oneLine.startsWith('[') ? ` ${oneLine}` : oneLine;
  return safe.length === 0 ? 'OK' : safe;
}

function writeValues(out: Buffer[], values: readonly ResponseValue[]): void {
  values.forEach((value, index) => {
    if (index > 0) out.push(SPACE);
    writeValue(out, value);
  });
}

function writeValue(out: Buffer[], value: ResponseValue): void {
  if (value === null) {
    out.push(NIL);
  } else if (typeof value === 'number') {
    out.push(Buffer.from(String(Math.trunc(value))));
  } else if (typeof value === 'string') {
    writeString(out, value);
  } else if (Buffer.isBuffer(value)) {
    writeLiteral(out, value);
  } else if (value instanceof Atom) {
    out.push(Buffer.from(value.value, 'utf8'));
  } else if (value instanceof Wire) {
    out.push(value.bytes);
  } else {
    out.push(OPEN);
    writeValues(out, value as readonly ResponseValue[]);
    out.push(CLOSE);
  }
}

function writeString(out: Buffer[], value: string): void {
  if (canQuote(value)) {
    out.push(Buffer.from(`"${value.replace(/["\\]/g, '\\$&')}"`, 'latin1'));
  } else {
    writeLiteral(out, Buffer.from(value, 'utf8'));
  }
}

function writeLiteral(out: Buffer[], bytes: Buffer): void {
  out.push(Buffer.from(`{${bytes.length}}\r\n`), bytes);
}

function canQuote(value: string): boolean {
  if (value.length > MAX_QUOTED) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c === 0x0d || c === 0x0a || c > 0x7e) return false;
  }
  return true;
}
