/** APPEND mailbox [(flags)] [date-time] literal — stored durably before the OK. */
import { isHygieError } from '../../../core/errors.js';
import { ArgReader, flagNames } from '../proto/args.js';
import { normaliseFlags } from '../proto/flags.js';
import { parseDateTime } from '../proto/imap-date.js';
import { isRefusal, openFolder } from './mailbox-names.js';
import { AUTHENTICATED, bad, no, ok, type CommandSpec } from './types.js';

export const append: CommandSpec = {
  name: 'APPEND',
  states: AUTHENTICATED,
  async handler(context, command) {
    const args = new ArgReader(command.args, command.name);
    const name = args.mailbox();
    const flags = args.peek()?.type === 'list' ? normaliseFlags(flagNames(args.list('flags').items, command.name)) : [];
    let internalDate: Date | undefined;
    if (args.remaining > 1) {
      const text = args.string('date-time').toString('latin1');
      internalDate = parseDateTime(text);
      if (!internalDate) return bad(`APPEND: invalid date-time "${text.slice(0, 40)}"`);
    }
    const message = args.string('message literal');
    args.end();
    if (message.length === 0) return no('Empty message');
    if (message.length > context.limits.maxMessageSize) return no('Message exceeds the maximum size', { name: 'TOOBIG' });

    const opened = await openFolder(context, name, { rights: 'i', command: 'APPEND', missingCode: 'TRYCREATE' });
    if (isRefusal(opened)) return opened;
    let stored;
    try {
      stored = await context.store.append(opened.mailbox.ownerMailboxId, opened.folder.name, message, internalDate ? { flags, internalDate } : { flags });
    } catch (error) {
      if (isHygieError(error, 'MAILBOX_FULL')) return no(error.spec.text, { name: 'OVERQUOTA' });
      if (isHygieError(error, 'MESSAGE_TOO_LARGE')) return no(error.publicText, { name: 'TOOBIG' });
      if (isHygieError(error, 'MESSAGE_MALFORMED')) return no(error.publicText);
      throw error;
    }
    return ok('APPEND completed', { name: 'APPENDUID', args: [stored.uidValidity, stored.uid] });
  },
};
