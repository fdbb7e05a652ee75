/**
 * A MIME structure parser over the raw bytes of a message. It keeps byte offsets of every
 * part (header, body, end) because FETCH BODY[section] and BODYSTRUCTURE sizes are about
 * the bytes as stored, not decoded text. It never throws on malformed input: a broken
 * structure degrades to a text part, as clients expect from a server.
 */

const CR = 0x0d;
const LF = 0x0a;
const MAX_DEPTH = 24;
const MAX_PARTS = 5000;

export interface HeaderField {
  /** Name as written. */
  name: string;
  /** Lower-cased name, for lookups. */
  key: string;
  /** The whole field as stored: name, folded value, line end. */
  raw: Buffer;
  /** Unfolded value, UTF-8 decoded, surrounding whitespace trimmed. */
  value: string;
}

export interface ContentType {
  /** Lower-cased. */
  type: string;
  /** Lower-cased. */
  subtype: string;
  /** Parameters in order, names as written, values unquoted. */
  params: Array<[string, string]>;
}

export interface MimePart {
  /** Offset of the part's header block in the message. */
  start: number;
  /** Offset of the body: just after the blank line that ends the header. */
  bodyStart: number;
  /** Offset just after the body. */
  end: number;
  headers: HeaderField[];
  /** Effective content type (defaults applied). */
  contentType: ContentType;
  /** Lower-cased Content-Transfer-Encoding, `7bit` when absent. */
  encoding: string;
  /** Sub-parts of a multipart. */
  children: MimePart[];
  /** The encapsulated message of a message/rfc822 part. */
  message: MimePart | null;
  /** Lines in the body (a last line without a line end counts). */
  lineCount: number;
}

export function parseMime(raw: Buffer): MimePart {
  const budget = { parts: 0 };
  return parsePart(raw, 0, raw.length, defaultContentType(), 0, budget);
}

function defaultContentType(): ContentType {
  return { type: 'text', subtype: 'plain', params: [['charset', 'us-ascii']] };
}

function digestDefault(): ContentType {
  return { type: 'message', subtype: 'rfc822', params: [] };
}

function parsePart(raw: Buffer, start: number, end: number, fallback: ContentType, depth: number, budget: { parts: number }): MimePart {
  budget.parts++;
  const bodyStart = findBodyStart(raw, start, end);
  const headers = parseHeaderBlock(raw, start, bodyStart);
  const declared = headerValue(headers, 'content-type');
  const contentType = declared === undefined ? fallback : parseContentType(declared);
  const encoding = (headerValue(headers, 'content-transfer-encoding') ?? '7bit').trim().toLowerCase() || '7bit';
  const part: MimePart = {
    start, bodyStart, end, headers, contentType, encoding,
    children: [], message: null, lineCount: countLines(raw, bodyStart, end),
  };
  if (depth >= MAX_DEPTH || budget.parts > MAX_PARTS) return part;

  if (contentType.type === 'multipart') {
    const boundary = paramValue(contentType.params, 'boundary');
    if (!boundary) {
      part.contentType = defaultContentType();
      return part;
    }
    const childDefault = contentType.subtype === 'digest' ? digestDefault() : defaultContentType();
    const ranges = splitMultipart(raw, bodyStart, end, boundary);
    // A multipart with no parts cannot be described in BODYSTRUCTURE: give it one empty part.
    if (ranges.length === 0) ranges.push([end, end]);
    for (const [childStart, childEnd] of ranges) {
      if (budget.parts > MAX_PARTS && part.children.length > 0) break;
      part.children.push(parsePart(raw, childStart, childEnd, childDefault, depth + 1, budget));
    }
  } else if (contentType.type === 'message' && contentType.subtype === 'rfc822') {
    // Parsed even when (wrongly) transfer-encoded: BODYSTRUCTURE's grammar requires the inner envelope and body.
    part.message = parsePart(raw, bodyStart, end, defaultContentType(), depth + 1, budget);
  }
  return part;
}

/** Offset just after the blank line ending the header, or `end` when there is none. */
function findBodyStart(raw: Buffer, start: number, end: number): number {
  if (start >= end) return end;
  if (raw[start] === LF) return start + 1;
  if (raw[start] === CR && raw[start + 1] === LF) return Math.min(start + 2, end);
  let pos = start;
  for (;;) {
    const lf = raw.indexOf(LF, pos);
    if (lf < 0 || lf >= end) return end;
    if (raw[lf + 1] === LF && lf + 1 < end) return lf + 2;
    if (raw[lf + 1] === CR && raw[lf + 2] === LF && lf + 2 < end) return lf + 3;
    pos = lf + 1;
  }
}

/** Header fields of [start, headerEnd); continuation lines (leading SP/TAB) belong to the previous field. */
export function parseHeaderBlock(raw: Buffer, start: number, headerEnd: number): HeaderField[] {
  const fields: HeaderField[] = [];
  let fieldStart = -1;
  let pos = start;
  const flush = (fieldEnd: number): void => {
    if (fieldStart < 0) return;
    const field = makeField(raw.subarray(fieldStart, fieldEnd));
    if (field) fields.push(field);
    fieldStart = -1;
  };
  while (pos < headerEnd) {
    const lf = raw.indexOf(LF, pos);
    const lineEnd = lf < 0 || lf >= headerEnd ? headerEnd : lf + 1;
    const first = raw[pos];
    const blank = first === LF || (first === CR && raw[pos + 1] === LF);
    if (blank) {
      flush(pos);
      break;
    }
    if ((first === 0x20 || first === 0x09) && fieldStart >= 0) {
      pos = lineEnd;
      continue;
    }
    flush(pos);
    fieldStart = pos;
    pos = lineEnd;
  }
  flush(Math.min(pos, headerEnd));
  return fields;
}

