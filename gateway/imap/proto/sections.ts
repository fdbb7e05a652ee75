/**
 * BODY[section] addressing (RFC 3501 6.4.5): part numbers walk the MIME tree, then
 * HEADER, HEADER.FIELDS (…), HEADER.FIELDS.NOT (…), TEXT or MIME pick bytes of that part.
 */
import type { HeaderField, MimePart } from './mime.js';

export type SectionText = '' | 'HEADER' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT' | 'TEXT' | 'MIME';

export interface SectionSpec {
  /** Part numbers, 1-based; empty for the whole message. */
  path: number[];
  text: SectionText;
  /** Field names for HEADER.FIELDS / HEADER.FIELDS.NOT. */
  fields: string[];
}

/**
 * The bytes a section names, or null when the part does not exist. A part with no such
 * content (e.g. TEXT of a non-message part) is null too; callers answer an empty string.
 */
export function extractSection(raw: Buffer, root: MimePart, spec: SectionSpec): Buffer | null {
  let node: MimePart = root;
  for (const number of spec.path) {
    const next = childPart(node, number, node === root);
    if (!next) return null;
    node = next;
  }

  if (spec.text === '') {
    return spec.path.length === 0 ? raw.subarray(root.start, root.end) : raw.subarray(node.bodyStart, node.end);
  }
  if (spec.text === 'MIME') {
    if (spec.path.length === 0) return null;
    return raw.subarray(node.start, node.bodyStart);
  }
  // HEADER / TEXT of a numbered part address its encapsulated message.
  const message = spec.path.length === 0 ? root : node.message;
  if (!message) return null;
  if (spec.text === 'TEXT') return raw.subarray(message.bodyStart, message.end);
  if (spec.text === 'HEADER') return raw.subarray(message.start, message.bodyStart);
  return selectFields(message.headers, spec.fields, spec.text === 'HEADER.FIELDS.NOT');
}

/** Part `number` below `node`: multipart children, the parts of an encapsulated message, or a leaf's own body as part 1. */
function childPart(node: MimePart, number: number, isRoot: boolean): MimePart | null {
  if (node.children.length > 0) return node.children[number - 1] ?? null;
  if (node.message) {
    const inner = node.message;
    if (inner.children.length > 0) return inner.children[number - 1] ?? null;
    return number === 1 ? inner : null;
  }
  // A non-multipart message has one part, itself; deeper leaves have none.
  return number === 1 && isRoot ? node : null;
}

function selectFields(headers: readonly HeaderField[], names: readonly string[], exclude: boolean): Buffer {
  const wanted = new Set(names.map((name) => name.toLowerCase()));
  const picked = headers.filter((field) => wanted.has(field.key) !== exclude).map((field) => withLineEnd(field.raw));
  picked.push(Buffer.from('\r\n'));
  return Buffer.concat(picked);
}

function withLineEnd(raw: Buffer): Buffer {
  return raw.length > 0 && raw[raw.length - 1] === 0x0a ? raw : Buffer.concat([raw, Buffer.from('\r\n')]);
}

/** `1.2.HEADER.FIELDS (FROM TO)` as it appears in a FETCH response item name. */
export function formatSection(spec: SectionSpec): string {
  const parts: string[] = spec.path.map(String);
  if (spec.text) parts.push(spec.text);
  let out = parts.join('.');
  if (spec.text === 'HEADER.FIELDS' || spec.text === 'HEADER.FIELDS.NOT') {
    out += ` (${spec.fields.map(formatFieldName).join(' ')})`;
  }
  return out;
}

function formatFieldName(name: string): string {
  return /^[\x21-\x7e]+$/.test(name) && !/["\\()[\]{%*]/.test(name) ? name : `"${name.replace(/["\\]/g, '\\$&')}"`;
}
