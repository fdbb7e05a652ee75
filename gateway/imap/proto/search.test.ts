import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchSearch, parseSearch, searchNeedsContent, UnsupportedCharsetError, type SearchCandidate } from './search.js';
import { parseCommand } from './parser.js';
import { ImapSyntaxError } from './tokens.js';

const query = (criteria: string) => parseSearch(parseCommand(Buffer.from(`s SEARCH ${criteria}\r\n`, 'utf8')).args);

function message(overrides: Partial<SearchCandidate> & { headers?: Record<string, string[]>; text?: string }): SearchCandidate {
  const headers = overrides.headers ?? {};
  return {
    seq: 1, uid: 10, flags: [], internalDate: new Date('2026-11-24T10:00:00Z'), size: 1000, sentAt: new Date('2026-11-23T08:00:00Z'), modseq: 7,
    header: (field) => (field === '*' ? Object.entries(headers).flatMap(([k, v]) => v.map((x) => `${k}: ${x}`)) : headers[field] ?? []),
    body: () => overrides.text ?? '',
    ...overrides,
  };
}

const scope = { count: 3, maxUid: 30 };

test('flags, UID sets, sequence sets, dates and sizes', () => {
  const seen = message({ flags: ['\\Seen', '\\Flagged'] });
  assert.equal(matchSearch(query('SEEN FLAGGED').key, seen, scope), true);
  assert.equal(matchSearch(query('UNSEEN').key, seen, scope), false);
  assert.equal(matchSearch(query('NOT DELETED UID 5:10').key, seen, scope), true);
  assert.equal(matchSearch(query('UID 11:*').key, seen, scope), false);
  assert.equal(matchSearch(query('2:*').key, seen, scope), false);
  assert.equal(matchSearch(query('SINCE 24-Nov-2026 BEFORE 25-Nov-2026 SENTON 23-Nov-2026').key, seen, scope), true);
  assert.equal(matchSearch(query('LARGER 999 SMALLER 1001').key, seen, scope), true);
  assert.equal(matchSearch(query('OR DELETED (KEYWORD $Urgent)').key, seen, scope), false);
  assert.equal(matchSearch(query('ALL').key, seen, scope), true);
  assert.equal(matchSearch(query('NEW').key, seen, scope), false);
});

test('text criteria are case-insensitive substrings of decoded values', () => {
  const candidate = message({ headers: { subject: ["Résultats d'analyses"], from: ['Dr Jean Martin <jean.martin@esante-demo.test>'] }, text: 'Bonjour Hélène' });
  assert.equal(matchSearch(query('SUBJECT résultats FROM "JEAN"').key, candidate, scope), true);
  assert.equal(matchSearch(query('TEXT hélène').key, candidate, scope), true);
  assert.equal(matchSearch(query('BODY subject').key, candidate, scope), false);
  assert.equal(matchSearch(query('TEXT subject').key, candidate, scope), true);
  assert.equal(matchSearch(query('HEADER X-Priority ""').key, candidate, scope), false);
  assert.equal(matchSearch(query('CHARSET UTF-8 SUBJECT {9}\r\nrésultat').key, candidate, scope), true);
});

test('only criteria beyond the summary need the message bytes', () => {
  const known = new Set(['subject', 'from']);
  assert.equal(searchNeedsContent(query('SUBJECT a FROM b UNSEEN').key, known), false);
  assert.equal(searchNeedsContent(query('OR SUBJECT a TO b').key, known), true);
  assert.equal(searchNeedsContent(query('NOT TEXT a').key, known), true);
});

test('bad criteria and unknown charsets are refused', () => {
  assert.throws(() => query('FOO'), ImapSyntaxError);
  assert.throws(() => query('SINCE yesterday'), ImapSyntaxError);
  assert.throws(() => query('SUBJECT'), ImapSyntaxError);
  assert.throws(() => query('OR SEEN'), ImapSyntaxError);
  assert.throws(() => query('CHARSET KOI8-R ALL'), UnsupportedCharsetError);
});

test('MODSEQ criteria and ESEARCH RETURN options', () => {
  const changed = message({});
  assert.equal(matchSearch(query('MODSEQ 7').key, changed, scope), true);
  assert.equal(matchSearch(query('MODSEQ "/flags/\\\\draft" all 8').key, changed, scope), false);
  assert.deepEqual([...query('RETURN (MIN COUNT) ALL').returns!], ['MIN', 'COUNT']);
  assert.deepEqual([...query('RETURN () ALL').returns!], ['ALL']);
  assert.equal(query('ALL').returns, undefined);
  assert.throws(() => query('RETURN (SAVE) ALL'), ImapSyntaxError);
  assert.throws(() => query('MODSEQ abc'), ImapSyntaxError);
});

test('an index answers TEXT and BODY when the candidate has one', () => {
  const indexed = message({ textContains: (scope, value) => scope === 'text' && value === 'xyz' });
  assert.equal(matchSearch(query('TEXT xyz').key, indexed, scope), true);
  assert.equal(matchSearch(query('BODY xyz').key, indexed, scope), false);
});
