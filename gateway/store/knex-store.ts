/**
 * MessageStore over knex (SQLite or PostgreSQL) and fsynced content-addressed files.
 * Each change takes the folder row first (an UPDATE that bumps uid_next / highest_modseq),
 * which serialises writers of one folder on PostgreSQL; SQLite has one writer anyway.
 * Watchers are woken in-process after commit.
 */
import { EventEmitter } from 'node:events';
import type { Knex } from 'knex';
import type { Clock } from '../../core/clock.js';
import { toBoolean, toIso } from '../../core/database.js';
import { WriteBatcher } from '../../core/write-batcher.js';
import { BlobStore } from './blob-store.js';
import { summariseHeaders } from './header-summary.js';
import type {
  AppendOptions, AppendResult, CopyResult, FlagUpdateMode, Folder, FolderChange, MessageStore, MessageSummary, SpecialUse,
} from './types.js';
import { FOLDER_DELIMITER, FolderError } from './types.js';

export const DEFAULT_FOLDERS: ReadonlyArray<{ name: string; specialUse: SpecialUse | null }> = [
  { name: 'INBOX', specialUse: null },
  { name: 'Sent', specialUse: '\\Sent' },
  { name: 'Drafts', specialUse: '\\Drafts' },
  { name: 'Trash', specialUse: '\\Trash' },
  { name: 'Junk', specialUse: '\\Junk' },
  { name: 'Archive', specialUse: '\\Archive' },
];

export class MessageNotFoundError extends Error {
  constructor(folderId: number, uid: number) {
    super(`no message with UID ${uid} in folder ${folderId}`);
    this.name = 'MessageNotFoundError';
  }
}

export class KnexMessageStore implements MessageStore {
  private readonly db: Knex;
  private readonly blobs: BlobStore;
  private readonly clock: Clock;
  private readonly events = new EventEmitter();
  private readonly writes: WriteBatcher;
  /** INBOX folder id per mailbox: looked up on every delivery, never changes once created. */
  private readonly inboxes = new Map<number, number>();

  constructor(options: { db: Knex; blobDir: string; clock: Clock }) {
    this.db = options.db;
    this.writes = new WriteBatcher(options.db);
    this.blobs = new BlobStore(options.blobDir);
    this.clock = options.clock;
    this.events.setMaxListeners(0);
  }

  async listFolders(mailboxId: number): Promise<Folder[]> {
    let rows = await this.db('folders').where({ mailbox_id: mailboxId }).orderBy('id');
    if (rows.length === 0) {
      await this.createDefaultFolders(mailboxId);
      rows = await this.db('folders').where({ mailbox_id: mailboxId }).orderBy('id');
    }
    return rows.map(toFolder);
  }

  async getFolder(mailboxId: number, name: string): Promise<Folder | undefined> {
    const wanted = name.toUpperCase() === 'INBOX' ? 'INBOX' : name;
    return (await this.listFolders(mailboxId)).find((f) => f.name === wanted);
  }

  async createFolder(mailboxId: number, name: string): Promise<Folder> {
    const wanted = checkFolderName(name);
    const folders = await this.listFolders(mailboxId);
    if (folders.some((f) => f.name === wanted)) throw new FolderError('exists', `folder "${wanted}" already exists`);
    const uidValidity = Math.floor(this.clock.now().getTime() / 1000);
    const parts = wanted.split(FOLDER_DELIMITER);
    const missing = parts.map((_, i) => parts.slice(0, i + 1).join(FOLDER_DELIMITER)).filter((n) => !folders.some((f) => f.name === n));
    await this.db('folders').insert(missing.map((folderName) => ({
      mailbox_id: mailboxId, name: folderName, special_use: null, uid_validity: uidValidity, uid_next: 1, highest_modseq: 1, subscribed: true,
    }))).onConflict(['mailbox_id', 'name']).ignore();
    return (await this.getFolder(mailboxId, wanted)) as Folder;
  }

  async deleteFolder(mailboxId: number, name: string): Promise<void> {
    const folder = await this.requireFolder(mailboxId, name);
    if (folder.name === 'INBOX') throw new FolderError('inbox', 'INBOX cannot be deleted');
    const folders = await this.listFolders(mailboxId);
    if (folders.some((f) => f.name.startsWith(folder.name + FOLDER_DELIMITER))) {
      throw new FolderError('has-children', `folder "${folder.name}" has sub-folders: delete them first`);
    }
    // Rows of messages and journal go with the folder (ON DELETE CASCADE); message files stay for other copies.
    await this.writes.run((trx) => trx('folders').where({ id: folder.id }).delete());
  }

