/**
 * `hygie start`: run the operator until SIGINT/SIGTERM, logging where everything
 * listens and where the data lives. Resolves with the exit code once stopped cleanly.
 */
import type { Config } from '../core/config.js';
import { Logger } from '../core/logger.js';
import { startOperator } from './operator.js';

export async function runOperator(config: Readonly<Config>): Promise<number> {
  const logger = new Logger({ level: config.log.level, format: config.log.format });
  const running = await startOperator(config, logger);
  const { ports, context } = running;
  const host = config.server.host;
  logger.info(`Hygie started for ${config.operator.name}`);
  logger.info(`SMTP (MX, inbound)       smtp://${host}:${ports.smtp}`);
  logger.info(`SMTP submission          smtp://${host}:${ports.submission}  (STARTTLS, then AUTH PLAIN/LOGIN)`);
  logger.info(`IMAP                     imap://${host}:${ports.imap}  (STARTTLS)`);
  if (ports.imaps) logger.info(`IMAP over TLS            imaps://${host}:${ports.imaps}`);
  logger.info(`LDAP directory           ldap://${host}:${ports.ldap}  base ${config.ldap.baseDn}`);
  logger.info(`Webmail                  http://${host}:${ports.webmail}/`);
  logger.info(`Operator API             https://${host}:${ports.api}/api/v1/  (bearer token or client certificate)`);
  logger.info(`Data folder              ${context.paths.dataDir}`);
  logger.info(`Database                 ${context.paths.database}`);
  if (running.caCertPem) logger.info(`Development CA           ${context.paths.pki}/ca.crt  (trust it in your mail client: npm run --silent hygie -- pki print-ca)`);
  logger.info(`Domains                  ${Object.entries(config.operator.domains).filter(([k]) => k !== 'apicryptLabel').map(([, v]) => v).join(', ')}`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn(`${signal} again: exiting now`);
        process.exit(130);
      }
      stopping = true;
      logger.info(`${signal} received: finishing transactions in flight, then stopping`);
      running.stop().then(() => {
        logger.info('stopped cleanly');
        resolve(0);
      }, (error: Error) => {
        logger.error('stop failed', { error });
        resolve(1);
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
