/** `hygie api …`: the operator API's credentials (tokens and pinned client certificates). */
import { readFileSync } from 'node:fs';
import { operatorActor, withContext } from './shared.js';
import { UsageError, type CliCommand } from './types.js';

function nameArgument(args: string[]): string {
  if (!args[0]) throw new UsageError('give the operator NAME');
  return args[0];
}

const createToken: CliCommand = {
  words: ['api', 'token', 'create'],
  usage: 'NAME\n      a new bearer token for the operator API, printed once (only its hash is kept)',
  run: ({ args, config }) => withContext(config, async (context) => {
    const { token } = await context.operatorCredentials.createToken(nameArgument(args), operatorActor());
    console.log(token);
    return 0;
  }),
};

const addCertificate: CliCommand = {
  words: ['api', 'certificate', 'add'],
  usage: 'NAME FILE\n      pin the client certificate in FILE (PEM or DER) to operator NAME',
  run: ({ args, config }) => withContext(config, async (context) => {
    const file = args[1];
    if (!file) throw new UsageError('give the certificate FILE');
    const credential = await context.operatorCredentials.addCertificate(nameArgument(args), readFileSync(file), operatorActor());
    console.log(`Certificate SHA-256 ${credential.sha256} pinned to operator ${credential.name}`);
    return 0;
  }),
};

const list: CliCommand = {
  words: ['api', 'credentials'],
  usage: '\n      list operator API credentials (never the tokens themselves)',
  run: ({ config }) => withContext(config, async (context) => {
    for (const c of await context.operatorCredentials.list()) {
      console.log(`${c.name.padEnd(20)} ${c.kind.padEnd(11)} ${c.sha256.slice(0, 16)}…  created ${c.createdAt}  last used ${c.lastUsedAt ?? 'never'}${c.revokedAt ? `  REVOKED ${c.revokedAt}` : ''}`);
    }
    return 0;
  }),
};

const revoke: CliCommand = {
  words: ['api', 'revoke'],
  usage: 'NAME\n      revoke every token and certificate of operator NAME',
  run: ({ args, config }) => withContext(config, async (context) => {
    const count = await context.operatorCredentials.revoke(nameArgument(args), operatorActor());
    console.log(`${count} credential(s) revoked`);
    return 0;
  }),
};

export const apiCommands: CliCommand[] = [createToken, addCertificate, list, revoke];
