/** `hygie mailbox …`: create, list, set a password. */
import type { MailboxSummary } from '../../directory/types.js';
import { operatorActor, optionalString, PASSWORD_OPTIONS, readPassword, requiredString, withContext } from './shared.js';
import { UsageError, type CliCommand } from './types.js';

function identity(m: MailboxSummary): string {
  if (m.rpps) return ` (RPPS ${m.rpps})`;
  if (m.adeli) return ` (ADELI ${m.adeli})`;
  return '';
}

const create: CliCommand = {
  words: ['mailbox', 'create'],
  usage: `--first-name F --last-name L [--rpps N | --adeli N] [--profession P]
        (--password P | --password-stdin) [--namesake]
      create a personal mailbox and its addresses (--namesake: another person with the
      same names, whose addresses get a number: jean.martin2@…)`,
  options: {
    'first-name': { type: 'string' }, 'last-name': { type: 'string' }, rpps: { type: 'string' }, adeli: { type: 'string' },
    profession: { type: 'string' }, namesake: { type: 'boolean' }, ...PASSWORD_OPTIONS,
  },
  run: ({ values, config }) => withContext(config, async (context) => {
    const firstName = requiredString(values, 'first-name');
    const lastName = requiredString(values, 'last-name');
    const rpps = optionalString(values, 'rpps');
    const adeli = optionalString(values, 'adeli');
    const profession = optionalString(values, 'profession');
    if (rpps && adeli) throw new UsageError('give --rpps or --adeli, not both');
    const mailbox = await context.mailboxes.createPersonalMailbox({
      firstName, lastName, password: readPassword(values), actor: operatorActor(), namesake: values.namesake === true,
      ...(rpps ? { rpps } : {}), ...(adeli ? { adeli } : {}), ...(profession ? { profession } : {}),
    });
    console.log(`Mailbox ${mailbox.id} created for ${mailbox.displayName}${identity(mailbox)}`);
    for (const address of mailbox.addresses) console.log(`  ${address.network.padEnd(9)} ${address.address}`);
    return 0;
  }),
};

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
      console.log(`${String(m.id).padStart(4)}  ${m.type}  ${m.displayName}${identity(m)}  ${m.published ? 'published' : 'unpublished'}  last login: ${m.lastLoginAt ?? 'never'}`);
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

export const mailboxCommands: CliCommand[] = [create, list, passwd];
