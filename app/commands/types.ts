/**
 * The shape of a `hygie` command: the words that name it, its usage text, its own
 * options, and what it does. app/cli.ts parses argv against the command's options and
 * dispatches; each module's commands live in their own file here.
 */
import type { ParseArgsConfig } from 'node:util';
import type { Config } from '../../core/config.js';

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;
export type OptionValues = Record<string, string | boolean | undefined>;

export interface CommandInput {
  values: OptionValues;
  /** Words after the command's own words. */
  args: string[];
  config: Readonly<Config>;
}

export interface CliCommand {
  /** e.g. ['mailbox', 'create']. */
  words: readonly string[];
  /** Usage lines shown by `hygie --help`, without the leading words. */
  usage: string;
  options?: OptionSpecs;
  run(input: CommandInput): Promise<number>;
}

/** A mistake in how the command was typed: exit code 2 and the usage. */
export class UsageError extends Error {}
