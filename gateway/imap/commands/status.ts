/**
 * STATUS (RFC 3501) with HIGHESTMODSEQ (CONDSTORE), SIZE (RFC 8438), DELETED and
 * DELETED-STORAGE (RFC 9051, RFC 9208). LIST-STATUS answers through the same function.
 */
import type { Folder } from '../../store/types.js';
import { ArgReader } from '../proto/args.js';
import { atom, type ResponseValue } from '../proto/compiler.js';
import { encodeMailboxName } from '../proto/mailbox-name.js';
import { ImapSyntaxError, type Token } from '../proto/tokens.js';
import { isRefusal, openFolder } from './mailbox-names.js';
import { AUTHENTICATED, ok, type CommandContext, type CommandSpec } from './types.js';

const ITEMS = new Set(['MESSAGES', 'RECENT', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'HIGHESTMODSEQ', 'SIZE', 'DELETED', 'DELETED-STORAGE']);
/** Items answered from the folder row alone; the others count messages. */
const FROM_FOLDER = new Set(['MESSAGES', 'RECENT', 'UIDNEXT', 'UIDVALIDITY', 'HIGHESTMODSEQ', 'SIZE']);

export const status: CommandSpec = {
  name: 'STATUS',
  states: AUTHENTICATED,
  async handler(context, command) {
    const args = new ArgReader(command.args, command.name);
    const name = args.mailbox();
    const items = parseStatusItems(args.list('status items').items);
    args.end();
    const opened = await openFolder(context, name, { rights: 'r', command: 'STATUS' });
    if (isRefusal(opened)) return opened;
    await sendStatus(context, opened.mailbox.name, opened.folder, items);
    return ok('STATUS completed');
  },
};

export function parseStatusItems(tokens: readonly Token[]): string[] {
  const items = tokens.map((token) => {
    const item = token.type === 'atom' ? token.value.toUpperCase() : '';
    if (!ITEMS.has(item)) throw new ImapSyntaxError(`STATUS: unknown item ${token.type === 'atom' ? token.value.slice(0, 30) : ''}`.trim());
    return item;
  });
  if (items.length === 0) throw new ImapSyntaxError('STATUS: empty item list');
  return items;
}

/** `* STATUS name (…)` for one folder. */
export async function sendStatus(context: CommandContext, clientName: string, folder: Folder, items: readonly string[]): Promise<void> {
  if (items.includes('HIGHESTMODSEQ')) context.enable('CONDSTORE');
  const counts = items.every((item) => FROM_FOLDER.has(item)) ? undefined : await context.store.folderStatus(folder.id);
  const values: ResponseValue[] = [];
  for (const item of items) {
    const value = item === 'MESSAGES' ? folder.messageCount
      : item === 'RECENT' ? 0
        : item === 'UIDNEXT' ? folder.uidNext
          : item === 'UIDVALIDITY' ? folder.uidValidity
            : item === 'HIGHESTMODSEQ' ? folder.highestModseq
              : item === 'SIZE' ? folder.totalSize
                : item === 'UNSEEN' ? counts!.unseen
                  : item === 'DELETED' ? counts!.deleted
                    : Math.ceil(counts!.deletedSize / 1024); // DELETED-STORAGE counts 1024-octet units, as QUOTA does
    values.push(atom(item), value);
  }
  await context.send([atom('STATUS'), encodeMailboxName(clientName), values]);
}
