/**
 * The message store as the protocol front ends see it (IMAP, webmail, the SMTP
 * pipeline). Folders belong to a directory mailbox (`mailboxId`); every change bumps
 * the folder's modseq and is written to a change journal that IDLE and webmail alerts
 * follow. Implementation: KnexMessageStore (SQLite / PostgreSQL, bodies in `message_blobs`).
 */
import type { Knex } from 'knex';
import type { AuditEvent } from '../../core/audit.js';

/** RFC 6154 special-use attributes of the folders every mailbox gets. */
export type SpecialUse = '\\Sent' | '\\Drafts' | '\\Trash' | '\\Junk' | '\\Archive';

export interface Folder {
  id: number;
  mailboxId: number;
  /** Full name, `/`-separated; `INBOX` is always named so. */
  name: string;
  specialUse: SpecialUse | null;
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  subscribed: boolean;
  /** Messages in the folder and the sum of their sizes, kept up to date by every change. */
  messageCount: number;
  totalSize: number;
}

/** Counts for STATUS (RFC 3501, RFC 8438 SIZE, RFC 9208 DELETED / DELETED-STORAGE). */
export interface FolderStatus {
  messages: number;
  unseen: number;
  deleted: number;
  size: number;
  deletedSize: number;
}

/** Storage of one mailbox (all its folders) against its limit, in bytes. */
export interface QuotaUsage {
  usedBytes: number;
  limitBytes: number;
  messages: number;
}

/** Cached IMAP wire form of a message's ENVELOPE and BODYSTRUCTURE. */
export interface MessageDescription {
  envelope: string;
  bodyStructure: string;
}

/** Outcome of a conditional flag update (CONDSTORE UNCHANGEDSINCE). */
export interface FlagUpdateResult {
  /** Messages after the update (changed or not), with their modseq. */
  updated: MessageSummary[];
  /** UIDs not updated because they changed after the given modseq. */
  modified: number[];
}

export interface MessageSummary {
  folderId: number;
  uid: number;
  modseq: number;
  /** System flags (`\Seen`, `\Answered`, `\Flagged`, `\Deleted`, `\Draft`) and keywords. */
  flags: string[];
  internalDate: Date;
  /** Size in bytes of the raw message (RFC822.SIZE). */
  size: number;
  /** Decoded header fields kept for listings and search; the raw message stays authoritative. */
  subject: string;
  from: string;
  messageId: string | null;
  sentAt: Date | null;
}

export type FlagUpdateMode = 'add' | 'remove' | 'replace';

export type FolderChange =
  | { kind: 'exists'; folderId: number; uid: number; modseq: number }
  | { kind: 'flags'; folderId: number; uid: number; modseq: number; flags: string[] }
  | { kind: 'expunge'; folderId: number; uid: number; modseq: number };

export interface AppendOptions {
  flags?: string[];
  internalDate?: Date;
  /**
   * An audit record written in the same transaction as the copies: the acceptance of a
   * message is recorded if and only if the message is stored, and costs no commit of its own.
   */
  audit?: AuditEvent;
  /** Other writes of the same acceptance (the queued copies of a message also relayed), in the same transaction. */
  alongside?: (trx: Knex.Transaction) => Promise<void>;
}

export interface AppendResult {
  folderId: number;
  uidValidity: number;
  uid: number;
}

export interface CopyResult {
  /** UIDVALIDITY of the target folder. */
  uidValidity: number;
  /** Source UID → new UID in the target folder, ascending by source UID. */
  mapping: Array<{ from: number; to: number }>;
}

/** Folder hierarchy separator (`Archive/2026`), as IMAP LIST announces it. */
export const FOLDER_DELIMITER = '/';

/** Why a folder operation was refused; protocol front ends map it to their own codes. */
export type FolderProblem = 'exists' | 'nonexistent' | 'inbox' | 'has-children' | 'invalid-name';

export class FolderError extends Error {
  constructor(readonly problem: FolderProblem, message: string) {
    super(message);
    this.name = 'FolderError';
  }
}

/**
 * Appends and deliveries beyond a box's storage limit fail with HygieError MAILBOX_FULL
 * (SMTP 552 5.2.2, IMAP NO [OVERQUOTA]); nothing of the delivery is stored then.
 */
