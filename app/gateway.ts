/**
 * The composition of the gateway's message path from the operator context: the intake
 * (MX and submission) with sending rights, peer policy, S/MIME opening, and outbound
 * dispatch; the queue runner delivering over SMTP with each network's TLS settings; the
 * trust list loaded at start and refreshed daily. app/operator.ts starts the servers.
 */
import { readFileSync } from 'node:fs';
import { pemBlocks, toPem } from '../certs/index.js';
import type { Logger } from '../core/logger.js';
import { MessageIntake } from '../gateway/pipeline/intake.js';
import { OutboundDispatch } from '../gateway/pipeline/outbound.js';
import { PeerPolicy } from '../gateway/pipeline/peer-policy.js';
import { RecipientResolver } from '../gateway/pipeline/recipients.js';
import { QueueRunner } from '../gateway/queue/queue-runner.js';
import { SmtpTransport, type SmtpRoute } from '../gateway/queue/smtp-transport.js';
import type { NetworkName, NetworkProfile } from '../gateway/routing/networks.js';
import type { OperatorContext } from './context.js';

export interface Gateway {
  intake: MessageIntake;
  runner: QueueRunner;
  /** PEM authorities of every mutual-TLS network, for the MX's certificate request. */
  peerAuthorities: string[];
  close(): Promise<void>;
}

const DAY = 24 * 3600 * 1000;

export async function buildGateway(context: OperatorContext, tls: { key: string; cert: string }, logger: Logger): Promise<Gateway> {
  const { config, router, certificates, smime, store, audit, clock, queue } = context;
  const hostname = config.server.hostnames[0] as string;
  const postmaster = `postmaster@${config.operator.domains.regional}`;
  const dsnFrom = `"${config.operator.name.replace(/"/g, '')}" <${postmaster}>`;

  const storeAnchors = (await certificates.listTrustAnchors('tls-peer')).map((a) => toPem(a.certificate.der, 'CERTIFICATE'));
  const authorities = new Map<NetworkName, string[]>();
  for (const profile of router.profiles) {
    authorities.set(profile.name, profile.settings.caFile ? certificatesIn(profile.settings.caFile) : storeAnchors);
  }
  const authoritiesOf = (network: NetworkName): string[] => authorities.get(network) ?? [];

  const hasEncryptionCertificate = (address: string) => smime.canEncryptTo(address);
  const smimeOperations = {
    hasEncryptionCertificate,
    // One pass (sign then encrypt, in a worker) when the sender can read its own copy; else sign, then encrypt for the others.
    signAndEncrypt: async (message: Buffer, from: string, addresses: readonly string[]) => (await hasEncryptionCertificate(from))
      ? smime.signAndEncryptFor(message, from, addresses)
      : smime.encryptFor((await smime.signAs(message, from)).message, addresses),
  };
  const inboundSmime = {
    canDecrypt: (address: string) => smime.canDecryptAs(address),
    decryptAs: (message: Buffer, address: string) => smime.decryptAs(message, address),
    verify: (message: Buffer) => smime.verify(message),
  };

  const outbound = new OutboundDispatch({ router, smime: smimeOperations, queue, store, audit, clock, hostname, dsnFrom });
  const intake = new MessageIntake({
    store, recipients: new RecipientResolver(context.mailboxes, config.operator.domains, router), audit, clock, hostname,
    senders: context.senders, outbound, smime: inboundSmime, maxMessagesPerHour: config.smtp.maxMessagesPerHour,
    peerPolicy: new PeerPolicy({ router, trustList: context.trustList, authorities: authoritiesOf }),
  });

  const routeOf = (name: string, domain: string): SmtpRoute => smtpRoute(router.profile(name as NetworkName), authoritiesOf(name as NetworkName), tls, domain);
  const runner = new QueueRunner({
    queue, clock, logger: logger.child('queue'), hostname, dsnFrom,
    concurrency: config.queue.concurrency, perDomainConcurrency: config.queue.perDomainConcurrency,
    delayWarningSeconds: config.queue.delayWarningHours * 3600,
    transport: new SmtpTransport({ hostname, route: routeOf, connectionsPerHost: config.queue.perDomainConcurrency }),
    dsn: async (raw, to) => {
      const local = await context.mailboxes.resolveAddress(to);
      if (local && !local.deleted) await store.deliver([local.mailboxId], raw);
      else logger.warn('DSN for a sender that is not local: dropped', { to });
    },
  });

  const trustListSource = config.networks.mssante.trustListSource;
  let refresh: NodeJS.Timeout | undefined;
  if (trustListSource) {
    const load = async (): Promise<void> => {
      try {
        const loaded = await context.trustList.load(trustListSource, 'system', { ca: authoritiesOf('mssante').join('\n') || undefined });
        logger.info('MSSanté trust list loaded', { source: trustListSource, domains: loaded.domains, generatedAt: loaded.generatedAt });
      } catch (error) {
        logger.error('MSSanté trust list could not be loaded: the previous one stays in force', { source: trustListSource, error });
      }
    };
    await load();
    refresh = setInterval(() => void load(), DAY);
    refresh.unref();
  }

  return {
    intake, runner, peerAuthorities: [...new Set([...authorities.entries()].filter(([n]) => router.profile(n).mutualTls).flatMap(([, pems]) => pems))],
    close: async () => {
      if (refresh) clearInterval(refresh);
      await runner.stop();
    },
  };
}

/** How the queue reaches a network: its relay or the domain's MX, TLS required for health networks, our certificate for mutual TLS. */
function smtpRoute(profile: NetworkProfile, authorities: string[], tls: { key: string; cert: string }, domain: string): SmtpRoute {
  const { settings } = profile;
  const clientCert = settings.clientCertFile ? readFileSync(settings.clientCertFile, 'utf8') : tls.cert;
  const clientKey = settings.clientKeyFile ? readFileSync(settings.clientKeyFile, 'utf8') : tls.key;
  return {
    ...(settings.relayHost ? { host: settings.relayHost } : {}),
    port: settings.port,
    requireTls: profile.name !== 'external',
    tls: {
      ...(authorities.length ? { ca: authorities } : {}),
      ...(profile.mutualTls ? { cert: clientCert, key: clientKey } : {}),
      ...(settings.relayHost ? {} : { servername: domain }),
    },
  };
}

function certificatesIn(file: string): string[] {
  return pemBlocks(readFileSync(file, 'utf8')).filter((b) => b.label === 'CERTIFICATE').map((b) => toPem(b.der, 'CERTIFICATE'));
}
