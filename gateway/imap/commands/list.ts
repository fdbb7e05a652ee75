/**
 * LIST and LSUB with SPECIAL-USE attributes (RFC 6154), child attributes, LIST-EXTENDED
 * (RFC 5258: selection options SUBSCRIBED, REMOTE, RECURSIVEMATCH, SPECIAL-USE; several
 * patterns; return options SUBSCRIBED, CHILDREN, SPECIAL-USE) and LIST-STATUS (RFC 5819).
 * Patterns: `*` matches anything, `%` anything but the `/` delimiter. Boxes shared with the
 * user appear under `Partagés/<address>/` (shared folders count as subscribed).
 */
import { FOLDER_DELIMITER, type Folder } from '../../store/types.js';
import { hasRight, OWNER_RIGHTS, SHARED_ROOT, sharedName } from '../mailbox-access.js';
import { ArgReader } from '../proto/args.js';
import { atom, type ResponseValue } from '../proto/compiler.js';
import { decodeMailboxName, encodeMailboxName } from '../proto/mailbox-name.js';
import { ImapSyntaxError, type ParsedCommand, type Token } from '../proto/tokens.js';
import { parseStatusItems, sendStatus } from './status.js';
import { AUTHENTICATED, ok, requireAccess, requireUser, type CommandContext, type CommandResult, type CommandSpec } from './types.js';

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

/** One name the listing may show: a folder (own or shared) or a level of the shared namespace. */
interface ListEntry {
  name: string;
  folder?: Folder;
  subscribed: boolean;
  specialUse: string | null;
  /** RFC 4314 rights on the folder's box (LIST-STATUS needs r). */
  rights: string;
}

interface ListRequest {
  reference: string;
  patterns: string[];
  subscribedOnly: boolean;
  specialUseOnly: boolean;
  recursiveMatch: boolean;
  returnSubscribed: boolean;
  statusItems?: string[];
  extended: boolean;
}

async function listFolders(context: CommandContext, command: ParsedCommand, isLsub: boolean): Promise<CommandResult> {
  const request = parseRequest(command, isLsub);
  const responseName = isLsub ? 'LSUB' : 'LIST';
  if (request.patterns.length === 1 && request.patterns[0] === '' && !isLsub && !request.extended) {
    // The delimiter and root of the hierarchy (RFC 3501 6.3.8).
    await context.send([atom('LIST'), [atom('\\Noselect')], DELIMITER, '']);
    return ok('LIST completed');
  }
  const entries = await listEntries(context);
  const matchers = request.patterns.map((pattern) => patternMatcher(request.reference + pattern));
  const matches = (name: string): boolean => matchers.some((matcher) => matcher(name));
  for (const entry of entries) {
    if (!matches(entry.name)) continue;
    if (request.specialUseOnly && !entry.specialUse) continue;
    const subscribedChild = request.recursiveMatch && !entry.subscribed
      && entries.some((other) => other.subscribed && other.name.startsWith(entry.name + DELIMITER));
    if (request.subscribedOnly && !entry.subscribed && !subscribedChild) continue;

    const attributes = attributesOf(entry, entries);
    if (!isLsub && (request.returnSubscribed || request.subscribedOnly) && entry.subscribed) attributes.push('\\Subscribed');
    const response: ResponseValue[] = [atom(responseName), attributes.map(atom), DELIMITER, encodeMailboxName(entry.name)];
    // RECURSIVEMATCH: a parent listed for the sake of its subscribed children says so (RFC 5258 3.5).
    if (subscribedChild) response.push(['CHILDINFO', ['SUBSCRIBED']]);
    await context.send(response);
    if (request.statusItems && entry.folder && hasRight(entry.rights, 'r')) await sendStatus(context, entry.name, entry.folder, request.statusItems);
  }
  return ok(`${responseName} completed`);
}

