/**
 * The whole operator in one process: the domain services of app/context.ts plus every
 * protocol front end (SMTP MX and submission, IMAP, LDAP, webmail) on the configured
 * ports, with the TLS certificate from configuration or from the development PKI.
 * `stop()` closes the front ends first (SMTP lets transactions in flight finish), then
 * the database, so nothing is half-written.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../core/clock.js';
import { envName, type Config } from '../core/config.js';
import { HygieError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { ensureDevPki } from '../certs/index.js';
import { OperatorApiServer } from '../directory/api/server.js';
import { operatorApiRoutes } from './api-routes.js';
import { LdapServer } from '../directory/ldap/index.js';
import { ImapServer } from '../gateway/imap/server.js';
import { postmasterAddress } from '../gateway/pipeline/recipients.js';
import { SmtpFrontEnd } from '../gateway/smtp/server.js';
import { WebmailServer } from '../webmail/server.js';
import { openContext, type OperatorContext } from './context.js';
import { lockDataFolder } from './data-lock.js';
import { buildGateway } from './gateway.js';
import { startDailyLifecycle } from './lifecycle.js';

export interface ListeningPorts {
  smtp: number;
  submission: number;
  imap: number;
  imaps: number | null;
  ldap: number;
  webmail: number;
  api: number;
}

export interface RunningOperator {
  context: OperatorContext;
  ports: ListeningPorts;
  /** PEM of the CA that issued the TLS certificate (the dev CA, or null with a configured certificate). */
  caCertPem: string | null;
  stop(): Promise<void>;
}

interface Closable { close(): Promise<void> }

