/**
 * Step (MX, MAIL FROM): a sender of a network that requires mutual TLS (the MSSanté trust
 * space, the Apicrypt connector) is accepted only from a peer that presented a client
 * certificate chaining to one of that network's authorities, and — for MSSanté — only
 * for a domain on the national trust list. Anything else claiming such a sender is
 * refused with the precise reason. Bounces (null sender) carry no claim to check.
 */
import { X509Certificate } from 'node:crypto';
import { HygieError } from '../../core/errors.js';
import type { NetworkRouter } from '../routing/network-router.js';
import type { NetworkName } from '../routing/networks.js';
import type { TrustList } from '../routing/trust-list.js';
import type { ClientCertificate } from './types.js';

export interface PeerPolicyOptions {
  router: NetworkRouter;
  trustList: TrustList;
  /** PEM certificates of the authorities each mutual-TLS network accepts. */
  authorities: (network: NetworkName) => readonly string[];
}

export class PeerPolicy {
  constructor(private readonly options: PeerPolicyOptions) {}

  /** Returns the network the sender claims to be in when it was checked, undefined when no check applies. */
  async check(mailFrom: string, certificate: ClientCertificate | null | undefined): Promise<NetworkName | undefined> {
    if (mailFrom === '') return undefined;
    const decision = await this.options.router.route(mailFrom);
    if (decision.kind !== 'network' || !decision.profile.mutualTls) return undefined;
    const network = decision.profile.name;
    const domain = mailFrom.slice(mailFrom.lastIndexOf('@') + 1).toLowerCase();
    if (network === 'mssante' && !(await this.options.trustList.contains(domain))) {
      throw new HygieError('PEER_NOT_TRUSTED', `${domain} is not on the MSSanté trust list`);
    }
    if (!certificate) {
      throw new HygieError('PEER_NOT_TRUSTED', `a sender of the ${network} network must present a client certificate (mutual TLS, after STARTTLS)`);
    }
    if (!certificate.authorized || !this.chainsTo(certificate, network)) {
      throw new HygieError('PEER_NOT_TRUSTED', `the client certificate "${certificate.subject}" is not issued by an authority trusted for the ${network} network${certificate.authorizationError ? ` (${certificate.authorizationError})` : ''}`);
    }
    return network;
  }

  /** Some certificate of the presented chain is, or is issued by, one of the network's authorities. */
  private chainsTo(certificate: ClientCertificate, network: NetworkName): boolean {
    const authorities = this.options.authorities(network).map((pem) => new X509Certificate(pem));
    if (authorities.length === 0) return false;
    for (const der of certificate.chain) {
      const cert = new X509Certificate(der);
      if (authorities.some((ca) => ca.fingerprint256 === cert.fingerprint256 || (cert.checkIssued(ca) && cert.verify(ca.publicKey)))) return true;
    }
    return false;
  }
}