function parseRequest(command: ParsedCommand, isLsub: boolean): ListRequest {
  const args = new ArgReader(command.args, command.name);
  const request: ListRequest = {
    reference: '', patterns: [], subscribedOnly: isLsub, specialUseOnly: false, recursiveMatch: false, returnSubscribed: false, extended: false,
  };
  if (!isLsub && args.peek()?.type === 'list') {
    request.extended = true;
    for (const option of atoms(args.list('selection options').items, 'selection option')) {
      if (option === 'SUBSCRIBED') request.subscribedOnly = true;
      else if (option === 'SPECIAL-USE') request.specialUseOnly = true;
      else if (option === 'RECURSIVEMATCH') request.recursiveMatch = true;
      else if (option !== 'REMOTE') throw new ImapSyntaxError(`LIST: unknown selection option ${option.slice(0, 30)}`);
    }
    // RECURSIVEMATCH alone means nothing (RFC 5258 3.1).
    if (request.recursiveMatch && !request.subscribedOnly && !request.specialUseOnly) throw new ImapSyntaxError('LIST: RECURSIVEMATCH needs another selection option');
  }
  request.reference = decode(args.astring('reference'));
  const patterns = args.peek();
  if (!isLsub && patterns?.type === 'list') {
    request.extended = true;
    args.token('mailbox patterns');
    request.patterns = patterns.items.map((token) => {
      if (token.type === 'list') throw new ImapSyntaxError('LIST: invalid mailbox pattern');
      return decode(token.type === 'atom' ? token.value : token.value.toString('utf8'));
    });
  } else {
    request.patterns = [decode(args.astring('mailbox pattern'))];
  }
  if (!isLsub && args.remaining > 0) {
    request.extended = true;
    if (args.atom('RETURN').toUpperCase() !== 'RETURN') throw new ImapSyntaxError('LIST: expected RETURN');
    const options = args.list('return options').items;
    for (let i = 0; i < options.length; i++) {
      const option = atoms([options[i]!], 'return option')[0]!;
      if (option === 'SUBSCRIBED') request.returnSubscribed = true;
      else if (option === 'STATUS') {
        const items = options[++i];
        if (items?.type !== 'list') throw new ImapSyntaxError('LIST: RETURN STATUS needs a list of items');
        request.statusItems = parseStatusItems(items.items);
      } else if (option !== 'CHILDREN' && option !== 'SPECIAL-USE') throw new ImapSyntaxError(`LIST: unknown return option ${option.slice(0, 30)}`);
    }
  }
  args.end();
  return request;
}

function atoms(tokens: readonly Token[], what: string): string[] {
  return tokens.map((token) => {
    if (token.type !== 'atom') throw new ImapSyntaxError(`LIST: invalid ${what}`);
    return token.value.toUpperCase();
  });
}

/** Own folders, then the shared namespace: its root, one level per box, the box's folders. */
async function listEntries(context: CommandContext): Promise<ListEntry[]> {
  const own = await context.store.listFolders(requireUser(context).mailboxId);
  const entries: ListEntry[] = own.map((folder) => ({ name: folder.name, folder, subscribed: folder.subscribed, specialUse: folder.specialUse, rights: OWNER_RIGHTS }));
  const shared = (await requireAccess(context).sharedBoxes()).filter((box) => hasRight(box.rights, 'l'));
  if (shared.length > 0) entries.push({ name: SHARED_ROOT, subscribed: true, specialUse: null, rights: '' });
  for (const box of shared) {
    entries.push({ name: sharedName(box.address, ''), subscribed: true, specialUse: null, rights: box.rights });
    for (const folder of await context.store.listFolders(box.mailboxId)) {
      entries.push({ name: sharedName(box.address, folder.name), folder, subscribed: true, specialUse: folder.specialUse, rights: box.rights });
    }
  }
  return entries;
}

function decode(wire: string): string {
  try {
    return decodeMailboxName(wire);
  } catch {
    throw new ImapSyntaxError('Invalid mailbox name encoding');
  }
}

function attributesOf(entry: ListEntry, all: readonly ListEntry[]): string[] {
  const prefix = entry.name + DELIMITER;
  const out = [all.some((other) => other.name.startsWith(prefix)) ? '\\HasChildren' : '\\HasNoChildren'];
  if (!entry.folder) out.unshift('\\Noselect');
  if (entry.specialUse) out.push(entry.specialUse);
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
