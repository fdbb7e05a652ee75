/**
 * CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE (RFC 3501 6.3.3–6.3.7): folder
 * management as mail clients do it (new folders, filing, renaming). Refusals carry the
 * response codes of RFC 5530 so clients can tell "exists" from "does not exist".
 */
import { FolderError, type FolderProblem } from '../../store/types.js';
import { ArgReader } from '../proto/args.js';
import type { ResponseCode } from '../proto/compiler.js';
import type { ParsedCommand } from '../proto/tokens.js';
import { hasRight, type ResolvedMailbox } from '../mailbox-access.js';
import { AUTHENTICATED, no, ok, requireAccess, type CommandContext, type CommandResult, type CommandSpec } from './types.js';

const CODES: Record<FolderProblem, string> = {
  exists: 'ALREADYEXISTS', nonexistent: 'NONEXISTENT', inbox: 'CANNOT', 'has-children': 'INUSE', 'invalid-name': 'CANNOT',
};

async function refusing(run: () => Promise<void>, done: string): Promise<CommandResult> {
  try {
    await run();
    return ok(done);
  } catch (error) {
    if (!(error instanceof FolderError)) throw error;
    const code: ResponseCode = { name: CODES[error.problem] };
    return no(error.message, code);
  }
}

function oneName(command: ParsedCommand): string {
  const args = new ArgReader(command.args, command.name);
  const name = args.mailbox();
  args.end();
  return name;
}

/** The box and folder a name means for a change needing `right`, or the NO to answer. */
async function resolveForChange(context: CommandContext, name: string, right: string, command: string): Promise<ResolvedMailbox | CommandResult> {
  const access = requireAccess(context);
  const mailbox = await access.resolve(name);
  if (!mailbox) return no('Mailbox does not exist', { name: 'NONEXISTENT' });
  if (mailbox.folderName === '') return no('The shared namespace is managed through the directory', { name: 'CANNOT' });
  if (!hasRight(mailbox.rights, right)) {
    await access.audit(mailbox, command, 'failure');
    return no(`Permission denied: this needs the ${right} right on ${mailbox.name}`, { name: 'NOPERM' });
  }
  await access.audit(mailbox, command);
  return mailbox;
}

function isResult(value: ResolvedMailbox | CommandResult): value is CommandResult {
  return 'status' in value;
}

export const create: CommandSpec = {
  name: 'CREATE',
  states: AUTHENTICATED,
  handler: async (context, command) => {
    const target = await resolveForChange(context, oneName(command), 'k', 'CREATE');
    if (isResult(target)) return target;
    return refusing(async () => { await context.store.createFolder(target.ownerMailboxId, target.folderName); }, 'CREATE completed');
  },
};

export const deleteFolder: CommandSpec = {
  name: 'DELETE',
  states: AUTHENTICATED,
  handler: async (context, command) => {
    const target = await resolveForChange(context, oneName(command), 'x', 'DELETE');
    if (isResult(target)) return target;
    if (context.selected && context.selected.name === target.name) return no('Close the folder before deleting it', { name: 'INUSE' });
    return refusing(() => context.store.deleteFolder(target.ownerMailboxId, target.folderName), 'DELETE completed');
  },
};

export const rename: CommandSpec = {
  name: 'RENAME',
  states: AUTHENTICATED,
  handler: async (context, command) => {
    const args = new ArgReader(command.args, command.name);
    const from = await resolveForChange(context, args.mailbox('existing mailbox name'), 'x', 'RENAME');
    const toName = args.mailbox('new mailbox name');
    args.end();
    if (isResult(from)) return from;
    const to = await resolveForChange(context, toName, 'k', 'RENAME');
    if (isResult(to)) return to;
    if (to.ownerMailboxId !== from.ownerMailboxId) return no('A folder cannot be moved to another box', { name: 'CANNOT' });
    return refusing(() => context.store.renameFolder(from.ownerMailboxId, from.folderName, to.folderName), 'RENAME completed');
  },
};

function subscription(name: 'SUBSCRIBE' | 'UNSUBSCRIBE', subscribed: boolean): CommandSpec {
  return {
    name,
    states: AUTHENTICATED,
    handler: async (context: CommandContext, command: ParsedCommand) => {
      const mailbox = await requireAccess(context).resolve(oneName(command));
      if (!mailbox || mailbox.folderName === '') return no('Mailbox does not exist', { name: 'NONEXISTENT' });
      // Shared folders are always listed as subscribed: the subscription belongs to their owner.
      if (mailbox.shared) return ok(`${name} completed`);
      return refusing(() => context.store.setSubscribed(mailbox.ownerMailboxId, mailbox.folderName, subscribed), `${name} completed`);
    },
  };
}

export const subscribe = subscription('SUBSCRIBE', true);
export const unsubscribe = subscription('UNSUBSCRIBE', false);
