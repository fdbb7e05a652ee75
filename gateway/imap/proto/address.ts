/**
 * RFC 5322 address lists, as far as ENVELOPE needs them: display names, angle addresses,
 * groups, comments, obsolete routes. Encoded words are kept as written (clients decode).
 */

export interface ParsedMailbox {
  kind: 'mailbox';
  /** Display name without quotes, or null. */
  name: string | null;
  /** Source route (`@a,@b`), obsolete but part of the ENVELOPE shape. */
  route: string | null;
  /** Local part (before the last `@`). */
  mailbox: string;
  /** Domain, or null when the address has none. */
  host: string | null;
}

export interface ParsedGroup {
  kind: 'group';
  name: string;
  members: ParsedMailbox[];
}

export type ParsedAddress = ParsedMailbox | ParsedGroup;

type AddressToken =
  | { kind: 'text'; value: string }
  | { kind: 'quoted'; value: string }
  | { kind: 'comment'; value: string }
  | { kind: 'special'; value: '<' | '>' | ',' | ':' | ';' };

function tokenize(input: string): AddressToken[] {
  const tokens: AddressToken[] = [];
  let text = '';
  const flushText = (): void => {
    const trimmed = text.trim();
    if (trimmed) tokens.push({ kind: 'text', value: trimmed.replace(/\s+/g, ' ') });
    text = '';
  };
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c === '"') {
      flushText();
      let value = '';
      for (i++; i < input.length && input[i] !== '"'; i++) {
        if (input[i] === '\\' && i + 1 < input.length) i++;
        value += input[i];
      }
      tokens.push({ kind: 'quoted', value });
    } else if (c === '(') {
      flushText();
      let depth = 1;
      let value = '';
      for (i++; i < input.length && depth > 0; i++) {
        const d = input[i]!;
        if (d === '\\' && i + 1 < input.length) { value += input[++i]; continue; }
        if (d === '(') depth++;
        if (d === ')') { depth--; if (depth === 0) break; }
        value += d;
      }
      tokens.push({ kind: 'comment', value: value.trim() });
    } else if (c === '<' || c === '>' || c === ',' || c === ':' || c === ';') {
      flushText();
      tokens.push({ kind: 'special', value: c });
    } else {
      text += c;
    }
  }
  flushText();
  return tokens;
}

export function parseAddressList(input: string): ParsedAddress[] {
  const tokens = tokenize(input);
  const result: ParsedAddress[] = [];
  let index = 0;
  while (index < tokens.length) {
    // A group is `name : members ;` — look for a ':' before the next ',' outside angle brackets.
    const groupColon = findGroupColon(tokens, index);
    if (groupColon >= 0) {
      const name = phrase(tokens.slice(index, groupColon)) ?? '';
      index = groupColon + 1;
      const members: ParsedMailbox[] = [];
      let memberTokens: AddressToken[] = [];
      while (index < tokens.length && !isSpecial(tokens[index], ';')) {
        if (isSpecial(tokens[index], ',')) {
          pushMailbox(members, memberTokens);
          memberTokens = [];
        } else {
          memberTokens.push(tokens[index]!);
        }
        index++;
      }
      pushMailbox(members, memberTokens);
      index++; // ';'
      result.push({ kind: 'group', name, members });
      if (isSpecial(tokens[index], ',')) index++;
      continue;
    }
    const chunk: AddressToken[] = [];
    let inAngle = false;
    while (index < tokens.length) {
      const token = tokens[index]!;
      if (isSpecial(token, '<')) inAngle = true;
      if (isSpecial(token, '>')) inAngle = false;
      if (!inAngle && isSpecial(token, ',')) break;
      chunk.push(token);
      index++;
    }
    index++;
    const list: ParsedMailbox[] = [];
    pushMailbox(list, chunk);
    result.push(...list);
  }
  return result;
}

function isSpecial(token: AddressToken | undefined, value: string): boolean {
  return token?.kind === 'special' && token.value === value;
}

function findGroupColon(tokens: AddressToken[], from: number): number {
  let inAngle = false;
  for (let i = from; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (isSpecial(token, '<')) inAngle = true;
    else if (isSpecial(token, '>')) inAngle = false;
    else if (!inAngle && isSpecial(token, ',')) return -1;
    else if (!inAngle && isSpecial(token, ':')) return i;
  }
  return -1;
}

function phrase(tokens: AddressToken[]): string | null {
  const words = tokens.filter((t) => t.kind === 'text' || t.kind === 'quoted').map((t) => t.value);
  const joined = words.join(' ').trim();
  return joined === '' ? null : joined;
}

function pushMailbox(out: ParsedMailbox[], tokens: AddressToken[]): void {
  if (tokens.length === 0) return;
  const open = tokens.findIndex((t) => isSpecial(t, '<'));
  let name: string | null;
  let spec: string;
  if (open >= 0) {
    const close = tokens.findIndex((t, i) => i > open && isSpecial(t, '>'));
    name = phrase(tokens.slice(0, open));
    const inner = tokens.slice(open + 1, close < 0 ? undefined : close);
    spec = inner.map((t) => (t.kind === 'quoted' ? `"${t.value}"` : t.kind === 'special' ? t.value : t.kind === 'text' ? t.value : '')).join('');
  } else {
    const comment = tokens.find((t) => t.kind === 'comment');
    name = comment && comment.value ? comment.value : null;
    spec = tokens.filter((t) => t.kind !== 'comment').map((t) => (t.kind === 'quoted' ? `"${t.value}"` : t.value)).join('');
  }
  spec = spec.replace(/\s+/g, '');
  let route: string | null = null;
  const routeMatch = /^(@[^:]+):(.*)$/.exec(spec);
  if (routeMatch) {
    route = routeMatch[1]!;
    spec = routeMatch[2]!;
  }
  if (!spec && !name) return;
  const at = spec.lastIndexOf('@');
  const mailbox = (at < 0 ? spec : spec.slice(0, at)).replace(/^"(.*)"$/, '$1');
  const host = at < 0 ? null : spec.slice(at + 1) || null;
  out.push({ kind: 'mailbox', name, route, mailbox, host });
}
