import type { MessageSummary } from '../../store/types.js';
import type { MailboxView, MessageRef } from '../mailbox-view.js';
import type { SequenceSet } from '../proto/sequence-set.js';
import { ImapSyntaxError } from '../proto/tokens.js';

/**
 * The messages a command's set names. By sequence number, a number past the last
 * message is a client error (BAD, as Dovecot does); by UID, unknown UIDs are just absent.
 */
export function resolveMessages(view: MailboxView, set: SequenceSet, byUid: boolean): MessageRef[] {
  if (!byUid) {
    for (const range of set) {
      for (const bound of [range.start, range.end]) {
        if (bound === '*' ? view.exists === 0 : bound > view.exists) {
          throw new ImapSyntaxError(view.exists === 0 ? 'No messages in this mailbox' : `Invalid message sequence number ${bound}`);
        }
      }
    }
  }
  return view.resolve(set, byUid);
}

/** Bounds on one read-ahead batch: enough to hide read latency, little enough to bound memory per session. */
const READ_AHEAD_MESSAGES = 32;
const READ_AHEAD_BYTES = 4 * 1024 * 1024;

export function* readAheadBatches(refs: readonly MessageRef[], summaries: ReadonlyMap<number, MessageSummary>, reading: boolean): Generator<MessageRef[]> {
  if (!reading) {
    yield [...refs];
    return;
  }
  let batch: MessageRef[] = [];
  let bytes = 0;
  for (const ref of refs) {
    const size = summaries.get(ref.uid)?.size ?? 0;
    if (batch.length > 0 && (batch.length >= READ_AHEAD_MESSAGES || bytes + size > READ_AHEAD_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(ref);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}
