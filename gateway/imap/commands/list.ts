/**
 * LIST and LSUB with SPECIAL-USE attributes (RFC 6154) and child attributes.
 * Patterns: `*` matches anything, `%` anything but the `/` delimiter.
 */
import { FOLDER_DELIMITER, type Folder } from '../../store/types.js';
import { ArgReader } from '../proto/args.js';
import { atom } from '../proto/compiler.js';
import { decodeMailboxName, encodeMailboxName } from '../proto/mailbox-name.js';
import { ImapSyntaxError, type ParsedCommand } from '../proto/tokens.js';
import { AUTHENTICATED, ok, requireUser, type CommandContext, type CommandResult, type CommandSpec } from './types.js';

export const DELIMITER = FOLDER_DELIMITER;

export const list: CommandSpec = {
  name: 'LIST',
  states: AUTHENTICATED,
  handler: (context, command) => listFolders(context, command, false),
};

export const lsub: CommandSpec = {
  name: 'LSUB',
  states: AUTHENTICATED,
  handler: (context, command) => listFolders(context, command, true),
};

async function listFolders(context: CommandContext, command: ParsedCommand, subscribedOnly: boolean): Promise<CommandResult> {
  const args = new ArgReader(command.args, command.name);
  const reference = decode(args.astring('reference'));
  const pattern = decode(args.astring('mailbox pattern'));
  args.end();

  if (pattern === '' && !subscribedOnly) {
    // The delimiter and root of the hierarchy (RFC 3501 6.3.8).
    await context.send([atom('LIST'), [atom('\\Noselect')], DELIMITER, '']);
    return ok('LIST completed');
  }
  const folders = await context.store.listFolders(requireUser(context).mailboxId);
  const matcher = patternMatcher(reference + pattern);
  for (const folder of folders) {
    if (subscribedOnly && !folder.subscribed) continue;
    if (!matcher(folder.name)) continue;
    await context.send([atom(command.name), attributes(folder, folders).map(atom), DELIMITER, encodeMailboxName(folder.name)]);
  }
  return ok(`${command.name} completed`);
}

function decode(wire: string): string {
  try {
    return decodeMailboxName(wire);
  } catch {
    throw new ImapSyntaxError('Invalid mailbox name encoding');
  }
}

export function attributes(folder: Folder, all: readonly Folder[]): string[] {
  const prefix = folder.name + DELIMITER;
  const out = [all.some((other) => other.name.startsWith(prefix)) ? '\\HasChildren' : '\\HasNoChildren'];
  if (folder.specialUse) out.push(folder.specialUse);
  return out;
}

/** A LIST pattern as a predicate over folder names; INBOX matches case-insensitively. */
export function patternMatcher(pattern: string): (name: string) => boolean {
  const source = [...pattern].map((char) => {
    if (char === '*') return '.*';
    if (char === '%') return `[^${DELIMITER}]*`;
    return char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }).join('');
  const exact = new RegExp(`^${source}$`, 'u');
  const inbox = new RegExp(`^${source}$`, 'iu');
  return (name) => exact.test(name) || (name === 'INBOX' && inbox.test(name));
}
