#!/usr/bin/env node
/**
 * `hygie`: the operator's command line. `hygie start` runs the whole operator; the other
 * commands act on the same database through the same domain functions. Each module's
 * commands are in app/commands/; this file only parses and dispatches.
 * Exit codes: 0 done, 1 refused (the message says why), 2 usage, 78 configuration error.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../core/config.js';
import { isHygieError } from '../core/errors.js';
import { apiCommands } from './commands/api.js';
import { delegationCommands } from './commands/delegation.js';
import { lifecycleCommands } from './commands/lifecycle.js';
import { mailboxCommands } from './commands/mailbox.js';
import { networkCommands } from './commands/network.js';
import { queueCommands } from './commands/queue.js';
import { registryCommands } from './commands/registry.js';
import { publicationCommands } from './commands/publication.js';
import { operatorCommands } from './commands/operator.js';
import { pkiCommands } from './commands/pki.js';
import { smimeCommands } from './commands/smime.js';
import { UsageError, type CliCommand } from './commands/types.js';

const COMMANDS: readonly CliCommand[] = [
  ...operatorCommands, ...mailboxCommands, ...publicationCommands, ...delegationCommands, ...registryCommands, ...lifecycleCommands, ...networkCommands, ...queueCommands, ...apiCommands,
  ...pkiCommands, ...smimeCommands,
];

const GLOBAL_OPTIONS = { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

function usage(): string {
  const lines = COMMANDS.map((c) => `  ${c.words.join(' ')} ${c.usage}`.replace(/ +\n/g, '\n'));
  return `Usage: hygie [--config FILE] COMMAND [OPTIONS]

Commands:
${lines.join('\n')}

Configuration: --config FILE, or HYGIE_CONFIG, or ./hygie.yaml; HYGIE_* variables override keys.`;
}

/** The command whose words start the positionals (the longest match wins). */
function findCommand(positionals: readonly string[]): CliCommand | undefined {
  return [...COMMANDS]
    .sort((a, b) => b.words.length - a.words.length)
    .find((c) => c.words.every((word, i) => positionals[i] === word));
}

async function main(argv: string[]): Promise<number> {
  const words = parseArgs({ args: argv, options: GLOBAL_OPTIONS, allowPositionals: true, strict: false }).positionals;
  const command = findCommand(words);
  if (!command) {
    if (words.length === 0) {
      console.log(usage());
      return argv.includes('--help') || argv.includes('-h') ? 0 : 2;
    }
    throw new UsageError(`unknown command "${words.join(' ')}"`);
  }
  const { values, positionals } = parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true });
  if (values.help) {
    console.log(`Usage: hygie ${command.words.join(' ')} ${command.usage}`);
    return 0;
  }
  const { config } = loadConfig(typeof values.config === 'string' ? { file: values.config } : {});
  return command.run({ values, args: positionals.slice(command.words.length), config });
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(`hygie: ${error.message}`);
      process.exitCode = 78;
    } else if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`hygie: ${(error as Error).message}\n\n${usage()}`);
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
