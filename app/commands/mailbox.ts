/** `hygie mailbox …`: create (personal, organisational, applicative), list, show, history, password, notification address. */
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import type { MailboxSummary } from '../../directory/types.js';
import { mailboxArgument, operatorActor, optionalString, PASSWORD_OPTIONS, readPassword, requiredString, withContext } from './shared.js';
import { UsageError, type CliCommand, type OptionValues } from './types.js';

function identity(m: MailboxSummary): string {
  if (m.rpps) return ` (RPPS ${m.rpps})`;
  if (m.adeli) return ` (ADELI ${m.adeli})`;
  return '';
}

const create: CliCommand = {
  words: ['mailbox', 'create'],
  usage: `(--professional RPPS|ADELI | --first-name F --last-name L [--rpps N | --adeli N] [--profession P])
        (--password P | --password-stdin) [--notification-address A] [--namesake]
      create a personal mailbox and its addresses, from the professional's registry entry
      (--professional) or from names; --namesake: another person with the same names,
      whose addresses get a number: jean.martin2@…`,
  options: {
    professional: { type: 'string' }, 'first-name': { type: 'string' }, 'last-name': { type: 'string' }, rpps: { type: 'string' },
    adeli: { type: 'string' }, profession: { type: 'string' }, namesake: { type: 'boolean' }, 'notification-address': { type: 'string' },
    ...PASSWORD_OPTIONS,
  },
  run: ({ values, config }) => withContext(config, async (context) => {
    const professional = optionalString(values, 'professional');
    const firstName = professional ? optionalString(values, 'first-name') : requiredString(values, 'first-name');
    const lastName = professional ? optionalString(values, 'last-name') : requiredString(values, 'last-name');
    const rpps = optionalString(values, 'rpps');
    const adeli = optionalString(values, 'adeli');
    if (rpps && adeli) throw new UsageError('give --rpps or --adeli, not both');
    const mailbox = await context.mailboxes.createPersonalMailbox({
      professional, firstName, lastName, rpps, adeli, profession: optionalString(values, 'profession'),
      notificationAddress: optionalString(values, 'notification-address'),
      password: readPassword(values), actor: operatorActor(), namesake: values.namesake === true,
    });
    printCreated(mailbox);
    return 0;
  }),
};

function printCreated(mailbox: MailboxSummary): void {
  console.log(`Mailbox ${mailbox.id} (${mailbox.type}) created for ${mailbox.displayName}${identity(mailbox)}`);
  for (const address of mailbox.addresses) console.log(`  ${address.network.padEnd(9)} ${address.address}`);
}

const SERVICE_OPTIONS = {
  'local-part': { type: 'string' }, name: { type: 'string' }, description: { type: 'string' }, structure: { type: 'string' },
  responsible: { type: 'string' }, 'notification-address': { type: 'string' }, password: { type: 'string' },
  'password-stdin': { type: 'boolean' },
} as const;

const createOrg: CliCommand = {
  words: ['mailbox', 'create-org'],
  usage: `--local-part L --name N [--description D] [--structure FINESS|SIRET] [--responsible RPPS]
        [--password P | --password-stdin] [--notification-address A]
      create an organisational (service) box: L@<regional> and L@<mssante>; its members
      (hygie delegation grant --role member) log in as themselves`,
  options: SERVICE_OPTIONS,
  run: ({ values, config }) => withContext(config, async (context) => {
    const mailbox = await context.mailboxes.createServiceMailbox({ type: 'ORG', ...serviceFields(values), actor: operatorActor() });
    printCreated(mailbox);
    return 0;
  }),
};

const createApp: CliCommand = {
  words: ['mailbox', 'create-app'],
  usage: `--local-part L --name N --client-certificate FILE [--description D] [--structure FINESS|SIRET]
        [--responsible RPPS] [--notification-address A]
      create an applicative box for software sending automatically (lab results…),
      authenticated by the client certificate in FILE (PEM or DER; see hygie pki issue client)`,
  options: { ...SERVICE_OPTIONS, 'client-certificate': { type: 'string' } },
  run: ({ values, config }) => withContext(config, async (context) => {
    const file = requiredString(values, 'client-certificate');
    const certificate = new X509Certificate(readFileSync(file));
    const mailbox = await context.mailboxes.createServiceMailbox({
      type: 'APP', ...serviceFields(values), clientCertificateSha256: certificate.fingerprint256, actor: operatorActor(),
    });
    printCreated(mailbox);
    console.log(`  client certificate ${certificate.subject.replace(/\n/g, ', ')} (SHA-256 ${certificate.fingerprint256})`);
    return 0;
  }),
};

