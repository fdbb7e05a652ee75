/** `hygie mailbox publish|unpublish|delete`: an operator's hand on a box's place in the directory, always with a reason. */
import { mailboxArgument, operatorActor, requiredString, withContext } from './shared.js';
import type { CliCommand } from './types.js';

const publish: CliCommand = {
  words: ['mailbox', 'publish'],
  usage: 'ID|ADDRESS --reason R\n      publish the box in the directory again',
  options: { reason: { type: 'string' } },
  run: ({ values, args, config }) => withContext(config, async (context) => {
    const box = await context.publication.publish(mailboxArgument(args), { reason: requiredString(values, 'reason'), actor: operatorActor() });
    console.log(`Mailbox ${box.id} is published`);
    return 0;
  }),
};

const unpublish: CliCommand = {
  words: ['mailbox', 'unpublish'],
  usage: 'ID|ADDRESS --reason R [--unlisted]\n      take the box out of the directory (it still receives mail); --unlisted: the owner refuses publication',
  options: { reason: { type: 'string' }, unlisted: { type: 'boolean' } },
  run: ({ values, args, config }) => withContext(config, async (context) => {
    const box = await context.publication.unpublish(mailboxArgument(args), {
      reason: requiredString(values, 'reason'), unlisted: values.unlisted === true, actor: operatorActor(),
    });
    console.log(`Mailbox ${box.id} is unpublished (${box.unpublishedReason}); it still receives mail`);
    return 0;
  }),
};

const remove: CliCommand = {
  words: ['mailbox', 'delete'],
  usage: 'ID|ADDRESS --reason R\n      delete the box: no more logins nor mail; its addresses stay reserved; its history is kept',
  options: { reason: { type: 'string' } },
  run: ({ values, args, config }) => withContext(config, async (context) => {
    const box = await context.publication.delete(mailboxArgument(args), { reason: requiredString(values, 'reason'), actor: operatorActor() });
    console.log(`Mailbox ${box.id} is deleted (${box.deletedAt})`);
    return 0;
  }),
};

export const publicationCommands: CliCommand[] = [publish, unpublish, remove];
