/**
 * The networks a message can go to, as profiles built from the configuration
 * (`networks` section): which domains belong to each, which of the sender's addresses is
 * the identity there, what protection it requires, and how it is reached. Code paths do
 * not name networks; they read these profiles.
 */
import type { Config, NetworkSettings } from '../../core/config.js';
import type { AddressNetwork } from '../../directory/types.js';

export type NetworkName = 'mssante' | 'apicrypt' | 'regional' | 'external';

/**
 * channel: the message travels as written, protected by (mutual) TLS;
 * connector: handed to a relay that applies the network's own protection (Apicrypt);
 * smime: signed with the sender's key and encrypted to every recipient (and the sender);
 * none: plain mail, allowed for non-health boxes only.
 */
export type Protection = 'channel' | 'connector' | 'smime' | 'none';

export interface NetworkProfile {
  name: NetworkName;
  /** Which of the sender's addresses is its identity in this network. */
  identity: AddressNetwork;
  protection: Protection;
  /** Domain patterns (`example.org`, `*.example.org`) besides the trust list. */
  domains: readonly string[];
  /** MSSanté: domains on the national trust list belong here. */
  usesTrustList: boolean;
  /** TLS with a client certificate is required, both ways. */
  mutualTls: boolean;
  /** External network only: plain mail from non-health boxes is allowed. */
  allowPlain: boolean;
  settings: Readonly<NetworkSettings>;
}

export function networkProfiles(config: Readonly<Config>): NetworkProfile[] {
  const n = config.networks;
  return [
    {
      name: 'mssante', identity: 'mssante', protection: 'channel', usesTrustList: true, mutualTls: true, allowPlain: false,
      domains: ['*.mssante.fr', ...n.mssante.domains], settings: n.mssante,
    },
    { name: 'apicrypt', identity: 'apicrypt', protection: 'connector', usesTrustList: false, mutualTls: true, allowPlain: false, domains: n.apicrypt.domains, settings: n.apicrypt },
    { name: 'regional', identity: 'regional', protection: 'smime', usesTrustList: false, mutualTls: false, allowPlain: false, domains: n.regional.domains, settings: n.regional },
    { name: 'external', identity: 'regional', protection: 'none', usesTrustList: false, mutualTls: false, allowPlain: n.external.allowPlain, domains: n.external.domains, settings: n.external },
  ];
}

/** Whether `domain` (lower case, ASCII) matches a pattern (`example.org` or `*.example.org`). */
export function domainMatches(domain: string, pattern: string): boolean {
  const p = pattern.toLowerCase();
  if (p.startsWith('*.')) return domain.endsWith(p.slice(1));
  return domain === p;
}
