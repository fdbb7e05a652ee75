/**
 * From a client's mailbox name to the owner's folder, with the right the command needs
 * (RFC 4314 section 4), the refusals it calls for, and the audit of shared boxes.
 */
import type { Folder } from '../../store/types.js';
import { hasRight, type ResolvedMailbox } from '../mailbox-access.js';
import { no, requireAccess, type CommandContext, type CommandResult } from './types.js';

export interface OpenedFolder {
  mailbox: ResolvedMailbox;
  folder: Folder;
}

export interface OpenOptions {
  /** RFC 4314 right letters the command needs, all of them. */
  rights: string;
  /** Verb for the audit trail. */
  command: string;
  /** Response code when the folder does not exist (TRYCREATE for APPEND, COPY, MOVE). */
  missingCode?: 'NONEXISTENT' | 'TRYCREATE';
}

/** The folder a name means, or the NO to answer. Names the user may not even see are answered as nonexistent. */
export async function openFolder(context: CommandContext, name: string, options: OpenOptions): Promise<OpenedFolder | CommandResult> {
  const access = requireAccess(context);
  const mailbox = await access.resolve(name);
  const missing = no('Mailbox does not exist', { name: options.missingCode ?? 'NONEXISTENT' });
  if (!mailbox || mailbox.folderName === '') return missing;
  const lacking = [...options.rights].filter((right) => !hasRight(mailbox.rights, right));
  if (lacking.length > 0) {
    await access.audit(mailbox, options.command, 'failure');
    // Without l nor r the box is not even revealed (RFC 4314 section 4).
    if (!hasRight(mailbox.rights, 'l') && !hasRight(mailbox.rights, 'r')) return missing;
    return no(`Permission denied: this needs the ${lacking.join('')} right on ${mailbox.name}`, { name: 'NOPERM' });
  }
  const folder = await context.store.getFolder(mailbox.ownerMailboxId, mailbox.folderName);
  if (!folder) return missing;
  await access.audit(mailbox, options.command);
  return { mailbox, folder };
}

export function isRefusal(value: OpenedFolder | CommandResult): value is CommandResult {
  return 'status' in value;
}
