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
