/**
 * Step: decide what to do with one RCPT TO. An address of a domain this operator
 * serves must exist in the directory; any other domain is refused (no open relay; routing
 * to the MSSanté space, Apicrypt and S/MIME partners comes with the routing profiles).
 */
import type { OperatorDomains } from '../../core/config.js';
import { HygieError } from '../../core/errors.js';
import { servedDomains } from '../../directory/addressing.js';
import type { MailboxService } from '../../directory/mailbox-service.js';
import type { IntakeChannel, LocalRecipient } from './types.js';

export class RecipientResolver {
  private readonly served: Set<string>;

  constructor(private readonly directory: Pick<MailboxService, 'resolveAddress'>, domains: OperatorDomains) {
    this.served = new Set(servedDomains(domains));
  }

  async resolve(address: string, channel: IntakeChannel): Promise<LocalRecipient> {
    const at = address.lastIndexOf('@');
    if (at <= 0 || at === address.length - 1) throw new HygieError('INVALID_INPUT', `"${address}" is not a valid address`);
    const domain = address.slice(at + 1).toLowerCase();
    if (!this.served.has(domain)) {
      throw channel === 'mx'
        ? new HygieError('RELAY_DENIED', `${domain} is not served here`)
        : new HygieError('NO_ROUTE', `no route to ${domain} is configured on this operator`);
    }
    const found = await this.directory.resolveAddress(address);
    if (!found) throw new HygieError('RECIPIENT_UNKNOWN', `${address.toLowerCase()} does not exist`);
    if (found.deleted) throw new HygieError('MAILBOX_DELETED', `${address.toLowerCase()} belongs to a deleted mailbox`);
    return { address: found.address, mailboxId: found.mailboxId };
  }
}
