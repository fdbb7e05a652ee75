/**
 * QUOTA (RFC 9208): one quota root per box, named "" for one's own box and by the box's
 * shared name for a shared one, with the STORAGE resource in units of 1024 octets.
 * Limits are set by the operator, not by users: SETQUOTA is refused.
 */
import { ArgReader } from '../proto/args.js';
import { atom, type ResponseValue } from '../proto/compiler.js';
import { encodeMailboxName } from '../proto/mailbox-name.js';
import { hasRight, sharedName } from '../mailbox-access.js';
import { AUTHENTICATED, no, ok, requireAccess, type CommandContext, type CommandSpec } from './types.js';

async function quotaResponse(context: CommandContext, root: string, mailboxId: number): Promise<ResponseValue[]> {
  const usage = await context.store.quota(mailboxId);
  return [atom('QUOTA'), encodeMailboxName(root), [atom('STORAGE'), Math.ceil(usage.usedBytes / 1024), Math.floor(usage.limitBytes / 1024)]];
}

export const getQuotaRoot: CommandSpec = {
  name: 'GETQUOTAROOT',
  states: AUTHENTICATED,
  async handler(context, command) {
    const args = new ArgReader(command.args, command.name);
    const name = args.mailbox();
    args.end();
    const mailbox = await requireAccess(context).resolve(name);
    const folder = mailbox && mailbox.folderName !== '' ? await context.store.getFolder(mailbox.ownerMailboxId, mailbox.folderName) : undefined;
    if (!mailbox || !folder || !hasRight(mailbox.rights, 'r')) return no('Mailbox does not exist', { name: 'NONEXISTENT' });
    const root = mailbox.shared ? sharedName(mailbox.name.split('/')[1]!, '') : '';
    await context.send([atom('QUOTAROOT'), encodeMailboxName(mailbox.name), encodeMailboxName(root)]);
    await context.send(await quotaResponse(context, root, mailbox.ownerMailboxId));
    return ok('GETQUOTAROOT completed');
  },
};

export const getQuota: CommandSpec = {
  name: 'GETQUOTA',
  states: AUTHENTICATED,
  async handler(context, command) {
    const args = new ArgReader(command.args, command.name);
    const root = args.mailbox('quota root');
    args.end();
    const access = requireAccess(context);
    let mailboxId: number | undefined;
    if (root === '') {
      mailboxId = access.userMailboxId;
    } else {
      const mailbox = await access.resolve(root);
      if (mailbox?.shared && mailbox.folderName === '' && hasRight(mailbox.rights, 'r')) mailboxId = mailbox.ownerMailboxId;
    }
    if (mailboxId === undefined) return no('No such quota root', { name: 'NONEXISTENT' });
    await context.send(await quotaResponse(context, root, mailboxId));
    return ok('GETQUOTA completed');
  },
};

export const setQuota: CommandSpec = {
  name: 'SETQUOTA',
  states: AUTHENTICATED,
  async handler() {
    return no('Storage limits are set by the operator', { name: 'NOPERM' });
  },
};
