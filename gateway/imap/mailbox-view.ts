/**
 * The selected folder as one session sees it: the UID list that maps sequence numbers,
 * the flags last reported to the client, and the journal position (modseq) it is in sync
 * with. Other sessions' changes are replayed from the store's journal into untagged
 * EXISTS / EXPUNGE / FETCH responses only when the protocol allows (RFC 3501 7.4.1).
 */
import type { Folder, FolderChange, MessageStore, MessageSummary } from '../store/types.js';
import { atom, type ResponseValue } from './proto/compiler.js';
import { resolveSequenceNumbers, resolveUidIndexes, type SequenceSet } from './proto/sequence-set.js';

export interface MessageRef {
  seq: number;
  uid: number;
}

export class MailboxView {
  readonly folder: Folder;
  readonly readOnly: boolean;
  private uids: number[];
  private readonly flags = new Map<number, readonly string[]>();
  private modseq: number;
  /** Set by the store's watch: the journal has something newer than `modseq`. */
  dirty = false;

  private constructor(folder: Folder, readOnly: boolean, messages: readonly MessageSummary[]) {
    this.folder = folder;
    this.readOnly = readOnly;
    this.modseq = folder.highestModseq;
    this.uids = messages.map((message) => message.uid);
    for (const message of messages) this.flags.set(message.uid, message.flags);
  }

  /** The folder's modseq is read before its messages, so replaying the journal from it misses nothing. */
  static async open(store: MessageStore, folder: Folder, readOnly: boolean): Promise<{ view: MailboxView; messages: MessageSummary[] }> {
    const messages = await store.listMessages(folder.id);
    return { view: new MailboxView(folder, readOnly, messages), messages };
  }

  get exists(): number {
    return this.uids.length;
  }

  get maxUid(): number {
    return this.uids.length === 0 ? 0 : this.uids[this.uids.length - 1]!;
  }

  /** The messages a sequence set names, by sequence number or by UID, ascending. */
  resolve(set: SequenceSet, byUid: boolean): MessageRef[] {
    if (byUid) return resolveUidIndexes(set, this.uids).map((index) => ({ seq: index + 1, uid: this.uids[index]! }));
    return resolveSequenceNumbers(set, this.uids.length).map((seq) => ({ seq, uid: this.uids[seq - 1]! }));
  }

  all(): MessageRef[] {
    return this.uids.map((uid, index) => ({ seq: index + 1, uid }));
  }

  seqOf(uid: number): number | undefined {
    let low = 0;
    let high = this.uids.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const value = this.uids[middle]!;
      if (value === uid) return middle + 1;
      if (value < uid) low = middle + 1;
      else high = middle - 1;
    }
    return undefined;
  }

  /** Records flags the client has just been told about (FETCH, STORE), so the journal replay does not repeat them. */
  noteFlags(uid: number, flags: readonly string[]): void {
    if (this.seqOf(uid) !== undefined) this.flags.set(uid, flags);
  }

  /** Removes a message this session expunged itself; returns its sequence number before removal. */
  remove(uid: number): number | undefined {
    const seq = this.seqOf(uid);
    if (seq === undefined) return undefined;
    this.uids.splice(seq - 1, 1);
    this.flags.delete(uid);
    return seq;
  }

  /**
   * Applies the journal since the last sync and returns the untagged responses to send.
   * With `allowExpunge` false (during FETCH, STORE, SEARCH) it stops before the first
   * expunge, so sequence numbers the client holds stay valid.
   */
  async catchUp(store: MessageStore, allowExpunge: boolean): Promise<ResponseValue[][]> {
    this.dirty = false;
    const changes = await store.changesSince(this.folder.id, this.modseq);
    const out: ResponseValue[][] = [];
    let existsPending = false;
    const flushExists = (): void => {
      if (existsPending) out.push([this.uids.length, atom('EXISTS')]);
      existsPending = false;
    };
    for (const change of changes) {
      if (change.kind === 'expunge' && !allowExpunge && this.seqOf(change.uid) !== undefined) {
        this.dirty = true; // more to deliver at the next allowed moment
        break;
      }
      this.apply(change, out, () => { existsPending = true; }, flushExists);
      this.modseq = Math.max(this.modseq, change.modseq);
    }
    flushExists();
    return out;
  }

  private apply(change: FolderChange, out: ResponseValue[][], markExists: () => void, flushExists: () => void): void {
    if (change.kind === 'exists') {
      // New messages only ever go at the end; an older unknown UID was listed-then-expunged meanwhile.
      if (change.uid > this.maxUid) {
        this.uids.push(change.uid);
        markExists();
      }
    } else if (change.kind === 'expunge') {
      const seq = this.seqOf(change.uid);
      if (seq === undefined) return;
      flushExists();
      this.remove(change.uid);
      out.push([seq, atom('EXPUNGE')]);
    } else {
      const seq = this.seqOf(change.uid);
      if (seq === undefined) return;
      const known = this.flags.get(change.uid);
      if (known && sameFlags(known, change.flags)) return;
      flushExists();
      this.flags.set(change.uid, change.flags);
      out.push([seq, atom('FETCH'), [atom('UID'), change.uid, atom('FLAGS'), change.flags.map(atom)]]);
    }
  }
}

function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((flag) => b.includes(flag));
}
