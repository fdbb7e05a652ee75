/**
 * IMAP dates: `date-time` ("17-Jul-1996 02:44:25 -0700") for INTERNALDATE and APPEND,
 * `date` (1-Feb-1994) for SEARCH.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** INTERNALDATE in UTC: `24-Nov-2026 10:00:00 +0000`. */
export function formatDateTime(date: Date): string {
  return `${pad(date.getUTCDate())}-${MONTHS[date.getUTCMonth()]}-${date.getUTCFullYear()} `
    + `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/** Parses an APPEND date-time; undefined when malformed. */
export function parseDateTime(text: string): Date | undefined {
  const match = /^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(text);
  if (!match) return undefined;
  const month = monthIndex(match[2]!);
  if (month < 0) return undefined;
  const [day, year, hours, minutes, seconds] = [match[1], match[3], match[4], match[5], match[6]].map(Number) as [number, number, number, number, number];
  if (day < 1 || day > 31 || hours > 23 || minutes > 59 || seconds > 60) return undefined;
  const offset = (match[7] === '-' ? -1 : 1) * (Number(match[8]) * 60 + Number(match[9]));
  return new Date(Date.UTC(year, month, day, hours, minutes, seconds) - offset * 60_000);
}

/** A SEARCH date as the UTC midnight it names; undefined when malformed. */
export function parseSearchDate(text: string): number | undefined {
  const match = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text);
  if (!match) return undefined;
  const month = monthIndex(match[2]!);
  const day = Number(match[1]);
  if (month < 0 || day < 1 || day > 31) return undefined;
  return Date.UTC(Number(match[3]), month, day);
}

/** The UTC midnight of the day a timestamp falls on (SEARCH compares days, not times). */
export function dayOf(date: Date): number {
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
}

function monthIndex(name: string): number {
  return MONTHS.findIndex((month) => month.toLowerCase() === name.toLowerCase());
}