export async function startOperator(config: Readonly<Config>, logger: Logger, clock?: Clock): Promise<RunningOperator> {
  const lock = lockDataFolder(path.resolve(config.server.dataDir));
  let context: OperatorContext;
  try {
    context = await openContext(config, logger, clock);
  } catch (error) {
    lock.release();
    throw error;
  }
  const closables: Closable[] = [];
  const stop = async (): Promise<void> => {
    for (const server of closables.reverse()) await server.close().catch((error: Error) => logger.error('close failed', { error }));
    await context.close();
    lock.release();
  };
  try {
    const { tls, caCertPem } = await loadTls(context);
    const host = config.server.host;
    const hostname = config.server.hostnames[0] as string;

    const gateway = await buildGateway(context, tls, logger);
    closables.push(gateway);
    gateway.runner.start();
    const smtp = new SmtpFrontEnd({
      intake: gateway.intake, authenticator: context.mailboxes, tls, peerAuthorities: gateway.peerAuthorities, hostname,
      maxMessageSize: config.smtp.maxMessageSize,
      shutdownGraceSeconds: config.smtp.shutdownGraceSeconds, logger: logger.child('smtp'),
    });
    closables.push(smtp);
    const smtpPort = await bound('smtp.mxPort', config.smtp.mxPort, host, (port) => smtp.listen('mx', port, host));
    const submissionPort = await bound('smtp.submissionPort', config.smtp.submissionPort, host, (port) => smtp.listen('submission', port, host));

    const imapOptions = {
      store: context.store, authenticator: context.mailboxes, tls, logger: logger.child('imap'),
      delegations: context.delegations, directory: context.mailboxes, audit: context.audit,
      maxMessageSize: config.smtp.maxMessageSize, hostname,
    };
    const imap = new ImapServer(imapOptions);
    closables.push(imap);
    const imapPort = await bound('imap.port', config.imap.port, host, (port) => imap.listen(port, host));
    let imapsPort: number | null = null;
    if (config.imap.tlsPort) {
      const imaps = new ImapServer({ ...imapOptions, implicitTls: true });
      closables.push(imaps);
      imapsPort = await bound('imap.tlsPort', config.imap.tlsPort, host, (port) => imaps.listen(port, host));
    }

    const ldap = new LdapServer({
      db: context.db, baseDn: config.ldap.baseDn, logger: logger.child('ldap'), organisationName: config.operator.name,
      ...(config.ldap.operatorPassword ? { operator: { dn: config.ldap.operatorDn || `cn=operator,${config.ldap.baseDn}`, password: config.ldap.operatorPassword } } : {}),
      certificates: async (addresses) => {
        const found = new Map<string, Buffer[]>();
        for (const address of addresses) {
          const certificates = await context.certificates.findEncryptionCertificates(address);
          if (certificates.length) found.set(address, certificates.map((c) => Buffer.from(c.der)));
        }
        return found;
      },
      bindLimits: config.auth, clock: context.clock, audit: context.audit,
    });
    closables.push(ldap);
    const ldapPort = await bound('ldap.port', config.ldap.port, host, (port) => ldap.listen(port, host));

    const webmail = new WebmailServer({
      authenticator: context.mailboxes, store: context.store, logger: logger.child('webmail'),
      language: config.webmail.language, publicUrl: config.webmail.publicUrl, operatorName: config.operator.name, authservId: hostname,
      audit: context.audit, clock: context.clock,
    });
    closables.push(webmail);
    const webmailPort = await bound('webmail.port', config.webmail.port, host, (port) => webmail.listen(port, host));

    const api = new OperatorApiServer({
      credentials: context.operatorCredentials, routes: operatorApiRoutes(context), tls, logger: logger.child('api'),
    });
    closables.push(api);
    const apiPort = await bound('api.port', config.api.port, host, (port) => api.listen(port, host));

    const postmaster = postmasterAddress(config.operator.domains);
    if (!(await context.mailboxes.resolveAddress(postmaster))) {
      logger.warn(`no mailbox holds ${postmaster}: mail servers must accept mail for postmaster (RFC 5321 §4.5.1), bounces and abuse reports go there;`
        + ' create it: hygie mailbox create-org --local-part postmaster --name "Postmaster", then delegate it to the IT team');
    }

    const stopLifecycle = startDailyLifecycle(context.lifecycle, config, context, logger);
    closables.push({ close: async () => stopLifecycle() });

    const ports: ListeningPorts = {
      smtp: smtpPort, submission: submissionPort, imap: imapPort, imaps: imapsPort, ldap: ldapPort, webmail: webmailPort, api: apiPort,
    };
    return { context, ports, caCertPem, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Binds one listener; a port taken or refused stops the start, naming the setting to change. */
async function bound(key: string, port: number, host: string, listen: (port: number) => Promise<number>): Promise<number> {
  try {
    return await listen(port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem = code === 'EADDRINUSE' ? 'the port is already in use (another Hygie or mail server running?)'
      : code === 'EACCES' ? 'this user may not open the port (below 1024 it takes privileges)'
      : code === 'EADDRNOTAVAIL' ? `${host} is not an address of this machine (server.host)` : undefined;
    if (!problem) throw error;
    throw new HygieError('CONFIG_INVALID', `cannot listen on ${host}:${port} (${key}): ${problem}; choose another with ${key} or ${envName(key)}`, { cause: error });
  }
}

async function loadTls(context: OperatorContext): Promise<{ tls: { key: string; cert: string }; caCertPem: string | null }> {
  const { config, logger } = context;
  if (config.tls.certFile) {
    return { tls: { cert: readFileSync(config.tls.certFile, 'utf8'), key: readFileSync(config.tls.keyFile, 'utf8') }, caCertPem: null };
  }
  const pki = await ensureDevPki({ dir: context.paths.pki, hostnames: [...config.server.hostnames], organisation: config.operator.name });
  if (pki.created) logger.info('development PKI created', { ca: pki.caCertFile, certificate: pki.serverCertFile });
  return { tls: { cert: pki.serverCertPem, key: pki.serverKeyPem }, caCertPem: pki.caCertPem };
}
