/**
 * Which box and folder a client's mailbox name means, and what this user may do there.
 * Personal folders keep their names; boxes shared with the user through the directory's
 * delegations (members of an organisational box, time-limited delegates) appear in the
 * shared namespace (RFC 2342) as `Partagés/<box address>/<folder>`, with RFC 4314 rights
 * derived from the delegation — the directory stays the one truth, so SETACL is a grant
 * or revocation there (see acl.ts). Every access to a shared box is audited.
 *
 * Rights mapping (delegation right → RFC 4314 rights, each group tied: granting one
 * letter of a group grants the group):
 *   owner   → lrswipkxtea (everything)
 *   read    → l r s       (see the folders, read, keep \Seen)
 *   send    → p i         (post as the box, file sent copies and drafts)
 *   manage  → w k x t e a (flags, create / delete folders, delete and expunge, administer the ACL)
 */
import type { AuditEvent } from '../../core/audit.js';
import type { AuthContext, AuthenticatedUser, Delegation, DelegationRight, MailboxSummary } from '../../directory/types.js';
import { FOLDER_DELIMITER } from '../store/types.js';

/** Root of the shared namespace, as users see it. */
export const SHARED_ROOT = 'Partagés';
export const SHARED_PREFIX = SHARED_ROOT + FOLDER_DELIMITER;

export const OWNER_RIGHTS = 'lrswipkxtea';
/** Tied groups, in LISTRIGHTS order, with the delegation right each stands for. */
export const RIGHT_GROUPS: ReadonlyArray<{ right: DelegationRight; letters: string }> = [
  { right: 'read', letters: 'lrs' },
  { right: 'send', letters: 'pi' },
  { right: 'manage', letters: 'wkxtea' },
];
/** Obsolete RFC 2086 rights clients may still send: `c` (create) and `d` (delete) map to their RFC 4314 successors. */
const OBSOLETE: Record<string, string> = { c: 'kx', d: 'te' };

/** What the IMAP server needs of the directory's delegations (DelegationService has it). */
export interface DelegationDirectory {
  rightsOf(delegateMailboxId: number): Promise<Array<{ mailboxId: number; rights: DelegationRight[] }>>;
  list(mailbox: number | string): Promise<Delegation[]>;
  grant(input: {
    mailbox: number | string; delegate: number | string; role: Delegation['role']; rights: readonly string[];
    validFrom?: Date; validUntil?: Date; actor: string; channel?: AuthContext['channel'];
  }): Promise<Delegation>;
  revoke(id: number, actor: string, channel?: AuthContext['channel']): Promise<Delegation>;
}

/** Box names and addresses (MailboxService has it). */
export interface MailboxDirectory {
  findMailbox(idOrAddress: number | string): Promise<MailboxSummary | undefined>;
  /** A member or delegate used the box: a connection for the lifecycle rules. */
  recordUse?(mailboxId: number): Promise<void>;
}

export interface AuditRecorder {
  record(event: AuditEvent): Promise<void>;
}

export interface SharingOptions {
  delegations: DelegationDirectory;
  directory: MailboxDirectory;
  audit?: AuditRecorder;
}

export interface ResolvedMailbox {
  /** The name as the client sees it (decoded): `INBOX`, `Partagés/cardiologie@…/Sent`. */
  name: string;
  ownerMailboxId: number;
  /** The folder's name in the owner's store. */
  folderName: string;
  shared: boolean;
  /** RFC 4314 rights of this user on the box. */
  rights: string;
}

export interface SharedBox {
  mailboxId: number;
  /** The box's first address: its level in the shared namespace. */
  address: string;
  rights: string;
}

export function rightsOfDelegation(rights: readonly DelegationRight[]): string {
  return RIGHT_GROUPS.filter((group) => rights.includes(group.right)).map((group) => group.letters).join('');
}

/** Delegation rights that a set of RFC 4314 letters asks for (a group is granted when any of its letters is). */
export function delegationRightsOf(letters: string): DelegationRight[] {
  const expanded = [...letters].map((c) => OBSOLETE[c] ?? c).join('');
  return RIGHT_GROUPS.filter((group) => [...group.letters].some((c) => expanded.includes(c))).map((group) => group.right);
}

