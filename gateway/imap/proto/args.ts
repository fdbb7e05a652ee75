/**
 * Reads a command's arguments in order, with the IMAP types they must have (atom, astring,
 * number, list, sequence set, mailbox name). Any mismatch is an ImapSyntaxError: a BAD.
 */
import { describeToken, ImapSyntaxError, type ListToken, type Token } from './tokens.js';
import { isSequenceSet, parseSequenceSet, type SequenceSet } from './sequence-set.js';
import { decodeMailboxName, normaliseMailboxName } from './mailbox-name.js';

export class ArgReader {
  private index = 0;

  constructor(private readonly args: readonly Token[], private readonly command: string) {}

  get remaining(): number {
    return this.args.length - this.index;
  }

  peek(): Token | undefined {
    return this.args[this.index];
  }

  private take(what: string): Token {
    const token = this.args[this.index];
    if (!token) throw new ImapSyntaxError(`${this.command}: missing ${what}`);
    this.index++;
    return token;
  }

  private wrong(what: string, token: Token | undefined): never {
    throw new ImapSyntaxError(`${this.command}: expected ${what}, got ${describeToken(token)}`);
  }

  /** Any token, untyped (for command-specific parsers such as FETCH items). */
  token(what: string): Token {
    return this.take(what);
  }

  atom(what: string): string {
    const token = this.take(what);
    if (token.type !== 'atom' || token.section) this.wrong(what, token);
    return token.value;
  }

  /** atom or string, decoded as UTF-8. */
  astring(what: string): string {
    const token = this.take(what);
    if (token.type === 'list' || (token.type === 'atom' && token.section)) this.wrong(what, token);
    return token.type === 'atom' ? token.value : token.value.toString('utf8');
  }

  /** A quoted string or literal (not an atom): message bodies, dates. */
  string(what: string): Buffer {
    const token = this.take(what);
    if (token.type !== 'string') this.wrong(what, token);
    return token.value;
  }

  number(what: string): number {
    const text = this.atom(what);
    if (!/^\d{1,10}$/.test(text)) throw new ImapSyntaxError(`${this.command}: ${what} must be a number`);
    return Number(text);
  }

  list(what: string): ListToken {
    const token = this.take(what);
    if (token.type !== 'list') this.wrong(what, token);
    return token;
  }

  sequenceSet(what = 'sequence set'): SequenceSet {
    const text = this.atom(what);
    if (!isSequenceSet(text)) throw new ImapSyntaxError(`${this.command}: invalid ${what}`);
    try {
      return parseSequenceSet(text);
    } catch (error) {
      throw new ImapSyntaxError(`${this.command}: ${(error as Error).message}`);
    }
  }

  /** A mailbox name, decoded from modified UTF-7, INBOX normalised. */
  mailbox(what = 'mailbox name'): string {
    const wire = this.astring(what);
    try {
      return normaliseMailboxName(decodeMailboxName(wire));
    } catch {
      throw new ImapSyntaxError(`${this.command}: invalid mailbox name encoding`);
    }
  }

  /** Rejects trailing arguments. */
  end(): void {
    if (this.index < this.args.length) throw new ImapSyntaxError(`${this.command}: unexpected extra arguments`);
  }
}

/** Flags of a list or of bare atoms, e.g. `(\Seen \Flagged)` or `\Seen`. */
export function flagNames(tokens: readonly Token[], command: string): string[] {
  return tokens.map((token) => {
    if (token.type !== 'atom' || token.section) throw new ImapSyntaxError(`${command}: flags must be atoms`);
    return token.value;
  });
}
