/** `hygie delegation …`: who may read, send as, or manage which box. */
import { mailboxArgument, operatorActor, optionalString, requiredString, withContext } from './shared.js';
import { UsageError, type CliCommand } from './types.js';

function dateOption(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new UsageError(`--${name} must be a date such as 2026-12-31 or 2026-12-31T18:00:00Z`);
  return date;
}

const grant: CliCommand = {
  words: ['delegation', 'grant'],
  usage: `BOX --to DELEGATE --rights read,send,manage [--role member|delegate] [--from DATE] [--until DATE]
      let DELEGATE's box act on BOX (ids or addresses); members belong to an organisational box`,
  options: { to: { type: 'string' }, rights: { type: 'string' }, role: { type: 'string' }, from: { type: 'string' }, until: { type: 'string' } },
  run: ({ values, args, config }) => withContext(config, async (context) => {
    const role = optionalString(values, 'role') ?? 'delegate';
    if (role !== 'member' && role !== 'delegate') throw new UsageError('--role is member or delegate');
    const delegation = await context.delegations.grant({
      mailbox: mailboxArgument(args), delegate: mailboxArgument([requiredString(values, 'to')]), role,
      rights: [requiredString(values, 'rights')], validFrom: dateOption(optionalString(values, 'from'), 'from'),
      validUntil: dateOption(optionalString(values, 'until'), 'until'), actor: operatorActor(),
    });
    console.log(`Delegation #${delegation.id}: box ${delegation.delegateMailboxId} may ${delegation.rights.join(', ')} box ${delegation.mailboxId}${delegation.validUntil ? ` until ${delegation.validUntil}` : ''}`);
    return 0;
  }),
};

const revoke: CliCommand = {
  words: ['delegation', 'revoke'],
  usage: 'ID\n      end a delegation now',
  run: ({ args, config }) => withContext(config, async (context) => {
    if (!args[0] || !/^\d+$/.test(args[0])) throw new UsageError('give the delegation number (see hygie mailbox show)');
    const delegation = await context.delegations.revoke(Number(args[0]), operatorActor());
    console.log(`Delegation #${delegation.id} revoked`);
    return 0;
  }),
};

export const delegationCommands: CliCommand[] = [grant, revoke];