function serviceFields(values: OptionValues): { localPart: string; displayName: string; description?: string; structure?: string; responsible?: string; notificationAddress?: string; password?: string } {
  const hasPassword = values.password !== undefined || values['password-stdin'] === true;
  return {
    localPart: requiredString(values, 'local-part'), displayName: requiredString(values, 'name'),
    description: optionalString(values, 'description'), structure: optionalString(values, 'structure'),
    responsible: optionalString(values, 'responsible'), notificationAddress: optionalString(values, 'notification-address'),
    ...(hasPassword ? { password: readPassword(values) } : {}),
  };
}

const list: CliCommand = {
  words: ['mailbox', 'list'],
  usage: '[--json]\n      list mailboxes and their addresses',
  options: { json: { type: 'boolean' } },
  run: ({ values, config }) => withContext(config, async (context) => {
    const mailboxes = await context.mailboxes.listMailboxes();
    if (values.json) {
      console.log(JSON.stringify(mailboxes, null, 2));
      return 0;
    }
    if (mailboxes.length === 0) console.log('No mailbox yet. Create one with: hygie mailbox create --help');
    for (const m of mailboxes) {
      const state = m.status === 'deleted' ? `deleted ${m.deletedAt}` : m.published ? 'published' : `unpublished (${m.unpublishedReason ?? '?'})`;
      console.log(`${String(m.id).padStart(4)}  ${m.type}  ${m.displayName}${identity(m)}  ${state}  last login: ${m.lastLoginAt ?? 'never'}`);
      for (const a of m.addresses) console.log(`        ${a.network.padEnd(9)} ${a.address}`);
    }
    return 0;
  }),
};

const passwd: CliCommand = {
  words: ['mailbox', 'passwd'],
  usage: 'ADDRESS (--password P | --password-stdin)\n      set a new password',
  options: { ...PASSWORD_OPTIONS },
  run: ({ values, args, config }) => withContext(config, async (context) => {
    const address = args[0];
    if (!address) throw new UsageError('mailbox passwd needs the ADDRESS of the mailbox');
    await context.mailboxes.resetPassword(address, readPassword(values), operatorActor());
    console.log(`Password changed for ${address}`);
    return 0;
  }),
};

const show: CliCommand = {
  words: ['mailbox', 'show'],
  usage: 'ID|ADDRESS [--json]\n      a box, its state, its delegations and its full history',
  options: { json: { type: 'boolean' } },
  run: ({ values, args, config }) => withContext(config, async (context) => {
    const ref = mailboxArgument(args);
    const { mailbox, events } = await context.publication.history(ref);
    const delegations = await context.delegations.list(mailbox.id);
    if (values.json) {
      console.log(JSON.stringify({ mailbox, delegations, history: events }, null, 2));
      return 0;
    }
    console.log(`Mailbox ${mailbox.id} (${mailbox.type}) ${mailbox.displayName}${identity(mailbox)}`);
    console.log(`  state        ${mailbox.status}${mailbox.published ? ', published' : `, unpublished (${mailbox.unpublishedReason ?? '?'}) since ${mailbox.unpublishedAt}`}`);
    console.log(`  created      ${mailbox.createdAt}; last login ${mailbox.lastLoginAt ?? 'never'}`);
    if (mailbox.notificationAddress) console.log(`  notices to   ${mailbox.notificationAddress}`);
    for (const a of mailbox.addresses) console.log(`  ${a.network.padEnd(12)} ${a.address}`);
    for (const d of delegations) {
      console.log(`  delegation #${d.id}: box ${d.delegateMailboxId} ${d.role} ${d.rights.join('+')} from ${d.validFrom}${d.validUntil ? ` until ${d.validUntil}` : ''}${d.revokedAt ? ` (revoked ${d.revokedAt})` : ''}`);
    }
    console.log('History:');
    for (const e of events) console.log(`  ${e.at}  ${e.kind.padEnd(18)} ${e.actor}${e.reason ? `: ${e.reason}` : ''}`);
    return 0;
  }),
};

const notify: CliCommand = {
  words: ['mailbox', 'notification-address'],
  usage: 'ID|ADDRESS (EMAIL | --none)\n      set the usual (non-secure) address that receives notices and alerts (never health data)',
  options: { none: { type: 'boolean' } },
  run: ({ values, args, config }) => withContext(config, async (context) => {
    const ref = mailboxArgument(args);
    const address = values.none ? null : args[1];
    if (address === undefined) throw new UsageError('give the notification address, or --none to remove it');
    const mailbox = await context.mailboxes.setNotificationAddress(ref, address, operatorActor());
    console.log(`Notices for mailbox ${mailbox.id} go to ${mailbox.notificationAddress ?? 'the box only'}`);
    return 0;
  }),
};

export const mailboxCommands: CliCommand[] = [create, createOrg, createApp, list, show, passwd, notify];
