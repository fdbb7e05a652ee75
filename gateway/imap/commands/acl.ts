/**
 * ACL (RFC 4314): GETACL, SETACL, DELETEACL, LISTRIGHTS, MYRIGHTS. Rights belong to a
 * box, not to each folder: they are the directory's delegations seen through the mapping
 * of mailbox-access.ts, and SETACL / DELETEACL grant or revoke delegations through the
 * directory (which audits them), so that the directory stays the one truth. Identifiers
 * are addresses of personal boxes; `anyone` and negative rights are not supported.
 */
import { HygieError, isHygieError } from '../../../core/errors.js';
import type { Delegation, DelegationRight, MailboxSummary } from '../../../directory/types.js';
import {
  delegationRightsOf, isRightsString, OWNER_RIGHTS, RIGHT_GROUPS, rightsOfDelegation, type MailboxAccess,
} from '../mailbox-access.js';
import { ArgReader } from '../proto/args.js';
import { atom, type ResponseValue } from '../proto/compiler.js';
import { encodeMailboxName } from '../proto/mailbox-name.js';
import type { ParsedCommand } from '../proto/tokens.js';
import { isRefusal, openFolder } from './mailbox-names.js';
import { AUTHENTICATED, bad, no, ok, requireAccess, type CommandContext, type CommandResult, type CommandSpec } from './types.js';

export const getAcl: CommandSpec = {
  name: 'GETACL',
  states: AUTHENTICATED,
  async handler(context, command) {
    const { name } = readArgs(command, false);
    const opened = await openFolder(context, name, { rights: 'a', command: 'GETACL' });
    if (isRefusal(opened)) return opened;
    const access = requireAccess(context);
    const entries: ResponseValue[] = [await ownerIdentifier(access, opened.mailbox.ownerMailboxId), rightsValue(OWNER_RIGHTS)];
    for (const delegation of await currentDelegations(access, opened.mailbox.ownerMailboxId)) {
      const delegate = await access.directory?.findMailbox(delegation.delegateMailboxId);
      if (delegate?.addresses[0]) entries.push(delegate.addresses[0].address, rightsValue(rightsOfDelegation(delegation.rights)));
    }
    await context.send([atom('ACL'), encodeMailboxName(opened.mailbox.name), ...entries]);
    return ok('GETACL completed');
  },
};

export const myRights: CommandSpec = {
  name: 'MYRIGHTS',
  states: AUTHENTICATED,
  async handler(context, command) {
    const { name } = readArgs(command, false);
    const opened = await openFolder(context, name, { rights: '', command: 'MYRIGHTS' });
    if (isRefusal(opened)) return opened;
    await context.send([atom('MYRIGHTS'), encodeMailboxName(opened.mailbox.name), rightsValue(opened.mailbox.rights)]);
    return ok('MYRIGHTS completed');
  },
};

export const listRights: CommandSpec = {
  name: 'LISTRIGHTS',
  states: AUTHENTICATED,
  async handler(context, command) {
    const { name, identifier } = readArgs(command, true);
    const opened = await openFolder(context, name, { rights: 'a', command: 'LISTRIGHTS' });
    if (isRefusal(opened)) return opened;
    const isOwner = identifier!.toLowerCase() === (await ownerIdentifier(requireAccess(context), opened.mailbox.ownerMailboxId)).toLowerCase();
    // The owner always has everything; others get whole groups, each tied to one delegation right.
    const rights = isOwner ? [OWNER_RIGHTS] : ['', ...RIGHT_GROUPS.map((group) => group.letters)];
    await context.send([atom('LISTRIGHTS'), encodeMailboxName(opened.mailbox.name), identifier!, ...rights.map(rightsValue)]);
    return ok('LISTRIGHTS completed');
  },
};

export const setAcl: CommandSpec = {
  name: 'SETACL',
  states: AUTHENTICATED,
  async handler(context, command) {
    const args = new ArgReader(command.args, command.name);
    const name = args.mailbox();
    const identifier = args.astring('identifier');
    const rights = args.astring('access rights');
    args.end();
    const change = /^([+-]?)(.*)$/.exec(rights)!;
    if (!isRightsString(change[2]!)) return bad(`SETACL: unknown rights in "${rights.slice(0, 30)}"`);
    return changeAcl(context, name, identifier, (current) => {
      const asked = delegationRightsOf(change[2]!);
      if (change[1] === '+') return [...new Set([...current, ...asked])];
      if (change[1] === '-') return current.filter((right) => !asked.includes(right));
      return asked;
    }, 'SETACL');
  },
};

