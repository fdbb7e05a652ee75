import { ArgReader } from '../proto/args.js';
import { atom, type ResponseValue } from '../proto/compiler.js';
import { hasFlag } from '../proto/flags.js';
import { encodeMailboxName } from '../proto/mailbox-name.js';
import { ImapSyntaxError } from '../proto/tokens.js';
import { AUTHENTICATED, no, ok, requireUser, type CommandSpec } from './types.js';

const ITEMS = new Set(['MESSAGES', 'RECENT', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN']);

export const status: CommandSpec = {
  name: 'STATUS',
  states: AUTHENTICATED,
  async handler(context, command) {
    const args = new ArgReader(command.args, command.name);
    const name = args.mailbox();
    const items = args.list('status items').items.map((token) => {
      const item = token.type === 'atom' ? token.value.toUpperCase() : '';
      if (!ITEMS.has(item)) throw new ImapSyntaxError(`STATUS: unknown item ${token.type === 'atom' ? token.value.slice(0, 30) : ''}`.trim());
      return item;
    });
    args.end();
    if (items.length === 0) throw new ImapSyntaxError('STATUS: empty item list');

    const folder = await context.store.getFolder(requireUser(context).mailboxId, name);
    if (!folder) return no('Mailbox does not exist', { name: 'NONEXISTENT' });
    const messages = items.includes('MESSAGES') || items.includes('UNSEEN') ? await context.store.listMessages(folder.id) : [];
    const values: ResponseValue[] = [];
    for (const item of items) {
      const value = item === 'MESSAGES' ? messages.length
        : item === 'RECENT' ? 0
          : item === 'UIDNEXT' ? folder.uidNext
            : item === 'UIDVALIDITY' ? folder.uidValidity
              : messages.filter((message) => !hasFlag(message.flags, '\\Seen')).length;
      values.push(atom(item), value);
    }
    await context.send([atom('STATUS'), encodeMailboxName(folder.name), values]);
    return ok('STATUS completed');
  },
};
