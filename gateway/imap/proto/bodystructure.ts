/**
 * BODYSTRUCTURE (extensible) and BODY (basic) from a parsed MIME tree, RFC 3501 7.4.2.
 */
import type { ResponseValue } from './compiler.js';
import { buildEnvelope } from './envelope.js';
import { headerValue, parseParameterized, type MimePart } from './mime.js';

/** `extensible` gives BODYSTRUCTURE (with MD5, disposition, language, location); otherwise BODY. */
export function buildBodyStructure(part: MimePart, extensible: boolean): ResponseValue[] {
  if (part.children.length > 0) {
    const out: ResponseValue[] = part.children.map((child) => buildBodyStructure(child, extensible));
    out.push(part.contentType.subtype);
    if (extensible) out.push(paramList(part.contentType.params), disposition(part), language(part), location(part));
    return out;
  }
  const { type, subtype, params } = part.contentType;
  const out: ResponseValue[] = [
    type,
    subtype,
    paramList(params),
    nonEmpty(headerValue(part.headers, 'content-id')),
    nonEmpty(headerValue(part.headers, 'content-description')),
    part.encoding.toUpperCase(),
    part.end - part.bodyStart,
  ];
  if (type === 'text') {
    out.push(part.lineCount);
  } else if (type === 'message' && subtype === 'rfc822') {
    // Past the nesting limit the inner message is not parsed; the grammar still wants an envelope and a body.
    const inner = part.message;
    out.push(
      inner ? buildEnvelope(inner.headers) : [null, null, null, null, null, null, null, null, null, null],
      inner ? buildBodyStructure(inner, extensible) : ['text', 'plain', null, null, null, '7BIT', 0, 0],
      part.lineCount,
    );
  }
  if (extensible) {
    out.push(nonEmpty(headerValue(part.headers, 'content-md5')), disposition(part), language(part), location(part));
  }
  return out;
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}

function paramList(params: ReadonlyArray<[string, string]>): ResponseValue[] | null {
  if (params.length === 0) return null;
  return params.flatMap(([name, value]) => [name, value]);
}

function disposition(part: MimePart): ResponseValue {
  const value = headerValue(part.headers, 'content-disposition');
  if (!value) return null;
  const parsed = parseParameterized(value);
  if (!parsed.value) return null;
  return [parsed.value.toLowerCase(), paramList(parsed.params)];
}

function language(part: MimePart): ResponseValue {
  const value = headerValue(part.headers, 'content-language');
  if (!value) return null;
  const tags = value.split(',').map((tag) => tag.trim()).filter(Boolean);
  if (tags.length === 0) return null;
  return tags.length === 1 ? tags[0]! : tags;
}

function location(part: MimePart): ResponseValue {
  return nonEmpty(headerValue(part.headers, 'content-location'));
}
