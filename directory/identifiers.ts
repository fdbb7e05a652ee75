/**
 * National identifiers of health professionals.
 * RPPS: 11 digits whose last is a Luhn check digit (the ANS test number 99700218896 passes).
 * ADELI: 9 characters, a department (2 digits, or 2A/2B for Corsica) then 7 digits.
 */
import { HygieError } from '../core/errors.js';

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** Returns the normalised RPPS number or throws INVALID_RPPS with the precise reason. */
export function parseRpps(input: string): string {
  const value = input.replace(/\s+/g, '');
  if (!/^\d{11}$/.test(value)) throw new HygieError('INVALID_RPPS', `RPPS "${input}" must be exactly 11 digits`);
  if (!luhnValid(value)) throw new HygieError('INVALID_RPPS', `RPPS "${input}" has a wrong check digit`);
  return value;
}

/** Returns the normalised ADELI number or throws INVALID_ADELI. */
export function parseAdeli(input: string): string {
  const value = input.replace(/\s+/g, '').toUpperCase();
  if (!/^(\d{2}|2A|2B)\d{7}$/.test(value)) {
    throw new HygieError('INVALID_ADELI', `ADELI "${input}" must be 9 characters: a department (2 digits, 2A or 2B) then 7 digits`);
  }
  return value;
}
