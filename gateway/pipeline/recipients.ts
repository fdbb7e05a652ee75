/**
 * Step: decide what to do with one RCPT TO. An address of a domain this operator
 * serves must exist in the directory. Any other domain is refused on the MX port (no
 * open relay); on submission the network router says which network it is in and whether
 * this sender may write there (gateway/routing).
 */
import type { OperatorDomains } from '../../core/config.js';
import { HygieError } from '../../core/errors.js';
import { servedDomains } from '../../directory/addressing.js';
import type { MailboxService } from '../../directory/mailbox-service.js';
import type { SendingBox } from '../../directory/sending-rights.js';
import type { NetworkRouter } from '../routing/network-router.js';
import type { IntakeChannel, Recipient } from './types.js';

export class RecipientResolver {
  private readonly served: Set<string>;

  constructor(private readonly directory: Pick<MailboxService, 'resolveAddress'>, domains: OperatorDomains, private readonly router?: NetworkRouter) {
    this.served = new Set(servedDomains(domains));
  }

  async resolve(address: string, channel: IntakeChannel, sender?: SendingBox): Promise<Recipient> {
    const at = address.lastIndexOf('@');
    if (at <= 0 || at === address.length - 1) throw new HygieError('INVALID_INPUT', `"${address}" is not a valid address`);
    const domain = address.slice(at + 1).toLowerCase();
    if (!this.served.has(domain)) {
      if (channel === 'mx') throw new HygieError('RELAY_DENIED', `${domain} is not served here`);
      if (!this.router || !sender) throw new HygieError('NO_ROUTE', `no route to ${domain} is configured on this operator`);
      const decision = await this.router.routeFor(address, sender);
      if (decision.kind === 'network') return { kind: 'remote', address: address.trim(), network: decision.profile.name };
    }
    const found = await this.directory.resolveAddress(address);
    if (!found) throw new HygieError('RECIPIENT_UNKNOWN', `${address.toLowerCase()} does not exist`);
    if (found.deleted) throw new HygieError('MAILBOX_DELETED', `${address.toLowerCase()} belongs to a deleted mailbox`);
    return { kind: 'local', address: found.address, mailboxId: found.mailboxId };
  }
}