  async renameFolder(mailboxId: number, from: string, to: string): Promise<void> {
    const folder = await this.requireFolder(mailboxId, from);
    if (folder.name === 'INBOX') throw new FolderError('inbox', 'INBOX cannot be renamed here');
    const target = checkFolderName(to);
    const folders = await this.listFolders(mailboxId);
    if (folders.some((f) => f.name === target)) throw new FolderError('exists', `folder "${target}" already exists`);
    if (target.startsWith(folder.name + FOLDER_DELIMITER)) throw new FolderError('invalid-name', 'a folder cannot be moved inside itself');
    const moved = folders.filter((f) => f.name === folder.name || f.name.startsWith(folder.name + FOLDER_DELIMITER));
    await this.writes.run(async (trx) => {
      for (const f of moved) await trx('folders').where({ id: f.id }).update({ name: target + f.name.slice(folder.name.length) });
    });
  }

  async setSubscribed(mailboxId: number, name: string, subscribed: boolean): Promise<void> {
    const folder = await this.requireFolder(mailboxId, name);
    await this.writes.run((trx) => trx('folders').where({ id: folder.id }).update({ subscribed }));
  }

  private async requireFolder(mailboxId: number, name: string): Promise<Folder> {
    const folder = await this.getFolder(mailboxId, name);
    if (!folder) throw new FolderError('nonexistent', `no folder "${name}"`);
    return folder;
  }

  async listMessages(folderId: number): Promise<MessageSummary[]> {
    const rows = await this.db('messages').where({ folder_id: folderId }).orderBy('uid');
    return rows.map(toSummary);
  }

  async readMessage(folderId: number, uid: number): Promise<Buffer> {
    const row = await this.db('messages').where({ folder_id: folderId, uid }).first('blob_id');
    if (!row) throw new MessageNotFoundError(folderId, uid);
    return this.blobs.get(row.blob_id);
  }

  async readMessages(folderId: number, uids: readonly number[]): Promise<Map<number, Buffer>> {
    const rows: Array<{ uid: number | string; blob_id: string }> = uids.length === 0 ? []
      : await this.db('messages').where({ folder_id: folderId }).whereIn('uid', [...uids]).select('uid', 'blob_id');
    const contents = await Promise.all(rows.map((row) => this.blobs.get(row.blob_id)));
    return new Map(rows.map((row, index) => [Number(row.uid), contents[index] as Buffer]));
  }

  async append(mailboxId: number, folderName: string, raw: Buffer, options: AppendOptions = {}): Promise<AppendResult> {
    const folder = await this.getFolder(mailboxId, folderName);
    if (!folder) throw new Error(`mailbox ${mailboxId} has no folder "${folderName}"`);
    const [result] = await this.insertCopies([folder.id], raw, options);
    return result as AppendResult;
  }

  async deliver(mailboxIds: readonly number[], raw: Buffer, options: AppendOptions = {}): Promise<AppendResult[]> {
    const folderIds: number[] = [];
    for (const mailboxId of new Set(mailboxIds)) {
      let inboxId = this.inboxes.get(mailboxId);
      if (inboxId === undefined) {
        const inbox = await this.getFolder(mailboxId, 'INBOX');
        if (!inbox) throw new Error(`mailbox ${mailboxId} has no INBOX`);
        inboxId = inbox.id;
        this.inboxes.set(mailboxId, inboxId);
      }
      folderIds.push(inboxId);
    }
    return this.insertCopies(folderIds, raw, options);
  }

  async updateFlags(folderId: number, uids: readonly number[], flags: readonly string[], mode: FlagUpdateMode): Promise<MessageSummary[]> {
    if (uids.length === 0) return [];
    return this.write(async (trx) => {
      const changes: FolderChange[] = [];
      const rows = await trx('messages').where({ folder_id: folderId }).whereIn('uid', [...uids]).orderBy('uid');
      const results: MessageSummary[] = [];
      let modseq: number | undefined;
      for (const row of rows) {
        const current = splitFlags(row.flags);
        const next = applyFlags(current, flags, mode);
        if (sameFlags(current, next)) {
          results.push(toSummary(row));
          continue;
        }
        modseq ??= await this.bumpFolder(trx, folderId, 0);
        await trx('messages').where({ id: row.id }).update({ flags: next.join(' '), modseq });
        await trx('message_changes').insert({ folder_id: folderId, modseq, uid: row.uid, kind: 'flags', flags: next.join(' ') });
        changes.push({ kind: 'flags', folderId, uid: Number(row.uid), modseq, flags: next });
        results.push(toSummary({ ...row, flags: next.join(' '), modseq }));
      }
      return { result: results, changes };
    });
  }

