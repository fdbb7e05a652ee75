/**
 * What the command parser produces: the generic IMAP token tree (atoms, strings, lists),
 * before a command gives its arguments a meaning (see args.ts).
 */

export type Token = AtomToken | StringToken | ListToken;

export interface AtomToken {
  type: 'atom';
  /** As sent, case preserved: NIL, numbers, flags (`\Seen`), sequence sets are atoms too. */
  value: string;
  /** For `BODY[...]`-like atoms: the tokens between the brackets. */
  section?: Token[];
  /** `<start.length>` after a section. */
  partial?: { start: number; length?: number };
}

export interface StringToken {
  type: 'string';
  value: Buffer;
  /** Sent as a literal (`{n}`) rather than a quoted string. */
  literal: boolean;
}

export interface ListToken {
  type: 'list';
  items: Token[];
}

export interface ParsedCommand {
  tag: string;
  /** Upper-cased verb; `UID FETCH`, `UID STORE`, … for UID-prefixed commands. */
  name: string;
  args: Token[];
}

/** A command line the parser cannot read; `tag` is set when the tag itself was readable. */
export class ImapSyntaxError extends Error {
  readonly tag: string | undefined;
  constructor(message: string, tag?: string) {
    super(message);
    this.name = 'ImapSyntaxError';
    this.tag = tag;
  }
}

/** Short human description of a token, for error messages. */
export function describeToken(token: Token | undefined): string {
  if (!token) return 'nothing';
  if (token.type === 'atom') return `atom ${token.value}`;
  if (token.type === 'string') return token.literal ? 'a literal' : 'a quoted string';
  return 'a list';
}
