/**
 * Step: check the envelope sender. On submission a user may send only as one of its
 * own addresses (delegations come with the directory's delegation model); on the MX
 * port any syntactically valid sender, or the null sender of a bounce, is accepted.
 */
import { HygieError } from '../../core/errors.js';
import type { AuthenticatedUser } from '../../directory/types.js';
import type { IntakeChannel } from './types.js';

const ADDRESS = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

export function checkSender(mailFrom: string, channel: IntakeChannel, user: AuthenticatedUser | null): string {
  const address = mailFrom.trim().toLowerCase();
  if (address === '') {
    if (channel === 'submission') throw new HygieError('SENDER_INVALID', 'a user cannot send with an empty sender');
    return address;
  }
  if (!ADDRESS.test(address)) throw new HygieError('SENDER_INVALID', `"${mailFrom}" is not a valid address`);
  if (channel === 'submission') {
    if (!user) throw new HygieError('AUTH_REQUIRED');
    if (!user.addresses.some((a) => a.address === address)) {
      throw new HygieError('SENDER_NOT_OWNED', `${address} is not an address of ${user.login}`);
    }
  }
  return address;
}