  async expunge(folderId: number, uids?: readonly number[]): Promise<number[]> {
    return this.write(async (trx) => {
      let query = trx('messages').where({ folder_id: folderId });
      if (uids) query = query.whereIn('uid', [...uids]);
      const rows = (await query.orderBy('uid').select('id', 'uid', 'flags'))
        .filter((row) => uids !== undefined || splitFlags(row.flags).includes('\\Deleted'));
      if (rows.length === 0) return { result: [], changes: [] };
      const modseq = await this.bumpFolder(trx, folderId, 0);
      const ids = rows.map((row) => row.id);
      for (let i = 0; i < ids.length; i += 500) await trx('messages').whereIn('id', ids.slice(i, i + 500)).delete();
      const journal = rows.map((row) => ({ folder_id: folderId, modseq, uid: row.uid, kind: 'expunge', flags: null }));
      for (let i = 0; i < journal.length; i += 200) await trx('message_changes').insert(journal.slice(i, i + 200));
      const changes: FolderChange[] = rows.map((row) => ({ kind: 'expunge', folderId, uid: Number(row.uid), modseq }));
      return { result: rows.map((row) => Number(row.uid)), changes };
    });
  }

  async changesSince(folderId: number, sinceModseq: number): Promise<FolderChange[]> {
    const rows = await this.db('message_changes').where({ folder_id: folderId }).where('modseq', '>', sinceModseq).orderBy('id');
    return rows.map((row): FolderChange => {
      const base = { folderId, uid: Number(row.uid), modseq: Number(row.modseq) };
      if (row.kind === 'flags') return { kind: 'flags', ...base, flags: splitFlags(row.flags) };
      return { kind: row.kind as 'exists' | 'expunge', ...base };
    });
  }

  watch(folderId: number, listener: (change: FolderChange) => void): () => void {
    const event = `folder:${folderId}`;
    this.events.on(event, listener);
    return () => this.events.off(event, listener);
  }

  async copy(folderId: number, uids: readonly number[], targetFolderId: number): Promise<CopyResult> {
    return this.write(async (trx) => {
      const target = await trx('folders').where({ id: targetFolderId }).first('uid_validity');
      if (!target) throw new Error(`no folder ${targetFolderId}`);
      const rows = uids.length === 0 ? [] : await trx('messages').where({ folder_id: folderId }).whereIn('uid', [...uids]).orderBy('uid');
      const changes: FolderChange[] = [];
      const mapping: Array<{ from: number; to: number }> = [];
      for (const row of rows) {
        const { uid, change } = await this.insertRow(trx, targetFolderId, { ...row, flags: splitFlags(row.flags) });
        changes.push(change);
        mapping.push({ from: Number(row.uid), to: uid });
      }
      return { result: { uidValidity: Number(target.uid_validity), mapping }, changes };
    });
  }

  /** Writes the body once, then one message row per folder, all in one transaction. */
  private async insertCopies(folderIds: readonly number[], raw: Buffer, options: AppendOptions): Promise<AppendResult[]> {
    const blobId = await this.blobs.put(raw);
    const summary = await summariseHeaders(raw);
    const row: MessageRowFields = {
      internal_date: toIso(options.internalDate ?? this.clock.now()), size: raw.length, blob_id: blobId,
      subject: summary.subject, from_text: summary.from, message_id: summary.messageId,
      sent_at: summary.sentAt ? toIso(summary.sentAt) : null, flags: normaliseFlags(options.flags ?? []),
    };
    return this.write(async (trx) => {
      const changes: FolderChange[] = [];
      const result: AppendResult[] = [];
      for (const folderId of folderIds) {
        const { uid, uidValidity, change } = await this.insertRow(trx, folderId, row);
        changes.push(change);
        result.push({ folderId, uidValidity, uid });
      }
      return { result, changes };
    });
  }

  /** Runs a write in the next group commit; watchers hear of its changes once it is committed. */
  private async write<T>(work: (trx: Knex.Transaction) => Promise<{ result: T; changes: FolderChange[] }>): Promise<T> {
    const { result, changes } = await this.writes.run(work);
    this.emit(changes);
    return result;
  }

  /** One new message row (next UID, new modseq) and its journal entry. */
  private async insertRow(trx: Knex.Transaction, folderId: number, row: MessageRowFields): Promise<{ uid: number; uidValidity: number; change: FolderChange }> {
    await trx('folders').where({ id: folderId }).increment({ uid_next: 1, highest_modseq: 1 });
    const folder = await trx('folders').where({ id: folderId }).first('uid_next', 'uid_validity', 'highest_modseq');
    const modseq = Number(folder.highest_modseq);
    const uid = Number(folder.uid_next) - 1;
    await trx('messages').insert({
      folder_id: folderId, uid, modseq, flags: row.flags.join(' '), internal_date: row.internal_date, size: row.size,
      blob_id: row.blob_id, subject: row.subject, from_text: row.from_text, message_id: row.message_id, sent_at: row.sent_at,
    });
    await trx('message_changes').insert({ folder_id: folderId, modseq, uid, kind: 'exists', flags: null });
    return { uid, uidValidity: Number(folder.uid_validity), change: { kind: 'exists', folderId, uid, modseq } };
  }

