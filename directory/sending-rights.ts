/**
 * Which box a user sends as: its own (any of its addresses), or a box it holds a current
 * delegation with the `send` right on (an organisational box it is a member of, a
 * colleague's box during an absence). Sending through a delegation is audited.
 */
import type { AuditTrail } from '../core/audit.js';
import { HygieError } from '../core/errors.js';
import { normaliseAddress } from './addressing.js';
import type { DelegationService } from './delegations.js';
import type { MailboxService } from './mailbox-service.js';
import type { AuthenticatedUser, MailboxAddress } from './types.js';

export interface SendingBox {
  mailboxId: number;
  displayName: string;
  addresses: MailboxAddress[];
  isHealthProfessional: boolean;
  /** Set when the user sends for someone else's box. */
  delegatedTo?: { mailboxId: number; login: string };
}

export class SendingRights {
  constructor(private readonly options: { mailboxes: MailboxService; delegations: DelegationService; audit: AuditTrail }) {}

  async sendingBox(user: AuthenticatedUser, fromAddress: string): Promise<SendingBox> {
    const address = normaliseAddress(fromAddress);
    const own = await this.options.mailboxes.requireMailbox(user.mailboxId);
    if (own.addresses.some((a) => a.address === address)) {
      return { mailboxId: own.id, displayName: own.displayName, addresses: own.addresses, isHealthProfessional: own.isHealthProfessional };
    }
    const target = await this.options.mailboxes.resolveAddress(address);
    if (target && !target.deleted) {
      const rights = await this.options.delegations.rightsOf(user.mailboxId);
      if (rights.some((r) => r.mailboxId === target.mailboxId && r.rights.includes('send'))) {
        const box = await this.options.mailboxes.requireMailbox(target.mailboxId);
        await this.options.mailboxes.recordUse(box.id);
        await this.options.audit.record({
          action: 'delegation.send-as', outcome: 'success', actor: user.login, subject: String(box.id), channel: 'submission', details: { from: address },
        });
        return {
          mailboxId: box.id, displayName: box.displayName, addresses: box.addresses, isHealthProfessional: box.isHealthProfessional,
          delegatedTo: { mailboxId: user.mailboxId, login: user.login },
        };
      }
    }
    throw new HygieError('SENDER_NOT_OWNED', `${address} is not an address of ${user.login}, nor of a box it may send for`);
  }
}
