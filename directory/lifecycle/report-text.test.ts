import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describePlan, describeSweep } from './report-text.js';
import type { LifecyclePlan, SweepReport } from './types.js';

const report: SweepReport = {
  at: '2026-11-24T02:00:00.000Z', dryRun: false, durationMs: 12, deliveryMs: 3,
  unpublish: { notices: 12, reminders: 3, done: 5 }, delete: { notices: 2, reminders: 0, done: 1 },
  delivery: { delivered: 17, failed: 0, obsolete: 1, postponed: 0, pending: 0 },
};

test('a sweep report reads in French by default, in English on request; a dry run says nothing changed', () => {
  assert.equal(describeSweep(report), [
    'Cycle de vie des boîtes au 24/11/2026 03:00',
    '  retrait de l\'annuaire : 12 avis, 3 rappel(s), 5 boîte(s) retirée(s)',
    '  suppression : 2 avis, 0 rappel(s), 1 boîte(s) supprimée(s)',
    '  avis remis : 17, en échec : 0, caducs : 1, échéance reportée : 0, en attente : 0',
  ].join('\n'));
  const english = describeSweep({ ...report, dryRun: true }, 'en');
  assert.match(english, /^Mailbox lifecycle at 24\/11\/2026, 03:00 \(dry run: nothing changed or sent\)\n {2}unpublication: 12 notice\(s\)/);
  assert.doesNotMatch(english, /delivered/);
});

test('a plan lists each box with its next action and the dates of its steps', () => {
  const plan: LifecyclePlan = {
    at: '2026-11-24T02:00:00.000Z', until: '2026-12-24T02:00:00.000Z', total: 2,
    boxes: [{
      mailboxId: 12, displayName: 'Hélène Durand', type: 'PER', published: true, silentSince: '2026-09-20T08:00:00.000Z',
      next: { action: 'reminder', step: 'unpublish', at: '2026-11-16T08:00:00.000Z' },
      steps: [{ step: 'unpublish', dueAt: '2026-11-19T08:00:00.000Z', noticeAt: '2026-11-04T09:00:00.000Z', noticeSent: true, reminderAt: '2026-11-16T08:00:00.000Z', reminderSent: false }],
    }],
  };
  assert.equal(describePlan(plan), [
    '2 boîte(s) concernée(s) d\'ici le 24/12/2026',
    '      12  Hélène Durand (PER), sans connexion depuis le 20/09/2026 — prochaine étape : rappel le 16/11/2026',
    '          retrait de l\'annuaire le 19/11/2026 (avis envoyé le 04/11/2026, rappel le 16/11/2026)',
    '… et 1 autre(s)',
  ].join('\n'));
  assert.match(describePlan(plan, 'en'), /next: reminder on 16\/11\/2026\n {10}unpublication on 19\/11\/2026 \(notice sent 04\/11\/2026, reminder 16\/11\/2026\)/);
});
