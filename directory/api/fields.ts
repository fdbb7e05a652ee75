/** Typed reads of JSON request fields, each failing with an error that names the field. */
import { HygieError } from '../../core/errors.js';

type Body = Record<string, unknown>;

export function optionalText(body: Body, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new HygieError('INVALID_INPUT', `field "${name}" must be a string`);
  return value;
}

export function requiredText(body: Body, name: string): string {
  const value = optionalText(body, name);
  if (value === undefined || value.trim() === '') throw new HygieError('INVALID_INPUT', `field "${name}" is required`);
  return value;
}

export function optionalBoolean(body: Body, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new HygieError('INVALID_INPUT', `field "${name}" must be true or false`);
  return value;
}

export function optionalDate(body: Body, name: string): Date | undefined {
  const text = optionalText(body, name);
  if (text === undefined) return undefined;
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new HygieError('INVALID_INPUT', `field "${name}" must be an ISO 8601 date`);
  return date;
}

export function textList(body: Body, name: string): string[] {
  const value = body[name];
  if (typeof value === 'string') return value.split(',');
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  throw new HygieError('INVALID_INPUT', `field "${name}" must be a list of strings`);
}

/** A mailbox named in a path: its id (digits) or one of its addresses. */
export function mailboxRef(value: string): number | string {
  return /^\d+$/.test(value) ? Number(value) : value;
}