export const deleteAcl: CommandSpec = {
  name: 'DELETEACL',
  states: AUTHENTICATED,
  async handler(context, command) {
    const { name, identifier } = readArgs(command, true);
    return changeAcl(context, name, identifier!, () => [], 'DELETEACL');
  },
};

function readArgs(command: ParsedCommand, withIdentifier: boolean): { name: string; identifier?: string } {
  const args = new ArgReader(command.args, command.name);
  const name = args.mailbox();
  const identifier = withIdentifier ? args.astring('identifier') : undefined;
  args.end();
  return identifier === undefined ? { name } : { name, identifier };
}

/** Replaces the delegate's delegation on the box by one with the new rights (none: revoked). */
async function changeAcl(
  context: CommandContext, name: string, identifier: string, next: (current: DelegationRight[]) => DelegationRight[], verb: string,
): Promise<CommandResult> {
  const access = requireAccess(context);
  const delegations = access.delegations;
  if (!delegations || !access.directory) return no('Rights are managed by the operator here', { name: 'CANNOT' });
  const opened = await openFolder(context, name, { rights: 'a', command: verb });
  if (isRefusal(opened)) return opened;
  const owner = await access.directory.findMailbox(opened.mailbox.ownerMailboxId);
  if (!owner) return no('Mailbox does not exist', { name: 'NONEXISTENT' });
  if (['anyone', 'authuser'].includes(identifier.toLowerCase()) || identifier.startsWith('-')) {
    return no('Rights are given to named people only (an address of their personal box)', { name: 'CANNOT' });
  }
  const delegate = await access.directory.findMailbox(identifier);
  if (!delegate) return no(`No box has the address ${identifier.slice(0, 100)}`, { name: 'NONEXISTENT' });
  if (delegate.id === owner.id) return no('The owner\'s rights cannot change', { name: 'CANNOT' });
  if (delegate.type !== 'PER' || delegate.status !== 'active') return no('Rights are given to active personal boxes only', { name: 'CANNOT' });

  const current = (await currentDelegations(access, owner.id)).find((d) => d.delegateMailboxId === delegate.id);
  const wanted = next(current?.rights ?? []);
  if (sameRights(wanted, current?.rights ?? [])) return ok(`${verb} completed`);
  const actor = `imap:${access.login}`;
  try {
    if (current) await delegations.revoke(current.id, actor, 'imap');
    if (wanted.length > 0) {
      await delegations.grant({
        mailbox: owner.id, delegate: delegate.id, role: roleFor(owner), rights: wanted, actor, channel: 'imap',
        ...(current?.validUntil ? { validUntil: new Date(current.validUntil) } : {}),
      });
    }
  } catch (error) {
    if (isHygieError(error)) return no(error.publicText, { name: 'CANNOT' });
    throw error;
  } finally {
    access.invalidate();
  }
  await access.audit(opened.mailbox, `${verb} ${delegate.id} ${rightsOfDelegation(wanted) || 'none'}`);
  return ok(`${verb} completed`);
}

/** Rights letters go out as an atom (`lrs`); no rights at all as an empty string. */
function rightsValue(rights: string): ResponseValue {
  return rights === '' ? '' : atom(rights);
}

function roleFor(owner: MailboxSummary): Delegation['role'] {
  return owner.type === 'ORG' ? 'member' : 'delegate';
}

function sameRights(a: readonly DelegationRight[], b: readonly DelegationRight[]): boolean {
  return a.length === b.length && a.every((right) => b.includes(right));
}

async function ownerIdentifier(access: MailboxAccess, ownerMailboxId: number): Promise<string> {
  if (ownerMailboxId === access.userMailboxId && !access.directory) return access.login;
  const owner = await access.directory?.findMailbox(ownerMailboxId);
  if (!owner?.addresses[0]) throw new HygieError('MAILBOX_NOT_FOUND', `mailbox ${ownerMailboxId} has no address`);
  return owner.addresses[0].address;
}

/** Delegations in force now on a box. */
async function currentDelegations(access: MailboxAccess, ownerMailboxId: number): Promise<Delegation[]> {
  if (!access.delegations) return [];
  const now = new Date().toISOString();
  return (await access.delegations.list(ownerMailboxId)).filter((d) => d.revokedAt === null && d.validFrom <= now && (d.validUntil === null || d.validUntil > now));
}
