#!/usr/bin/env node
/**
 * `hygie`: the operator's command line. `hygie start` runs the whole operator;
 * the other commands act on the same database through the same domain functions.
 * Exit codes: 0 done, 1 refused (the message says why), 2 usage, 78 configuration error.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describeCertificate, ensureDevPki } from '../certs/index.js';
import { ConfigError, loadConfig, type Config } from '../core/config.js';
import { isHygieError } from '../core/errors.js';
import { Logger } from '../core/logger.js';
import type { MailboxSummary } from '../directory/types.js';
import { openContext, type OperatorContext } from './context.js';
import { runOperator } from './run.js';

const USAGE = `Usage: hygie [--config FILE] COMMAND

Commands:
  start                              run the operator (SMTP, submission, IMAP, LDAP, webmail)
  mailbox create --first-name F --last-name L [--rpps N | --adeli N] [--profession P]
                 (--password P | --password-stdin) [--namesake]
                                     create a personal mailbox and its addresses
                                     (--namesake: another person with the same names,
                                     whose addresses get a number: jean.martin2@…)
  mailbox list [--json]              list mailboxes and their addresses
  mailbox passwd ADDRESS (--password P | --password-stdin)
                                     set a new password
  pki print-ca                       print the development CA certificate (PEM) and its fingerprint
  audit [--limit N] [--action A]     show the newest audit events
  config check                       validate the configuration and print it

Configuration: --config FILE, or HYGIE_CONFIG, or ./hygie.yaml; HYGIE_* variables override keys.`;

class UsageError extends Error {}

const OPTIONS = {
  config: { type: 'string' },
  'first-name': { type: 'string' },
  'last-name': { type: 'string' },
  rpps: { type: 'string' },
  adeli: { type: 'string' },
  profession: { type: 'string' },
  password: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  namesake: { type: 'boolean' },
  json: { type: 'boolean' },
  limit: { type: 'string' },
  action: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  if (values.help || positionals.length === 0) {
    console.log(USAGE);
    return positionals.length === 0 && !values.help ? 2 : 0;
  }
  const { config } = loadConfig(values.config ? { file: values.config } : {});
  const [command, sub, ...rest] = positionals;
  switch (command) {
    case 'start':
      return runOperator(config);
    case 'config':
      if (sub !== 'check') throw new UsageError(`unknown command "config ${sub ?? ''}"`);
      console.log(JSON.stringify(config, null, 2));
      return 0;
    case 'pki':
      if (sub !== 'print-ca') throw new UsageError(`unknown command "pki ${sub ?? ''}"`);
      return printCa(config);
    case 'mailbox':
      return withContext(config, (context) => mailboxCommand(context, sub, rest, values));
    case 'audit':
      return withContext(config, (context) => auditCommand(context, values));
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

async function withContext(config: Readonly<Config>, run: (context: OperatorContext) => Promise<number>): Promise<number> {
  const logger = new Logger({ level: 'warn', format: config.log.format, write: (line) => process.stderr.write(line + '\n') });
  const context = await openContext(config, logger);
  try {
    return await run(context);
  } finally {
    await context.close();
  }
}

async function mailboxCommand(context: OperatorContext, sub: string | undefined, rest: string[], values: Values): Promise<number> {
  const actor = `operator:${process.env.USER ?? 'cli'}`;
  switch (sub) {
    case 'create': {
      const firstName = required(values['first-name'], '--first-name');
      const lastName = required(values['last-name'], '--last-name');
      if (values.rpps && values.adeli) throw new UsageError('give --rpps or --adeli, not both');
      const mailbox = await context.mailboxes.createPersonalMailbox({
        firstName, lastName, password: await readPassword(values), actor, namesake: values.namesake ?? false,
        ...(values.rpps ? { rpps: values.rpps } : {}),
        ...(values.adeli ? { adeli: values.adeli } : {}),
        ...(values.profession ? { profession: values.profession } : {}),
      });
      console.log(`Mailbox ${mailbox.id} created for ${mailbox.displayName}${identity(mailbox)}`);
      for (const address of mailbox.addresses) console.log(`  ${address.network.padEnd(9)} ${address.address}`);
      return 0;
    }
    case 'list': {
      const list = await context.mailboxes.listMailboxes();
      if (values.json) {
        console.log(JSON.stringify(list, null, 2));
        return 0;
      }
      if (list.length === 0) console.log('No mailbox yet. Create one with: hygie mailbox create --help');
      for (const m of list) {
        console.log(`${String(m.id).padStart(4)}  ${m.type}  ${m.displayName}${identity(m)}  ${m.published ? 'published' : 'unpublished'}  last login: ${m.lastLoginAt ?? 'never'}`);
        for (const a of m.addresses) console.log(`        ${a.network.padEnd(9)} ${a.address}`);
      }
      return 0;
    }
    case 'passwd': {
      const address = rest[0];
      if (!address) throw new UsageError('mailbox passwd needs the ADDRESS of the mailbox');
      await context.mailboxes.resetPassword(address, await readPassword(values), actor);
      console.log(`Password changed for ${address}`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command "mailbox ${sub ?? ''}"`);
  }
}

async function auditCommand(context: OperatorContext, values: Values): Promise<number> {
  const limit = values.limit ? Number(values.limit) : 50;
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive whole number');
  const events = await context.audit.list({ limit, ...(values.action ? { action: values.action } : {}) });
  for (const e of events.reverse()) {
    console.log(`${e.at}  ${e.action.padEnd(22)} ${e.outcome.padEnd(7)} ${e.channel ?? '-'}  actor=${e.actor ?? '-'} subject=${e.subject ?? '-'} from=${e.remoteAddress ?? '-'} ${JSON.stringify(e.details)}`);
  }
  return 0;
}

async function printCa(config: Readonly<Config>): Promise<number> {
  if (config.tls.certFile) {
    console.error('This operator uses a configured certificate (tls.certFile); its CA is not the development CA.');
    return 1;
  }
  const pki = await ensureDevPki({ dir: path.resolve(config.server.dataDir, 'pki'), hostnames: [...config.server.hostnames], organisation: config.operator.name });
  const ca = describeCertificate(pki.caCertPem);
  process.stdout.write(pki.caCertPem.endsWith('\n') ? pki.caCertPem : pki.caCertPem + '\n');
  console.error(`# ${ca.subject}\n# SHA-256 fingerprint: ${ca.sha256Fingerprint}\n# valid until ${ca.notAfter.toISOString()}\n# file: ${pki.caCertFile}`);
  return 0;
}

function identity(m: MailboxSummary): string {
  if (m.rpps) return ` (RPPS ${m.rpps})`;
  if (m.adeli) return ` (ADELI ${m.adeli})`;
  return '';
}

function required(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`${flag} is required`);
  return value;
}

async function readPassword(values: Values): Promise<string> {
  if (values.password && values['password-stdin']) throw new UsageError('give --password or --password-stdin, not both');
  if (values.password) return values.password;
  if (values['password-stdin']) return readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  throw new UsageError('a password is required: --password P or --password-stdin');
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(`hygie: ${error.message}`);
      process.exitCode = 78;
    } else if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`hygie: ${(error as Error).message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else if (isHygieError(error)) {
      console.error(`hygie: ${error.message}`);
      process.exitCode = 1;
    } else {
      console.error('hygie: unexpected failure:', error);
      process.exitCode = 1;
    }
  },
);
