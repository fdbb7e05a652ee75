/** What several commands need: the operator context, passwords, required options. */
import { readFileSync } from 'node:fs';
import type { Config } from '../../core/config.js';
import { Logger } from '../../core/logger.js';
import { openContext, type OperatorContext } from '../context.js';
import { UsageError, type OptionValues } from './types.js';

/** Opens the database and services for one command, and closes them after. Logs go to stderr. */
export async function withContext(config: Readonly<Config>, run: (context: OperatorContext) => Promise<number>): Promise<number> {
  const logger = new Logger({ level: 'warn', format: config.log.format, write: (line) => process.stderr.write(line + '\n') });
  const context = await openContext(config, logger);
  try {
    return await run(context);
  } finally {
    await context.close();
  }
}

export function operatorActor(): string {
  return `operator:${process.env.USER ?? 'cli'}`;
}

export function requiredString(values: OptionValues, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

export function optionalString(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** From --password or --password-stdin (never both; one is required). */
export function readPassword(values: OptionValues): string {
  if (values.password && values['password-stdin']) throw new UsageError('give --password or --password-stdin, not both');
  if (typeof values.password === 'string') return values.password;
  if (values['password-stdin']) return readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  throw new UsageError('a password is required: --password P or --password-stdin');
}

export const PASSWORD_OPTIONS = {
  password: { type: 'string' },
  'password-stdin': { type: 'boolean' },
} as const;

/** The first argument as a mailbox reference: an id (digits) or one of its addresses. */
export function mailboxArgument(args: string[]): number | string {
  const ref = args[0];
  if (!ref) throw new UsageError('give the mailbox: its id or one of its addresses');
  return /^\d+$/.test(ref) ? Number(ref) : ref;
}