/** Letters RFC 4314 defines (plus the obsolete c and d); anything else is a BAD. */
export function isRightsString(text: string): boolean {
  return /^[lrswipkxteacd0-9]*$/.test(text);
}

export function hasRight(rights: string, right: string): boolean {
  return rights.includes(right);
}

export class MailboxAccess {
  private sharedCache: SharedBox[] | undefined;

  constructor(
    private readonly user: AuthenticatedUser,
    private readonly sharing: SharingOptions | undefined,
    private readonly origin: { session: string; remoteAddress: string },
  ) {}

  get sharingEnabled(): boolean {
    return this.sharing !== undefined;
  }

  get login(): string {
    return this.user.login;
  }

  /** Boxes shared with this user now. Asked again for each command (a revocation takes effect at once). */
  async sharedBoxes(): Promise<SharedBox[]> {
    if (!this.sharing) return [];
    // Within one command several names may be resolved: one directory lookup is enough (the session invalidates between commands).
    if (this.sharedCache) return this.sharedCache;
    const boxes: SharedBox[] = [];
    for (const grant of await this.sharing.delegations.rightsOf(this.user.mailboxId)) {
      const box = await this.sharing.directory.findMailbox(grant.mailboxId);
      if (!box || box.status === 'deleted' || box.addresses.length === 0) continue;
      boxes.push({ mailboxId: box.id, address: box.addresses[0]!.address.toLowerCase(), rights: rightsOfDelegation(grant.rights) });
    }
    this.sharedCache = boxes;
    return boxes;
  }

  /** Forgets the delegations looked up (before each command, after SETACL). */
  invalidate(): void {
    this.sharedCache = undefined;
  }

  /**
   * The box and folder a name means, or undefined when the name is in the shared
   * namespace but names no box shared with this user. The folder itself may not exist.
   * `Partagés` and `Partagés/<address>` resolve with an empty folder name (not selectable).
   */
  async resolve(name: string): Promise<ResolvedMailbox | undefined> {
    if (!this.sharing || !(name === SHARED_ROOT || name.startsWith(SHARED_PREFIX))) {
      return { name, ownerMailboxId: this.user.mailboxId, folderName: name, shared: false, rights: OWNER_RIGHTS };
    }
    if (name === SHARED_ROOT) return undefined;
    const rest = name.slice(SHARED_PREFIX.length);
    const slash = rest.indexOf(FOLDER_DELIMITER);
    const address = (slash < 0 ? rest : rest.slice(0, slash)).toLowerCase();
    const folder = slash < 0 ? '' : rest.slice(slash + 1);
    const box = (await this.sharedBoxes()).find((candidate) => candidate.address === address);
    if (!box) return undefined;
    const folderName = folder.toUpperCase() === 'INBOX' ? 'INBOX' : folder;
    return { name: sharedName(box.address, folderName), ownerMailboxId: box.mailboxId, folderName, shared: true, rights: box.rights };
  }

  /** Audits an access to a shared box (personal folders are the user's own business). */
  async audit(mailbox: ResolvedMailbox, command: string, outcome: 'success' | 'failure' = 'success'): Promise<void> {
    if (!mailbox.shared) return;
    if (outcome === 'success') await this.sharing?.directory.recordUse?.(mailbox.ownerMailboxId);
    if (!this.sharing?.audit) return;
    await this.sharing.audit.record({
      action: 'imap.shared-access', outcome, actor: this.user.login, subject: String(mailbox.ownerMailboxId), channel: 'imap',
      remoteAddress: this.origin.remoteAddress,
      details: { command, folder: mailbox.folderName, rights: mailbox.rights, delegate: this.user.mailboxId, session: this.origin.session },
    });
  }

  get delegations(): DelegationDirectory | undefined {
    return this.sharing?.delegations;
  }

  get directory(): MailboxDirectory | undefined {
    return this.sharing?.directory;
  }

  get userMailboxId(): number {
    return this.user.mailboxId;
  }
}

export function sharedName(address: string, folderName: string): string {
  return folderName === '' ? `${SHARED_PREFIX}${address}` : `${SHARED_PREFIX}${address}${FOLDER_DELIMITER}${folderName}`;
}
