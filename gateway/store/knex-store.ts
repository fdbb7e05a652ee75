/**
 * MessageStore over knex (SQLite or PostgreSQL) and fsynced content-addressed files.
 * Each change takes the folder row first (an UPDATE that bumps uid_next / highest_modseq),
 * which serialises writers of one folder on PostgreSQL; SQLite has one writer anyway.
 * Watchers are woken in-process after commit.
 */
import { headerBlock } from './header-summary.js';
import { EventEmitter } from 'node:events';
import type { Knex } from 'knex';
import type { AuditTrail } from '../../core/audit.js';
import type { Clock } from '../../core/clock.js';
import { databaseKind, toBoolean, toIso } from '../../core/database.js';
import { HygieError } from '../../core/errors.js';
import { knexKeyReads, type KeyReads } from '../../core/key-reads.js';
import { insertInCommit, WriteBatcher } from '../../core/write-batcher.js';
import { MessageBlobs } from './message-blobs.js';
import { indexMessage, type MessageIndex } from './message-index.js';
import type {
  AppendOptions, AppendResult, CopyResult, FlagUpdateMode, FlagUpdateResult, Folder, FolderChange, FolderStatus, MessageDescription,
  MessageStore, MessageSummary, QuotaUsage, SpecialUse,
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

/** Storage limit of a box unless set otherwise (`setQuota`). */
export const DEFAULT_QUOTA_BYTES = 2 * 1024 ** 3;

export interface KnexMessageStoreOptions {
  db: Knex;
  /** Where earlier versions kept bodies as files: still read for messages stored then. */
  blobDir: string;
  clock: Clock;
  /** Default storage limit per box, in bytes (2 GiB unless configured). */
  quotaBytes?: number;
  /** Where `AppendOptions.audit` records go. */
  audit?: AuditTrail;
  /** Reads by key on every message (a read-only connection of their own on SQLite: core/key-reads.ts); knex's pool without it. */
  reads?: KeyReads;
}

export class MessageNotFoundError extends Error {
  constructor(folderId: number, uid: number) {
    super(`no message with UID ${uid} in folder ${folderId}`);
    this.name = 'MessageNotFoundError';
  }
}

export class KnexMessageStore implements MessageStore {
  private readonly db: Knex;
  private readonly reads: KeyReads;
  private readonly blobs: MessageBlobs;
  private readonly clock: Clock;
  private readonly events = new EventEmitter();
  private readonly writes: WriteBatcher;
  /** INBOX folder id per mailbox: looked up on every delivery, never changes once created. */
  private readonly inboxes = new Map<number, number>();
  private readonly quotaBytes: number;
  private readonly audit: AuditTrail | undefined;

  constructor(options: KnexMessageStoreOptions) {
    this.db = options.db;
    this.reads = options.reads ?? knexKeyReads(options.db);
    this.audit = options.audit;
    this.quotaBytes = options.quotaBytes ?? DEFAULT_QUOTA_BYTES;
    this.writes = WriteBatcher.of(options.db);
    this.blobs = new MessageBlobs(options.db, options.blobDir);
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
    const uidValidity = await this.nextUidValidity(mailboxId);
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

  async listMessages(folderId: number, uids?: readonly number[]): Promise<MessageSummary[]> {
    const rows = uids ? await selectByUids(this.db, folderId, uids, SUMMARY_COLUMNS)
      : await this.db('messages').where({ folder_id: folderId }).orderBy('uid').select(SUMMARY_COLUMNS);
    return rows.map(toSummary);
  }

  async readMessage(folderId: number, uid: number): Promise<Buffer> {
    const row = await this.db('messages').where({ folder_id: folderId, uid }).first('blob_id');
    if (!row) throw new MessageNotFoundError(folderId, uid);
    return this.blobs.get(row.blob_id);
  }

  async readMessages(folderId: number, uids: readonly number[]): Promise<Map<number, Buffer>> {
    const rows = await selectByUids(this.db, folderId, uids, ['uid', 'blob_id']);
    const contents = await this.blobs.getMany(rows.map((row) => String(row.blob_id)));
    return new Map(rows.map((row) => [Number(row.uid), contents.get(String(row.blob_id)) as Buffer]));
  }

  async append(mailboxId: number, folderName: string, raw: Buffer, options: AppendOptions = {}): Promise<AppendResult> {
    // The gateway keeps a Sent copy of what a user submits, and mail clients append their
    // own: the same Message-ID in the Sent folder is the same message, kept once. The
    // folder and that copy are found in one statement (the gateway appends to Sent for
    // every message it relays).
    const messageId = messageIdOf(raw) ?? null;
    const wanted = folderName.toUpperCase() === 'INBOX' ? 'INBOX' : folderName;
    let [found] = await this.reads.rows<{ id: number; uid_validity: number; special_use: string | null; same_message_uid: number | null }>(
      `SELECT id, uid_validity, special_use, (SELECT uid FROM messages WHERE messages.folder_id = folders.id AND messages.message_id = ? LIMIT 1) AS same_message_uid
         FROM folders WHERE mailbox_id = ? AND name = ?`, [messageId, mailboxId, wanted]);
    if (!found) {
      // A box seen for the first time gets its default folders here.
      const folder = await this.getFolder(mailboxId, folderName);
      if (!folder) throw new Error(`mailbox ${mailboxId} has no folder "${folderName}"`);
      found = { id: folder.id, uid_validity: folder.uidValidity, special_use: folder.specialUse, same_message_uid: null };
    }
    if (found.special_use === '\\Sent' && found.same_message_uid !== null) {
      // Kept once, but what was to be written with it still is (a client sending again after an error).
      if (options.audit || options.alongside) await this.writes.run((trx) => this.writeAlongside(trx, options));
      return { folderId: Number(found.id), uidValidity: Number(found.uid_validity), uid: Number(found.same_message_uid) };
    }
    const [result] = await this.insertCopies([Number(found.id)], raw, options);
    return result as AppendResult;
  }

  async deliver(mailboxIds: readonly number[], raw: Buffer, options: AppendOptions = {}): Promise<AppendResult[]> {
    const inboxIds: number[] = [];
    for (const mailboxId of new Set(mailboxIds)) {
      let inboxId = this.inboxes.get(mailboxId);
      if (inboxId === undefined) {
        const inbox = await this.getFolder(mailboxId, 'INBOX');
        if (!inbox) throw new Error(`mailbox ${mailboxId} has no INBOX`);
        inboxId = inbox.id;
        this.inboxes.set(mailboxId, inboxId);
      }
      inboxIds.push(inboxId);
    }
    return this.insertCopies(inboxIds, raw, options);
  }

  async updateFlags(folderId: number, uids: readonly number[], flags: readonly string[], mode: FlagUpdateMode): Promise<MessageSummary[]> {
    return (await this.storeFlags(folderId, uids, flags, mode)).updated;
  }

  async storeFlags(folderId: number, uids: readonly number[], flags: readonly string[], mode: FlagUpdateMode, unchangedSince?: number): Promise<FlagUpdateResult> {
    if (uids.length === 0) return { updated: [], modified: [] };
    return this.write(async (trx) => {
      const changes: FolderChange[] = [];
      const rows = await selectByUids(trx, folderId, uids, SUMMARY_COLUMNS);
      const results: MessageSummary[] = [];
      const modified: number[] = [];
      let modseq: number | undefined;
      for (const row of rows) {
        if (unchangedSince !== undefined && Number(row.modseq) > unchangedSince) {
          modified.push(Number(row.uid));
          continue;
        }
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
      return { result: { updated: results, modified }, changes };
    });
  }

  async expunge(folderId: number, uids?: readonly number[]): Promise<number[]> {
    return this.write(async (trx) => {
      const columns = ['id', 'uid', 'flags', 'size'];
      const rows = (uids ? await selectByUids(trx, folderId, uids, columns) : await trx('messages').where({ folder_id: folderId }).orderBy('uid').select(columns))
        .filter((row) => uids !== undefined || splitFlags(row.flags).includes('\\Deleted'));
      if (rows.length === 0) return { result: [], changes: [] };
      const modseq = await this.bumpFolder(trx, folderId, 0);
      const freed = rows.reduce((sum, row) => sum + Number(row.size), 0);
      await trx('folders').where({ id: folderId }).decrement({ message_count: rows.length, total_size: freed });
      const ids = rows.map((row) => row.id);
      for (let i = 0; i < ids.length; i += 500) await trx('messages').whereIn('id', ids.slice(i, i + 500)).delete();
      const journal = rows.map((row) => ({ folder_id: folderId, modseq, uid: row.uid, kind: 'expunge', flags: null }));
      for (let i = 0; i < journal.length; i += 200) await trx('message_changes').insert(journal.slice(i, i + 200));
      const changes: FolderChange[] = rows.map((row) => ({ kind: 'expunge', folderId, uid: Number(row.uid), modseq }));
      return { result: rows.map((row) => Number(row.uid)), changes };
    });
  }

  async changesSince(folderId: number, sinceModseq: number): Promise<FolderChange[]> {
    // In modseq order, the order the changes happened in: within one group commit, rows held
    // for the end of the batch (a delivery's, write-batcher.ts) get ids after the rows of
    // later jobs. A reader going by id could take a later modseq as its position and then
    // never be told of the delivery (an IMAP session stopping at an expunge, say).
    const rows = await this.db('message_changes').where({ folder_id: folderId }).where('modseq', '>', sinceModseq)
      .orderBy([{ column: 'modseq' }, { column: 'id' }]);
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
      const rows = uids.length === 0 ? [] : await selectByUids(trx, folderId, uids, '*');
      const changes: FolderChange[] = [];
      const mapping: Array<{ from: number; to: number }> = [];
      for (const row of rows) {
        const { uid, change } = await this.insertRow(trx, targetFolderId, { ...row, flags: splitFlags(row.flags) } as MessageRowFields);
        changes.push(change);
        mapping.push({ from: Number(row.uid), to: uid });
      }
      return { result: { uidValidity: Number(target.uid_validity), mapping }, changes };
    });
  }

  /** Writes the body once, then one message row per folder, all in one transaction. */
  private async insertCopies(folderIds: readonly number[], raw: Buffer, options: AppendOptions): Promise<AppendResult[]> {
    const blobId = MessageBlobs.idOf(raw);
    const index = indexMessage(raw);
    const summary = index.summary;
    const row: MessageRowFields = {
      internal_date: toIso(options.internalDate ?? this.clock.now()), size: raw.length, blob_id: blobId,
      subject: summary.subject, from_text: summary.from, message_id: summary.messageId,
      sent_at: summary.sentAt ? toIso(summary.sentAt) : null, flags: normaliseFlags(options.flags ?? []),
      envelope: index.envelope, body_structure: index.bodyStructure,
    };
    return this.write(async (trx) => {
      const changes: FolderChange[] = [];
      const result: AppendResult[] = [];
      await this.writeAlongside(trx, options);
      await this.blobs.put(trx, raw, blobId);
      await saveTexts(trx, blobId, index);
      for (const folderId of folderIds) {
        const { uid, uidValidity, change } = await this.insertRow(trx, folderId, row);
        changes.push(change);
        result.push({ folderId, uidValidity, uid });
      }
      return { result, changes };
    });
  }

  /** The audit record and other writes that commit with a copy. */
  private async writeAlongside(trx: Knex.Transaction, options: AppendOptions): Promise<void> {
    if (options.audit && !this.audit) throw new Error('this store has no audit trail to record in');
    if (options.alongside) await options.alongside(trx);
    // Last, so that the records of what went with the copy (a relay) come before it in the trail.
    if (options.audit) await this.audit?.record(options.audit, trx);
  }

  /** Runs a write in the next group commit; watchers hear of its changes once it is committed. */
  private async write<T>(work: (trx: Knex.Transaction) => Promise<{ result: T; changes: FolderChange[] }>): Promise<T> {
    const { result, changes } = await this.writes.run(work);
    this.emit(changes);
    return result;
  }

  /**
   * One new message row (next UID, new modseq) and its journal entry, refused if it would
   * take the box past its quota. The quota is checked by the statement that counts the
   * message in its folder, so a delivery costs one statement before its held rows.
   */
  private async insertRow(trx: Knex.Transaction, folderId: number, row: MessageRowFields): Promise<{ uid: number; uidValidity: number; change: FolderChange }> {
    // UPDATE … RETURNING (SQLite ≥ 3.35, PostgreSQL): the new counters without a second statement.
    const [folder] = await trx('folders').where({ id: folderId })
      .whereRaw(`(SELECT coalesce(sum(f.total_size), 0) FROM folders f WHERE f.mailbox_id = folders.mailbox_id) + ?
        <= coalesce((SELECT q.storage_limit FROM mailbox_quotas q WHERE q.mailbox_id = folders.mailbox_id), ?)`, [Number(row.size), this.quotaBytes])
      .update({
        uid_next: trx.raw('uid_next + 1'), highest_modseq: trx.raw('highest_modseq + 1'), message_count: trx.raw('message_count + 1'),
        total_size: trx.raw('total_size + ?', [Number(row.size)]),
      }, ['uid_next', 'uid_validity', 'highest_modseq']);
    if (!folder) await this.refuseOverQuota(trx, folderId, Number(row.size));
    const modseq = Number(folder.highest_modseq);
    const uid = Number(folder.uid_next) - 1;
    // Written with the group commit's other new rows (write-batcher.ts): nothing here reads them back.
    await insertInCommit(trx, 'messages', {
      folder_id: folderId, uid, modseq, flags: row.flags.join(' '), internal_date: row.internal_date, size: row.size,
      blob_id: row.blob_id, subject: row.subject, from_text: row.from_text, message_id: row.message_id, sent_at: row.sent_at,
      envelope: row.envelope ?? null, body_structure: row.body_structure ?? null,
    });
    await insertInCommit(trx, 'message_changes', { folder_id: folderId, modseq, uid, kind: 'exists', flags: null });
    return { uid, uidValidity: Number(folder.uid_validity), change: { kind: 'exists', folderId, uid, modseq } };
  }

  /** Bumps the folder's modseq (and UID counter); returns the new modseq. Locks the folder row until commit. */
  private async bumpFolder(trx: Knex.Transaction, folderId: number, uids: number): Promise<number> {
    const [row] = await trx('folders').where({ id: folderId }).update({ uid_next: trx.raw('uid_next + ?', [uids]), highest_modseq: trx.raw('highest_modseq + 1') }, ['highest_modseq']);
    return Number(row.highest_modseq);
  }

  /**
   * A UIDVALIDITY for a new folder: the time in seconds, but always above any the box was
   * given before, so that a folder deleted and created again within a second does not
   * come back with the same UIDVALIDITY and restarted UIDs (clients would trust their cache).
   */
  private async nextUidValidity(mailboxId: number): Promise<number> {
    return this.writes.run(async (trx) => {
      const row = await trx('mailbox_uid_validity').where({ mailbox_id: mailboxId }).first('last_value');
      const value = Math.max(Math.floor(this.clock.now().getTime() / 1000), row ? Number(row.last_value) + 1 : 1);
      if (row) await trx('mailbox_uid_validity').where({ mailbox_id: mailboxId }).update({ last_value: value });
      else await trx('mailbox_uid_validity').insert({ mailbox_id: mailboxId, last_value: value });
      return value;
    });
  }

  private async createDefaultFolders(mailboxId: number): Promise<void> {
    const uidValidity = await this.nextUidValidity(mailboxId);
    const rows = DEFAULT_FOLDERS.map((f) => ({
      mailbox_id: mailboxId, name: f.name, special_use: f.specialUse, uid_validity: uidValidity, uid_next: 1,
      highest_modseq: 1, subscribed: true,
    }));
    await this.db('folders').insert(rows).onConflict(['mailbox_id', 'name']).ignore();
  }

  // ---- indexes, conditional stores, quota ------------------------------------------

  async describeMessages(folderId: number, uids: readonly number[]): Promise<Map<number, MessageDescription>> {
    const rows = await selectByUids(this.db, folderId, uids, ['uid', 'blob_id', 'envelope', 'body_structure']);
    const out = new Map<number, MessageDescription>();
    const missing: Array<{ uid: number; blobId: string }> = [];
    for (const row of rows) {
      if (row.envelope === null || row.body_structure === null) missing.push({ uid: Number(row.uid), blobId: String(row.blob_id) });
      else out.set(Number(row.uid), { envelope: String(row.envelope), bodyStructure: String(row.body_structure) });
    }
    if (missing.length > 0) {
      // Messages stored before the cache existed: described now, once.
      for (const { uid, blobId } of missing) {
        const index = indexMessage(await this.blobs.get(blobId));
        out.set(uid, { envelope: index.envelope, bodyStructure: index.bodyStructure });
        await this.writes.run(async (trx) => {
          await trx('messages').where({ blob_id: blobId }).update({ envelope: index.envelope, body_structure: index.bodyStructure });
          await saveTexts(trx, blobId, index);
        });
      }
    }
    return out;
  }

  async searchText(folderId: number, needle: string, scope: 'text' | 'body'): Promise<Set<number>> {
    await this.indexFolderTexts(folderId);
    const find = databaseKind(this.db) === 'postgres' ? 'strpos' : 'instr';
    const value = needle.toLowerCase();
    const query = this.db('messages').join('message_texts', 'message_texts.blob_id', 'messages.blob_id')
      .where('messages.folder_id', folderId).select('messages.uid');
    if (scope === 'body') query.whereRaw(`${find}(message_texts.body_text, ?) > 0`, [value]);
    else query.where((q) => q.whereRaw(`${find}(message_texts.header_text, ?) > 0`, [value]).orWhereRaw(`${find}(message_texts.body_text, ?) > 0`, [value]));
    return new Set((await query).map((row: { uid: number | string }) => Number(row.uid)));
  }

  async headerTexts(folderId: number): Promise<Map<number, string>> {
    await this.indexFolderTexts(folderId);
    const rows = await this.db('messages').join('message_texts', 'message_texts.blob_id', 'messages.blob_id')
      .where('messages.folder_id', folderId).select('messages.uid', 'message_texts.header_text');
    return new Map(rows.map((row: { uid: number | string; header_text: string }) => [Number(row.uid), row.header_text]));
  }

  /** Texts of messages stored before the search index existed. */
  private async indexFolderTexts(folderId: number): Promise<void> {
    const missing = await this.db('messages').leftJoin('message_texts', 'message_texts.blob_id', 'messages.blob_id')
      .where('messages.folder_id', folderId).whereNull('message_texts.blob_id').distinct('messages.blob_id');
    for (const row of missing as Array<{ blob_id: string }>) {
      const index = indexMessage(await this.blobs.get(row.blob_id));
      await this.writes.run((trx) => saveTexts(trx, row.blob_id, index));
    }
  }

  async expungedSince(folderId: number, sinceModseq: number): Promise<number[]> {
    const rows = await this.db('message_changes').where({ folder_id: folderId, kind: 'expunge' }).where('modseq', '>', sinceModseq).orderBy('uid').select('uid');
    return [...new Set(rows.map((row: { uid: number | string }) => Number(row.uid)))];
  }

  async folderStatus(folderId: number): Promise<FolderStatus> {
    const rows: Array<{ flags: string; size: number | string }> = await this.db('messages').where({ folder_id: folderId }).select('flags', 'size');
    const status: FolderStatus = { messages: rows.length, unseen: 0, deleted: 0, size: 0, deletedSize: 0 };
    for (const row of rows) {
      const flags = splitFlags(row.flags);
      const size = Number(row.size);
      status.size += size;
      if (!flags.includes('\\Seen')) status.unseen++;
      if (flags.includes('\\Deleted')) {
        status.deleted++;
        status.deletedSize += size;
      }
    }
    return status;
  }

  async quota(mailboxId: number): Promise<QuotaUsage> {
    await this.listFolders(mailboxId);
    return this.usage(this.db, mailboxId);
  }

  async setQuota(mailboxId: number, limitBytes: number | null): Promise<void> {
    if (limitBytes !== null && (!Number.isSafeInteger(limitBytes) || limitBytes < 0)) throw new HygieError('INVALID_INPUT', 'a quota is a whole number of bytes');
    await this.writes.run(async (trx) => {
      await trx('mailbox_quotas').where({ mailbox_id: mailboxId }).delete();
      if (limitBytes !== null) await trx('mailbox_quotas').insert({ mailbox_id: mailboxId, storage_limit: limitBytes });
    });
  }

  async overQuota(mailboxIds: readonly number[], size: number): Promise<number[]> {
    const full: number[] = [];
    for (const mailboxId of new Set(mailboxIds)) {
      const usage = await this.usage(this.db, mailboxId);
      if (usage.usedBytes + size > usage.limitBytes) full.push(mailboxId);
    }
    return full;
  }

  private async usage(db: Knex | Knex.Transaction, mailboxId: number): Promise<QuotaUsage> {
    const totals = await db('folders').where({ mailbox_id: mailboxId }).first(
      db.raw('coalesce(sum(total_size), 0) as used'), db.raw('coalesce(sum(message_count), 0) as messages'),
      db('mailbox_quotas').where({ mailbox_id: mailboxId }).select('storage_limit').as('own_limit'));
    const own = totals?.own_limit;
    return { usedBytes: Number(totals?.used ?? 0), messages: Number(totals?.messages ?? 0), limitBytes: own === null || own === undefined ? this.quotaBytes : Number(own) };
  }

  /** Why a message could not be counted in `folderId`: the folder is gone, or the box is full. */
  private async refuseOverQuota(trx: Knex.Transaction, folderId: number, adding: number): Promise<never> {
    const folder = await trx('folders').where({ id: folderId }).first('mailbox_id');
    if (!folder) throw new Error(`no folder ${folderId}`);
    const mailboxId = Number(folder.mailbox_id);
    const usage = await this.usage(trx, mailboxId);
    throw new HygieError('MAILBOX_FULL', `mailbox ${mailboxId} uses ${usage.usedBytes} of ${usage.limitBytes} bytes, ${adding} more refused`);
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
  envelope?: string | null;
  body_structure?: string | null;
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

/** Columns of a MessageSummary: the cached descriptions stay out of listings. */
const SUMMARY_COLUMNS = ['id', 'folder_id', 'uid', 'modseq', 'flags', 'internal_date', 'size', 'subject', 'from_text', 'message_id', 'sent_at'];

/** Rows of the given UIDs, ascending; long UID lists are asked in chunks (bound parameters are limited). */
async function selectByUids(db: Knex | Knex.Transaction, folderId: number, uids: readonly number[], columns: string[] | '*'): Promise<Array<Record<string, any>>> {
  if (uids.length === 0) return [];
  const out: Array<Record<string, any>> = [];
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  // A dense run (FETCH 1:* on a large folder, a few UIDs expunged) is one range query, whatever its length.
  const low = sorted[0]!;
  const high = sorted[sorted.length - 1]!;
  if (high - low + 1 <= 2 * sorted.length) {
    const rows = await db('messages').where({ folder_id: folderId }).whereBetween('uid', [low, high]).orderBy('uid').select(columns);
    if (high - low + 1 === sorted.length) return rows;
    const wanted = new Set(sorted);
    return rows.filter((row) => wanted.has(Number(row.uid)));
  }
  for (let i = 0; i < sorted.length; i += 500) {
    out.push(...await db('messages').where({ folder_id: folderId }).whereIn('uid', sorted.slice(i, i + 500)).orderBy('uid').select(columns));
  }
  return out;
}

async function saveTexts(trx: Knex.Transaction, blobId: string, index: MessageIndex): Promise<void> {
  await insertInCommit(trx, 'message_texts', { blob_id: blobId, header_text: index.headerText, body_text: index.bodyText }, { ignoreConflictOn: 'blob_id' });
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
    messageCount: Number(row.message_count ?? 0),
    totalSize: Number(row.total_size ?? 0),
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

/** The Message-ID field of a message, as stored in `messages.message_id`. */
function messageIdOf(raw: Buffer): string | undefined {
  const header = headerBlock(raw).toString('latin1').replace(/\r?\n[ \t]+/g, ' ');
  return /^message-id:\s*(\S[^\r\n]*?)\s*$/im.exec(header)?.[1];
}
