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

export type ResponseValue =
  | null // NIL
  | number
  | string // an IMAP string: quoted or literal
  | Buffer // always a literal
  | Atom
  | readonly ResponseValue[]; // a parenthesised list

export type StatusKind = 'OK' | 'NO' | 'BAD' | 'BYE' | 'PREAUTH';

/** A bracketed response code: `[UIDVALIDITY 7]`, `[PERMANENTFLAGS (\Seen \*)]`. */
export interface ResponseCode {
  name: string;
  args?: readonly ResponseValue[];
}

const CRLF = Buffer.from('\r\n');
const MAX_QUOTED = 1024;

/** `* <values>` */
export function compileUntagged(values: readonly ResponseValue[]): Buffer {
  const out: Buffer[] = [Buffer.from('* ')];
  writeValues(out, values);
  out.push(CRLF);
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
    if (index > 0) out.push(Buffer.from(' '));
    writeValue(out, value);
  });
}

function writeValue(out: Buffer[], value: ResponseValue): void {
  if (value === null) {
    out.push(Buffer.from('NIL'));
  } else if (typeof value === 'number') {
    out.push(Buffer.from(String(Math.trunc(value))));
  } else if (typeof value === 'string') {
    writeString(out, value);
  } else if (Buffer.isBuffer(value)) {
    writeLiteral(out, value);
  } else if (value instanceof Atom) {
    out.push(Buffer.from(value.value, 'utf8'));
  } else {
    out.push(Buffer.from('('));
    writeValues(out, value);
    out.push(Buffer.from(')'));
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
