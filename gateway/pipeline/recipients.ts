/**
 * Step: decide what to do with one RCPT TO. An address of a domain this operator
 * serves must exist in the directory; postmaster, bare or at any served domain, is the
 * postmaster box. Any other domain is refused on the MX port (no
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
  private readonly postmaster: string;

  constructor(private readonly directory: Pick<MailboxService, 'resolveAddress'>, domains: OperatorDomains, private readonly router?: NetworkRouter) {
    this.served = new Set(servedDomains(domains));
    this.postmaster = postmasterAddress(domains);
  }

  async resolve(given: string, channel: IntakeChannel, sender?: SendingBox): Promise<Recipient> {
    // RFC 5321 §4.5.1: "postmaster" with no domain must be accepted, for the server's own domain.
    const address = given.trim().toLowerCase() === 'postmaster' ? this.postmaster : given;
    const at = address.lastIndexOf('@');
    if (at <= 0 || at === address.length - 1) throw new HygieError('INVALID_INPUT', `"${address}" is not a valid address`);
    const domain = address.slice(at + 1).toLowerCase();
    if (!this.served.has(domain)) {
      if (channel === 'mx') throw new HygieError('RELAY_DENIED', `${domain} is not served here`);
      if (!this.router || !sender) throw new HygieError('NO_ROUTE', `no route to ${domain} is configured on this operator`);
      const decision = await this.router.routeFor(address, sender);
      if (decision.kind === 'network') return { kind: 'remote', address: address.trim(), network: decision.profile.name };
    }
    let found = await this.directory.resolveAddress(address);
    // postmaster@ any served domain (an MSSanté or Apicrypt alias too) reaches the one postmaster box.
    if (!found && address.slice(0, at).toLowerCase() === 'postmaster') found = await this.directory.resolveAddress(this.postmaster);
    if (!found) throw new HygieError('RECIPIENT_UNKNOWN', `${address.toLowerCase()} does not exist`);
    if (found.deleted) throw new HygieError('MAILBOX_DELETED', `${address.toLowerCase()} belongs to a deleted mailbox`);
    return { kind: 'local', address: found.address, mailboxId: found.mailboxId };
  }
}

/** Where mail for postmaster goes: postmaster@ the regional domain, a box the operator creates (hygie mailbox create-org --local-part postmaster). */
export function postmasterAddress(domains: OperatorDomains): string {
  return `postmaster@${domains.regional}`;
}