  /** Bumps the folder's modseq (and UID counter); returns the new modseq. Locks the folder row until commit. */
  private async bumpFolder(trx: Knex.Transaction, folderId: number, uids: number): Promise<number> {
    await trx('folders').where({ id: folderId }).increment({ uid_next: uids, highest_modseq: 1 });
    const row = await trx('folders').where({ id: folderId }).first('highest_modseq');
    return Number(row.highest_modseq);
  }

  private async createDefaultFolders(mailboxId: number): Promise<void> {
    const uidValidity = Math.floor(this.clock.now().getTime() / 1000);
    const rows = DEFAULT_FOLDERS.map((f) => ({
      mailbox_id: mailboxId, name: f.name, special_use: f.specialUse, uid_validity: uidValidity, uid_next: 1,
      highest_modseq: 1, subscribed: true,
    }));
    await this.db('folders').insert(rows).onConflict(['mailbox_id', 'name']).ignore();
  }

  private emit(changes: readonly FolderChange[]): void {
    for (const change of changes) this.events.emit(`folder:${change.folderId}`, change);
  }
}

/** A folder name as stored: no empty levels, no control characters, INBOX spelled so. */
function checkFolderName(name: string): string {
  const trimmed = name.replace(/\/+$/, '');
  if (trimmed === '' || trimmed.length > 255) throw new FolderError('invalid-name', 'the folder name is empty or too long');
  if (/[\x00-\x1f\x7f]/.test(trimmed) || trimmed.split(FOLDER_DELIMITER).some((part) => part === '')) {
    throw new FolderError('invalid-name', `"${trimmed}" is not a valid folder name`);
  }
  if (trimmed.toUpperCase() === 'INBOX') throw new FolderError('exists', 'INBOX already exists');
  return trimmed;
}

/** The columns a new message row takes from its source (a delivery, or the message copied). */
interface MessageRowFields {
  flags: string[];
  internal_date: string;
  size: number;
  blob_id: string;
  subject: string;
  from_text: string;
  message_id: string | null;
  sent_at: string | null;
}

const SYSTEM_FLAGS = new Map(['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft'].map((f) => [f.toLowerCase(), f]));

/** System flags in their canonical case, keywords as given, no duplicates, `\Recent` dropped (session-only). */
export function normaliseFlags(flags: readonly string[]): string[] {
  const out: string[] = [];
  for (const flag of flags) {
    if (flag.toLowerCase() === '\\recent') continue;
    const canonical = SYSTEM_FLAGS.get(flag.toLowerCase()) ?? flag;
    if (!out.some((f) => f.toLowerCase() === canonical.toLowerCase())) out.push(canonical);
  }
  return out;
}

function applyFlags(current: string[], flags: readonly string[], mode: FlagUpdateMode): string[] {
  const given = normaliseFlags(flags);
  if (mode === 'replace') return given;
  if (mode === 'add') return normaliseFlags([...current, ...given]);
  const removed = new Set(given.map((f) => f.toLowerCase()));
  return current.filter((f) => !removed.has(f.toLowerCase()));
}

function sameFlags(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((f) => b.includes(f));
}

function splitFlags(text: string | null): string[] {
  return text ? text.split(' ').filter(Boolean) : [];
}

function toFolder(row: Record<string, unknown>): Folder {
  return {
    id: Number(row.id),
    mailboxId: Number(row.mailbox_id),
    name: String(row.name),
    specialUse: (row.special_use as SpecialUse | null) ?? null,
    uidValidity: Number(row.uid_validity),
    uidNext: Number(row.uid_next),
    highestModseq: Number(row.highest_modseq),
    subscribed: toBoolean(row.subscribed),
  };
}

function toSummary(row: Record<string, unknown>): MessageSummary {
  return {
    folderId: Number(row.folder_id),
    uid: Number(row.uid),
    modseq: Number(row.modseq),
    flags: splitFlags(row.flags as string),
    internalDate: new Date(String(row.internal_date)),
    size: Number(row.size),
    subject: String(row.subject ?? ''),
    from: String(row.from_text ?? ''),
    messageId: (row.message_id as string | null) ?? null,
    sentAt: row.sent_at ? new Date(String(row.sent_at)) : null,
  };
}
