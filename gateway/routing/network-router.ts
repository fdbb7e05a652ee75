/**
 * Which network a recipient is in, and whether this sender may write there: the
 * operator's own domains are local; then the MSSanté trust space (trust list and
 * *.mssante.fr), the Apicrypt domains (only when a connector is configured), the regional
 * S/MIME partners; anything else is external, refused for health data unless the
 * operator allows plain mail for non-health boxes. Refusals name the reason, so the user
 * learns at RCPT time what they cannot do.
 */
import { domainToASCII } from 'node:url';
import type { OperatorDomains } from '../../core/config.js';
import { HygieError } from '../../core/errors.js';
import { servedDomains } from '../../directory/addressing.js';
import type { SendingBox } from '../../directory/sending-rights.js';
import { domainMatches, type NetworkProfile } from './networks.js';
import type { TrustList } from './trust-list.js';

export type RouteDecision = { kind: 'local' } | { kind: 'network'; profile: NetworkProfile };

export class NetworkRouter {
  private readonly served: Set<string>;

  constructor(private readonly options: { profiles: readonly NetworkProfile[]; trustList: TrustList; domains: OperatorDomains }) {
    this.served = new Set(servedDomains(options.domains));
  }

  get profiles(): readonly NetworkProfile[] {
    return this.options.profiles;
  }

  profile(name: NetworkProfile['name']): NetworkProfile {
    const found = this.options.profiles.find((p) => p.name === name);
    if (!found) throw new Error(`no network profile ${name}`);
    return found;
  }

  /** The network of an address, whoever sends. */
  async route(address: string): Promise<RouteDecision> {
    const domain = domainOf(address);
    if (this.served.has(domain)) return { kind: 'local' };
    for (const profile of this.options.profiles) {
      if (profile.name === 'external') continue;
      if (profile.domains.some((p) => domainMatches(domain, p)) || (profile.usesTrustList && await this.options.trustList.contains(domain))) {
        return { kind: 'network', profile };
      }
    }
    return { kind: 'network', profile: this.profile('external') };
  }

  /**
   * The route for a recipient of this sender, or the reason it cannot be written to:
   * no connector, no identity in that network, plain mail refused.
   */
  async routeFor(address: string, sender: SendingBox): Promise<RouteDecision> {
    const decision = await this.route(address);
    if (decision.kind === 'local') return decision;
    const { profile } = decision;
    if (profile.name === 'apicrypt' && !profile.settings.relayHost) {
      throw new HygieError('NO_ROUTE', `${address} is on Apicrypt, and no Apicrypt connector is configured on this operator (networks.apicrypt.relayHost)`);
    }
    if (profile.name === 'external') {
      if (!profile.allowPlain) {
        throw new HygieError('NO_ROUTE', `${address} is outside the health networks (MSSanté, Apicrypt, regional S/MIME): health data cannot be sent there`);
      }
      if (sender.isHealthProfessional) {
        throw new HygieError('NO_ROUTE', `${address} is outside the health networks: only non-health boxes may send plain mail there`);
      }
    }
    if (!identityIn(sender, profile)) {
      throw new HygieError('NO_ROUTE', `${address} is in the ${profile.name} network, where ${sender.displayName} has no address`);
    }
    return decision;
  }
}

/** The sender's address that is its identity in this network. */
export function identityIn(sender: SendingBox, profile: NetworkProfile): string | undefined {
  return sender.addresses.find((a) => a.network === profile.identity)?.address;
}

function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) throw new HygieError('INVALID_INPUT', `"${address}" is not a valid address`);
  return domainToASCII(address.slice(at + 1).toLowerCase()) || address.slice(at + 1).toLowerCase();
}
