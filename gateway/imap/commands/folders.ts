/**
 * CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE (RFC 3501 6.3.3–6.3.7): folder
 * management as mail clients do it (new folders, filing, renaming). Refusals carry the
 * response codes of RFC 5530 so clients can tell "exists" from "does not exist".
 */
import { FolderError, type FolderProblem } from '../../store/types.js';
import { ArgReader } from '../proto/args.js';
import type { ResponseCode } from '../proto/compiler.js';
import type { ParsedCommand } from '../proto/tokens.js';
import { AUTHENTICATED, no, ok, requireUser, type CommandContext, type CommandResult, type CommandSpec } from './types.js';

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

export const create: CommandSpec = {
  name: 'CREATE',
  states: AUTHENTICATED,
  handler: async (context, command) => {
    const name = oneName(command);
    return refusing(async () => { await context.store.createFolder(requireUser(context).mailboxId, name); }, 'CREATE completed');
  },
};

export const deleteFolder: CommandSpec = {
  name: 'DELETE',
  states: AUTHENTICATED,
  handler: async (context, command) => {
    const name = oneName(command);
    if (context.selected && context.selected.folder.name === name) return no('Close the folder before deleting it', { name: 'INUSE' });
    return refusing(() => context.store.deleteFolder(requireUser(context).mailboxId, name), 'DELETE completed');
  },
};

export const rename: CommandSpec = {
  name: 'RENAME',
  states: AUTHENTICATED,
  handler: async (context, command) => {
    const args = new ArgReader(command.args, command.name);
    const from = args.mailbox('existing mailbox name');
    const to = args.mailbox('new mailbox name');
    args.end();
    return refusing(() => context.store.renameFolder(requireUser(context).mailboxId, from, to), 'RENAME completed');
  },
};

function subscription(name: 'SUBSCRIBE' | 'UNSUBSCRIBE', subscribed: boolean): CommandSpec {
  return {
    name,
    states: AUTHENTICATED,
    handler: async (context: CommandContext, command: ParsedCommand) => {
      const folder = oneName(command);
      return refusing(() => context.store.setSubscribed(requireUser(context).mailboxId, folder, subscribed), `${name} completed`);
    },
  };
}

export const subscribe = subscription('SUBSCRIBE', true);
export const unsubscribe = subscription('UNSUBSCRIBE', false);
