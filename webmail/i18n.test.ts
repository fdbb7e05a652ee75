import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Formatter, STRINGS, negotiateLanguage } from './i18n.js';

test('language: query, then cookie, then Accept-Language, then the configured default', () => {
  assert.equal(negotiateLanguage({ query: 'en', cookie: 'fr', acceptLanguage: 'fr', fallback: 'fr' }), 'en');
  assert.equal(negotiateLanguage({ query: 'de', cookie: 'en', fallback: 'fr' }), 'en');
  assert.equal(negotiateLanguage({ acceptLanguage: 'de-DE,en-GB;q=0.8,fr;q=0.5', fallback: 'fr' }), 'en');
  assert.equal(negotiateLanguage({ acceptLanguage: 'en;q=0.4, fr-CA;q=0.9', fallback: 'en' }), 'fr');
  assert.equal(negotiateLanguage({ acceptLanguage: 'de, es', fallback: 'en' }), 'en');
  assert.equal(negotiateLanguage({ acceptLanguage: 'en;q=0', fallback: 'fr' }), 'fr');
  assert.equal(negotiateLanguage({ fallback: 'fr' }), 'fr');
});

test('both languages define the same texts', () => {
  const keys = (value: object): string[] => Object.entries(value)
    .flatMap(([key, inner]) => (inner && typeof inner === 'object' && !Array.isArray(inner) ? keys(inner).map((k) => `${key}.${k}`) : [key]))
    .sort();
  assert.deepEqual(keys(STRINGS.fr), keys(STRINGS.en));
});

test('sizes and dates follow the language, dates in the configured time zone', () => {
  const fr = new Formatter(STRINGS.fr, 'Europe/Paris');
  const en = new Formatter(STRINGS.en, 'Europe/Paris');
  assert.equal(fr.size(512), '512\u00a0o');
  assert.equal(fr.size(1536), '1,5\u00a0Ko');
  assert.equal(en.size(1536), '1.5\u00a0KB');
  assert.equal(fr.size(30 * 1024 * 1024), '30\u00a0Mo');
  const date = new Date('2026-11-24T09:15:00Z');
  assert.match(fr.shortDate(date), /24\/11\/2026.*10:15/);
  assert.match(fr.longDate(date), /mardi 24 novembre 2026.*10:15/);
  assert.match(new Formatter(STRINGS.fr, 'Indian/Reunion').shortDate(date), /13:15/);
});
