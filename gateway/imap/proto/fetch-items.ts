/**
 * FETCH data items (RFC 3501 6.4.5) from tokens to a typed list: macros expanded,
 * RFC822.* mapped to their BODY[] equivalents, sections and partials validated.
 */
import { ImapSyntaxError, type Token } from './tokens.js';
import { formatSection, type SectionSpec, type SectionText } from './sections.js';

export type SimpleFetchItem = 'UID' | 'FLAGS' | 'INTERNALDATE' | 'RFC822.SIZE' | 'ENVELOPE' | 'BODYSTRUCTURE' | 'BODY' | 'MODSEQ';

export type FetchItem =
  | { kind: SimpleFetchItem }
  | {
    kind: 'section';
    section: SectionSpec;
    /** BODY.PEEK and RFC822.HEADER do not set \Seen. */
    peek: boolean;
    partial?: { start: number; length?: number };
    /** Name in the response: `BODY[1.MIME]`, `RFC822`, … (partial origin added separately). */
    responseName: string;
  };

const SIMPLE = new Set<string>(['UID', 'FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODYSTRUCTURE', 'BODY', 'MODSEQ']);
const MACROS: Record<string, SimpleFetchItem[]> = {
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'],
};

/** `token` is the FETCH argument after the sequence set: one atom or a parenthesised list. */
export function parseFetchItems(token: Token): FetchItem[] {
  if (token.type === 'atom' && !token.section) {
    const macro = MACROS[token.value.toUpperCase()];
    if (macro) return macro.map((kind) => ({ kind }));
  }
  const tokens = token.type === 'list' ? token.items : [token];
  if (tokens.length === 0) throw new ImapSyntaxError('Empty FETCH item list');
  return tokens.map(parseItem);
}

function parseItem(token: Token): FetchItem {
  if (token.type !== 'atom') throw new ImapSyntaxError('Invalid FETCH item');
  const name = token.value.toUpperCase();
  if (token.section) {
    if (name !== 'BODY' && name !== 'BODY.PEEK') throw new ImapSyntaxError(`Unsupported FETCH item ${name}[]`);
    const section = parseSection(token.section);
    const item: FetchItem = { kind: 'section', section, peek: name === 'BODY.PEEK', responseName: `BODY[${formatSection(section)}]` };
    if (token.partial) item.partial = token.partial;
    return item;
  }
  if (token.partial) throw new ImapSyntaxError('Partial without a section');
  switch (name) {
    case 'RFC822':
      return { kind: 'section', section: { path: [], text: '', fields: [] }, peek: false, responseName: 'RFC822' };
    case 'RFC822.HEADER':
      return { kind: 'section', section: { path: [], text: 'HEADER', fields: [] }, peek: true, responseName: 'RFC822.HEADER' };
    case 'RFC822.TEXT':
      return { kind: 'section', section: { path: [], text: 'TEXT', fields: [] }, peek: false, responseName: 'RFC822.TEXT' };
    default:
      if (SIMPLE.has(name)) return { kind: name as SimpleFetchItem };
      throw new ImapSyntaxError(`Unknown FETCH item ${token.value.slice(0, 40)}`);
  }
}

/** The tokens between brackets: `1.2.HEADER.FIELDS (From To)` arrives as an atom and a list. */
export function parseSection(tokens: readonly Token[]): SectionSpec {
  if (tokens.length === 0) return { path: [], text: '', fields: [] };
  const first = tokens[0]!;
  if (first.type !== 'atom') throw new ImapSyntaxError('Invalid section');
  const pieces = first.value.split('.');
  const path: number[] = [];
  while (pieces.length > 0 && /^\d+$/.test(pieces[0]!)) {
    const number = Number(pieces.shift());
    if (number < 1 || number > 100000) throw new ImapSyntaxError('Invalid section part number');
    path.push(number);
  }
  const text = pieces.join('.').toUpperCase();
  if (!['', 'HEADER', 'HEADER.FIELDS', 'HEADER.FIELDS.NOT', 'TEXT', 'MIME'].includes(text)) {
    throw new ImapSyntaxError(`Invalid section ${first.value.slice(0, 40)}`);
  }
  if (text === 'MIME' && path.length === 0) throw new ImapSyntaxError('MIME needs a part number');
  const spec: SectionSpec = { path, text: text as SectionText, fields: [] };
  if (text === 'HEADER.FIELDS' || text === 'HEADER.FIELDS.NOT') {
    const list = tokens[1];
    if (tokens.length !== 2 || list?.type !== 'list' || list.items.length === 0) throw new ImapSyntaxError(`${text} needs a list of field names`);
    spec.fields = list.items.map((item) => {
      if (item.type === 'list') throw new ImapSyntaxError('Invalid header field name');
      return item.type === 'atom' ? item.value : item.value.toString('utf8');
    });
  } else if (tokens.length !== 1) {
    throw new ImapSyntaxError('Unexpected tokens in section');
  }
  return spec;
}