function makeField(raw: Buffer): HeaderField | null {
  const colon = raw.indexOf(0x3a);
  if (colon <= 0) return null;
  const name = raw.subarray(0, colon).toString('latin1').trim();
  if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) return null;
  const value = raw.subarray(colon + 1).toString('utf8').replace(/\r?\n(?=[ \t])/g, '').trim();
  return { name, key: name.toLowerCase(), raw, value };
}

export function headerValue(headers: readonly HeaderField[], key: string): string | undefined {
  return headers.find((field) => field.key === key)?.value;
}

export function headerValues(headers: readonly HeaderField[], key: string): string[] {
  return headers.filter((field) => field.key === key).map((field) => field.value);
}

function countLines(raw: Buffer, start: number, end: number): number {
  let lines = 0;
  let pos = start;
  for (;;) {
    const lf = raw.indexOf(LF, pos);
    if (lf < 0 || lf >= end) break;
    lines++;
    pos = lf + 1;
  }
  if (end > start && raw[end - 1] !== LF) lines++;
  return lines;
}

/**
 * Ranges [start, end) of the body parts between `--boundary` delimiter lines. The line end
 * before a delimiter belongs to the delimiter (RFC 2046 5.1.1); preamble and epilogue are dropped.
 */
function splitMultipart(raw: Buffer, bodyStart: number, end: number, boundary: string): Array<[number, number]> {
  const delimiter = Buffer.from(`--${boundary}`, 'utf8');
  const ranges: Array<[number, number]> = [];
  let partStart = -1;
  let pos = bodyStart;
  for (;;) {
    const found = raw.indexOf(delimiter, pos);
    if (found < 0 || found + delimiter.length > end) break;
    pos = found + 1;
    if (found !== bodyStart && raw[found - 1] !== LF) continue;
    let after = found + delimiter.length;
    const closing = raw[after] === 0x2d && raw[after + 1] === 0x2d && after + 1 < end;
    if (closing) after += 2;
    const lf = raw.indexOf(LF, after);
    const lineEnd = lf < 0 || lf >= end ? end : lf;
    if (!isBlank(raw, after, lineEnd)) continue;

    if (partStart >= 0) {
      let partEnd = found;
      if (partEnd > partStart && raw[partEnd - 1] === LF) partEnd--;
      if (partEnd > partStart && raw[partEnd - 1] === CR) partEnd--;
      ranges.push([partStart, Math.max(partStart, partEnd)]);
    }
    if (closing) return ranges;
    partStart = lineEnd < end ? lineEnd + 1 : end;
    pos = partStart;
  }
  if (partStart >= 0) ranges.push([partStart, end]);
  return ranges;
}

function isBlank(raw: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = raw[i];
    if (c !== 0x20 && c !== 0x09 && c !== CR) return false;
  }
  return true;
}

/** `text/plain; charset="utf-8"` → type, subtype, params. Invalid values mean text/plain (RFC 2045 5.2). */
export function parseContentType(value: string): ContentType {
  const { value: main, params } = parseParameterized(value);
  const match = /^([^\s/]+)\s*\/\s*([^\s/]+)$/.exec(main);
  if (!match) return defaultContentType();
  return { type: match[1]!.toLowerCase(), subtype: match[2]!.toLowerCase(), params };
}

/** A `value; name=value; name="quoted"` header (Content-Type, Content-Disposition). Comments are dropped. */
export function parseParameterized(input: string): { value: string; params: Array<[string, string]> } {
  const pieces: string[] = [];
  let current = '';
  let inQuotes = false;
  let commentDepth = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (inQuotes) {
      if (c === '\\' && i + 1 < input.length) {
        current += c + input[++i];
        continue;
      }
      if (c === '"') inQuotes = false;
      current += c;
    } else if (commentDepth > 0) {
      if (c === '(') commentDepth++;
      else if (c === ')') commentDepth--;
      else if (c === '\\') i++;
    } else if (c === '(') {
      commentDepth = 1;
    } else if (c === '"') {
      inQuotes = true;
      current += c;
    } else if (c === ';') {
      pieces.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  pieces.push(current);
  const params: Array<[string, string]> = [];
  for (const piece of pieces.slice(1)) {
    const equals = piece.indexOf('=');
    if (equals <= 0) continue;
    const name = piece.slice(0, equals).trim();
    let paramValue = piece.slice(equals + 1).trim();
    if (paramValue.startsWith('"')) {
      paramValue = paramValue.replace(/^"|"$/g, '').replace(/\\(.)/g, '$1');
    }
    if (name) params.push([name, paramValue]);
  }
  return { value: pieces[0]!.trim(), params };
}

export function paramValue(params: ReadonlyArray<[string, string]>, name: string): string | undefined {
  const lower = name.toLowerCase();
  return params.find(([key]) => key.toLowerCase() === lower)?.[1];
}