export interface MessageStore {
  /** The mailbox's folders, creating the default set (INBOX, Sent, Drafts, Trash, Junk, Archive) on first use. */
  listFolders(mailboxId: number): Promise<Folder[]>;
  /** One folder by name (`INBOX` matched case-insensitively), or undefined. */
  getFolder(mailboxId: number, name: string): Promise<Folder | undefined>;
  /** Creates a folder (its parents too, as RFC 3501 CREATE does); FolderError when it exists or the name is invalid. */
  createFolder(mailboxId: number, name: string): Promise<Folder>;
  /** Deletes a folder and its messages; INBOX and folders with children are refused. */
  deleteFolder(mailboxId: number, name: string): Promise<void>;
  /** Renames a folder and its children, keeping UIDVALIDITY and messages; INBOX is refused. */
  renameFolder(mailboxId: number, from: string, to: string): Promise<void>;
  /** Marks a folder subscribed or not (LSUB, clients' folder panes). */
  setSubscribed(mailboxId: number, name: string, subscribed: boolean): Promise<void>;
  /** Messages of a folder, ordered by UID (sequence number = index + 1); only the given UIDs when `uids` is set. */
  listMessages(folderId: number, uids?: readonly number[]): Promise<MessageSummary[]>;
  /** The raw RFC 5322 bytes of one message; throws if it does not exist. */
  readMessage(folderId: number, uid: number): Promise<Buffer>;
  /** Several messages at once (one lookup, concurrent file reads); UIDs that no longer exist are absent. */
  readMessages(folderId: number, uids: readonly number[]): Promise<Map<number, Buffer>>;
  /** Stores a message in a folder, durably, before resolving. */
  append(mailboxId: number, folderName: string, raw: Buffer, options?: AppendOptions): Promise<AppendResult>;
  /**
   * Delivers one message to the INBOX of each mailbox, in one transaction: either every
   * copy is stored and the change committed, or none is.
   */
  deliver(mailboxIds: readonly number[], raw: Buffer, options?: AppendOptions): Promise<AppendResult[]>;
  /** Changes flags of the given UIDs; returns the updated summaries (with new modseq). */
  updateFlags(folderId: number, uids: readonly number[], flags: readonly string[], mode: FlagUpdateMode): Promise<MessageSummary[]>;
  /** Copies the given UIDs (flags and internal date kept) to another folder of the same mailbox, in one transaction. */
  copy(folderId: number, uids: readonly number[], targetFolderId: number): Promise<CopyResult>;
  /** Removes the given UIDs (or every `\Deleted` message when `uids` is omitted); returns the UIDs removed. */
  expunge(folderId: number, uids?: readonly number[]): Promise<number[]>;
  /** Journal entries of a folder with modseq greater than `sinceModseq`, oldest first. */
  changesSince(folderId: number, sinceModseq: number): Promise<FolderChange[]>;
  /** Called after each committed change of the folder; returns a function that unsubscribes. */
  watch(folderId: number, listener: (change: FolderChange) => void): () => void;

  /** ENVELOPE / BODYSTRUCTURE of the given UIDs, cached at delivery (computed and saved for older messages). */
  describeMessages(folderId: number, uids: readonly number[]): Promise<Map<number, MessageDescription>>;
  /** UIDs whose decoded text contains `needle`, case-insensitively: headers and body (`text`) or body only. */
  searchText(folderId: number, needle: string, scope: 'text' | 'body'): Promise<Set<number>>;
  /** Decoded `name: value` header lines (lower-cased) of every message of a folder, for SEARCH HEADER. */
  headerTexts(folderId: number): Promise<Map<number, string>>;
  /** Like updateFlags, but leaves alone messages whose modseq is above `unchangedSince` (RFC 7162). */
  storeFlags(folderId: number, uids: readonly number[], flags: readonly string[], mode: FlagUpdateMode, unchangedSince?: number): Promise<FlagUpdateResult>;
  /** UIDs expunged from a folder after `sinceModseq`, ascending (QRESYNC VANISHED). */
  expungedSince(folderId: number, sinceModseq: number): Promise<number[]>;
  /** Counts for STATUS. */
  folderStatus(folderId: number): Promise<FolderStatus>;
  /** Storage used by a mailbox and its limit (the configured default unless set per box). */
  quota(mailboxId: number): Promise<QuotaUsage>;
  /** Sets a box's own storage limit in bytes; null returns it to the default. */
  setQuota(mailboxId: number, limitBytes: number | null): Promise<void>;
  /** Of these mailboxes, those that cannot take `size` more bytes (for a refusal per recipient before delivery). */
  overQuota(mailboxIds: readonly number[], size: number): Promise<number[]>;
}
