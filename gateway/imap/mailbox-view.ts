/**
 * The selected folder as one session sees it: the UID list that maps sequence numbers,
 * and the journal position (modseq) it is in sync with. Other sessions' changes are
 * replayed from the store's journal into untagged EXISTS / EXPUNGE (or QRESYNC's
 * VANISHED) / FETCH responses only when the protocol allows (RFC 3501 7.4.1). To stay
 * small for an idle session on a large folder, it keeps no flags: only the modseq up to
 * which this session already told the client a message's flags (its own STOREs, FETCHes).
 */
import type { Folder, MessageStore, MessageSummary } from '../store/types.js';
import { OWNER_RIGHTS } from './mailbox-access.js';
import { atom, type ResponseValue } from './proto/compiler.js';
import { formatSequenceSet, resolveSequenceNumbers, resolveUidIndexes, type SequenceSet } from './proto/sequence-set.js';

/** How the view reports changes: with MODSEQ (CONDSTORE), with VANISHED instead of EXPUNGE (QRESYNC). */
export interface ReportMode {
  condstore: boolean;
  qresync: boolean;
}

export interface MessageRef {
  seq: number;
  uid: number;
}

export class MailboxView {
  readonly folder: Folder;
  readonly readOnly: boolean;
  /** RFC 4314 rights of the user on this folder's box. */
  readonly rights: string;
  /** The name the client selected (`Partagés/…/INBOX` for a shared box). */
  readonly name: string;
  private uids: number[];
  /** UID → modseq whose flags the client already has from this session's own responses. */
  private readonly told = new Map<number, number>();
  private modseq: number;
  /** Set by the store's watch: the journal has something newer than `modseq`. */
  dirty = false;

  private constructor(folder: Folder, readOnly: boolean, messages: readonly MessageSummary[], rights: string, name: string) {
    this.folder = folder;
    this.readOnly = readOnly;
    this.rights = rights;
    this.name = name;
    this.modseq = folder.highestModseq;
    this.uids = messages.map((message) => message.uid);
  }

  /** The folder's modseq is read before its messages, so replaying the journal from it misses nothing. */
  static async open(store: MessageStore, folder: Folder, readOnly: boolean, access: { rights?: string; name?: string } = {}): Promise<{ view: MailboxView; messages: MessageSummary[] }> {
    const messages = await store.listMessages(folder.id);
    return { view: new MailboxView(folder, readOnly, messages, access.rights ?? OWNER_RIGHTS, access.name ?? folder.name), messages };
  }

  /** Whether the user may change this flag here (RFC 4314: \Seen needs s, \Deleted t, others w). */
  mayStore(flag: string): boolean {
    if (this.readOnly) return false;
    const lower = flag.toLowerCase();
    return this.rights.includes(lower === '\\seen' ? 's' : lower === '\\deleted' ? 't' : 'w');
  }

  get exists(): number {
    return this.uids.length;
  }

  /** The highest modseq this session is in sync with (HIGHESTMODSEQ it may announce). */
  get highestModseq(): number {
    return this.modseq;
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

  /** Records that the client has just been told a message's flags as of `modseq` (FETCH, STORE), so the replay does not repeat them. */
  noteFlags(uid: number, modseq: number): void {
    if (modseq > this.modseq && (this.told.get(uid) ?? 0) < modseq) this.told.set(uid, modseq);
  }

  /** Removes a message this session expunged itself; returns its sequence number before removal. */
  remove(uid: number): number | undefined {
    const seq = this.seqOf(uid);
    if (seq === undefined) return undefined;
    this.uids.splice(seq - 1, 1);
    this.told.delete(uid);
    return seq;
  }

  /** Removes messages this session expunged itself and returns the responses that say so. */
  removeAll(uids: readonly number[], mode: ReportMode): ResponseValue[][] {
    const gone: number[] = [];
    const out: ResponseValue[][] = [];
    for (const uid of uids) {
      const seq = this.remove(uid);
      if (seq === undefined) continue;
      if (mode.qresync) gone.push(uid);
      else out.push([seq, atom('EXPUNGE')]);
    }
    if (gone.length > 0) out.push([atom('VANISHED'), atom(formatSequenceSet(gone))]);
    return out;
  }

  /**
   * Applies the journal since the last sync and returns the untagged responses to send.
   * With `allowExpunge` false (during FETCH, STORE, SEARCH) it stops before the first
   * expunge, so sequence numbers the client holds stay valid.
   */
  async catchUp(store: MessageStore, allowExpunge: boolean, mode: ReportMode = { condstore: false, qresync: false }): Promise<ResponseValue[][]> {
    this.dirty = false;
    const changes = await store.changesSince(this.folder.id, this.modseq);
    const out: ResponseValue[][] = [];
    let existsPending = false;
    let vanished: number[] = [];
    const flush = (): void => {
      if (vanished.length > 0) out.push([atom('VANISHED'), atom(formatSequenceSet(vanished))]);
      vanished = [];
      if (existsPending) out.push([this.uids.length, atom('EXISTS')]);
      existsPending = false;
    };
    for (const change of changes) {
      if (change.kind === 'expunge' && !allowExpunge && this.seqOf(change.uid) !== undefined) {
        this.dirty = true; // more to deliver at the next allowed moment
        break;
      }
      if (change.kind === 'exists') {
        // New messages only ever go at the end; an older unknown UID was listed-then-expunged meanwhile.
        if (change.uid > this.maxUid) {
          if (vanished.length > 0) flush();
          this.uids.push(change.uid);
          existsPending = true;
        }
      } else if (change.kind === 'expunge') {
        const seq = this.seqOf(change.uid);
        if (seq !== undefined) {
          if (existsPending) flush();
          this.remove(change.uid);
          if (mode.qresync) vanished.push(change.uid);
          else out.push([seq, atom('EXPUNGE')]);
        }
      } else {
        const seq = this.seqOf(change.uid);
        if (seq !== undefined && (this.told.get(change.uid) ?? 0) < change.modseq) {
          flush();
          const values: ResponseValue[] = [atom('UID'), change.uid, atom('FLAGS'), change.flags.map(atom)];
          if (mode.condstore) values.push(atom('MODSEQ'), [change.modseq]);
          out.push([seq, atom('FETCH'), values]);
        }
      }
      this.modseq = Math.max(this.modseq, change.modseq);
    }
    flush();
    for (const [uid, modseq] of this.told) if (modseq <= this.modseq) this.told.delete(uid);
    return out;
  }
}
