/**
 * A box's whole life under a daily sweep, on SQLite and PostgreSQL: created, used, silent
 * (notice, reminder, unpublished but still receiving mail), a login (republished), silent
 * again until deleted (notice, reminder, deleted, can no longer log in) — next to boxes
 * the rules must treat differently: one unpublished by an operator, one unlisted, one
 * too young for the 60-day rule, one in daily use.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isHygieError } from '../../core/errors.js';
import { postgresUnavailable } from '../../core/testing-postgres.js';
import { noticeText } from './notice-text.js';
import { LIFECYCLE_ACTOR } from './rules.js';
import { openFixture, PASSWORD, snapshot, type LifecycleFixture } from './test-fixture.js';

const START = new Date('2025-01-06T09:00:00.000Z');
const LAST_DAY = 840;
const pgSkip = await postgresUnavailable();

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`a box's life under the lifecycle rules (${kind})`, { skip: kind === 'postgres' ? pgSkip : undefined }, () => {
    let f: LifecycleFixture;
    const ids = { helene: 0, operatorHidden: 0, unlisted: 0, young: 0, busy: 0 };
    /** What happened to each box, as "day action". */
    const story = new Map<number, string[]>();
    const tell = (id: number, line: string): void => { story.set(id, [...(story.get(id) ?? []), line]); };
    const dayOf = (iso: string): number => Math.round((Date.parse(iso) - START.getTime()) / 86_400_000);

    before(async () => { f = await openFixture(kind, START); });
    after(async () => { await f?.close(); });

    it('runs a daily sweep for two years and four months, with logins and checks along the way', async () => {
      const login = async (address: string): Promise<void> => { await f.mailboxes.authenticate(address, PASSWORD, { channel: 'imap' }); };
      const create = async (first: string, last: string, rpps?: string): Promise<number> => (await f.mailboxes.createPersonalMailbox({
        firstName: first, lastName: last, ...(rpps ? { rpps } : {}), password: PASSWORD, notificationAddress: `${last.toLowerCase()}@gmail.test`, actor: 'operator:test',
      })).id;

      for (let day = 0; day <= LAST_DAY; day++) {
        f.clock.set(f.day(day));
        if (day === 0) {
          ids.helene = await create('Hélène', 'Durand', '99700218896');
          ids.operatorHidden = await create('Paul', 'Martin');
          ids.unlisted = await create('Anne', 'Leroy');
          ids.busy = await create('Marc', 'Petit');
          await f.db('mailboxes').where({ id: ids.operatorHidden }).update({ published: false, unpublished_reason: 'operator', unpublished_at: f.day(0).toISOString() });
          await f.db('mailboxes').where({ id: ids.unlisted }).update({ published: false, unlisted: true, unpublished_reason: 'unlisted', unpublished_at: f.day(0).toISOString() });
        }
        if (day === 300) ids.young = await create('Jeanne', 'Roux');
        if ((day % 30 === 10 && day <= 400) || day === 400 || day === 470) await login('helene.durand@demo.mssante.test');
        if (day % 30 === 0) await login('marc.petit@esante-demo.test');

        if (day === 441) await checkPlanBeforeTheNotice();
        if (day === 530) await checkDryRunChangesNothing();
        if (day === 800) await checkPlanBeforeDeletion();

        const delivered = f.notifier.delivered.length;
        const report = await f.engine.sweep();
        for (const n of f.notifier.delivered.slice(delivered)) {
          assert.equal(dayOf(n.deliveredAt), day);
          tell(n.mailboxId, `${day} ${n.step} ${n.kind} due ${dayOf(n.dueAt)}`);
        }
        assert.equal(report.delivery.failed + report.delivery.pending, 0);
        for (const [event, step] of [['unpublished', 'unpublish'], ['deleted', 'delete']] as const) {
          const rows = await f.db('mailbox_events').where({ kind: event, at: f.day(day).toISOString(), actor: LIFECYCLE_ACTOR });
          assert.equal(rows.length, report[step].done);
          for (const row of rows) tell(Number(row.mailbox_id), `${day} ${event}`);
        }
        const republished = await f.db('mailbox_events').where({ kind: 'published', at: f.day(day).toISOString(), actor: LIFECYCLE_ACTOR });
        for (const row of republished) tell(Number(row.mailbox_id), `${day} republished`);

        if (day === 445) await checkTheFirstNotice(report);
        if (day === 460) await checkUnpublishedButReceiving();
        if (day === 470) assert.equal((await f.mailboxes.requireMailbox(ids.helene)).published, true);
      }

      assert.deepEqual(story.get(ids.helene), [
        '445 unpublish notice due 460', '457 unpublish reminder due 460', '460 unpublished', '470 republished',
        '515 unpublish notice due 530', '527 unpublish reminder due 530', '530 unpublished',
        '805 delete notice due 835', '828 delete reminder due 835', '835 deleted',
      ]);
      // Unpublished by an operator or unlisted: no unpublication notices, deletion notices all the same.
      for (const id of [ids.operatorHidden, ids.unlisted]) {
        assert.deepEqual(story.get(id), ['700 delete notice due 730', '723 delete reminder due 730', '730 deleted']);
      }
      // Silent from its creation on day 300, but only a year old on day 665.
      assert.deepEqual(story.get(ids.young), ['650 unpublish notice due 665', '662 unpublish reminder due 665', '665 unpublished']);
      assert.equal(story.get(ids.busy), undefined);

      const helene = await f.mailboxes.requireMailbox(ids.helene);
      assert.equal(helene.status, 'deleted');
      assert.equal(helene.deletedAt, f.day(835).toISOString());
      assert.equal(helene.published, false);
      assert.equal(await f.db('credentials').where({ mailbox_id: ids.helene }).first(), undefined);
      await assert.rejects(f.mailboxes.authenticate('helene.durand@demo.mssante.test', PASSWORD, { channel: 'imap' }),
        (e: unknown) => isHygieError(e, 'AUTH_FAILED'));
      assert.equal((await f.mailboxes.resolveAddress('helene.durand@demo.mssante.test'))?.deleted, true);
      const audits = await f.audit.list({ action: 'lifecycle.delete', limit: 10 });
      assert.ok(audits.some((a) => a.details.deleted === 1 && a.actor === LIFECYCLE_ACTOR));
    });

    async function checkTheFirstNotice(report: Awaited<ReturnType<LifecycleFixture['engine']['sweep']>>): Promise<void> {
      assert.deepEqual(report.unpublish, { notices: 1, reminders: 0, done: 0 });
      assert.equal(report.delivery.delivered, 1);
      const notice = f.notifier.delivered.at(-1);
      assert.ok(notice);
      assert.equal(notice.notificationAddress, 'durand@gmail.test');
      assert.deepEqual(notice.addresses.map((a) => a.network), ['regional', 'apicrypt', 'mssante']);
      assert.equal(notice.silentSince, f.day(400).toISOString());
      const text = noticeText(notice);
      assert.match(text.subject, /helene\.durand@demo\.mssante\.test sera retirée de l'annuaire le 11 avril 2026/);
      assert.match(text.text, /avant le 11 avril 2026/);
      const row = await f.db('lifecycle_notices').where({ mailbox_id: ids.helene }).first();
      assert.equal(row.delivery, 'delivered');
      assert.equal(row.cycle_from, f.day(400).toISOString());
      const audit = await f.audit.list({ action: 'lifecycle.unpublish', limit: 1 });
      assert.equal(audit[0]?.details.notices, 1);

      // Idempotent: the same sweep again changes nothing and delivers nothing.
      const before = await snapshot(f.db);
      const again = await f.engine.sweep();
      assert.deepEqual([again.unpublish, again.delete], [{ notices: 0, reminders: 0, done: 0 }, { notices: 0, reminders: 0, done: 0 }]);
      assert.equal(again.delivery.delivered, 0);
      assert.equal(await snapshot(f.db), before);
    }

    async function checkUnpublishedButReceiving(): Promise<void> {
      const box = await f.mailboxes.requireMailbox(ids.helene);
      assert.equal(box.published, false);
      assert.equal(box.unpublishedReason, 'inactive');
      assert.ok(!(await f.mailboxes.listPublished()).some((e) => e.mailboxId === ids.helene));
      const resolved = await f.mailboxes.resolveAddress('helene.durand@demo.mssante.test');
      assert.equal(resolved?.mailboxId, ids.helene);
      assert.equal(resolved?.deleted, false);
    }

    async function checkPlanBeforeTheNotice(): Promise<void> {
      const plan = await f.engine.plan({ horizonDays: 20 });
      assert.deepEqual(plan.boxes.map((b) => b.mailboxId), [ids.helene]);
      const [box] = plan.boxes;
      assert.deepEqual(box?.next, { action: 'notice', step: 'unpublish', at: f.day(445).toISOString() });
      assert.deepEqual(box?.steps.map((s) => [s.step, dayOf(s.noticeAt), s.reminderAt && dayOf(s.reminderAt), dayOf(s.dueAt)]), [
        ['unpublish', 445, 457, 460], ['delete', 400 + 365 - 30, 400 + 365 - 7, 400 + 365],
      ]);
    }

    async function checkPlanBeforeDeletion(): Promise<void> {
      const plan = await f.engine.plan({ mailboxIds: [ids.helene, ids.young, ids.busy] });
      const helene = plan.boxes.find((b) => b.mailboxId === ids.helene);
      assert.deepEqual(helene?.steps.map((s) => [s.step, dayOf(s.noticeAt), s.reminderAt && dayOf(s.reminderAt), dayOf(s.dueAt)]), [['delete', 805, 828, 835]]);
      assert.deepEqual(helene?.next, { action: 'notice', step: 'delete', at: f.day(805).toISOString() });
      const young = plan.boxes.find((b) => b.mailboxId === ids.young);
      assert.deepEqual(young?.steps.map((s) => [s.step, dayOf(s.dueAt)]), [['delete', 300 + 730]]);
      // In daily use: the next step is a year after the last login, whenever it was.
      assert.equal(plan.boxes.find((b) => b.mailboxId === ids.busy)?.next?.action, 'notice');
    }

    async function checkDryRunChangesNothing(): Promise<void> {
      const before = await snapshot(f.db);
      const dry = await f.engine.sweep({ dryRun: true });
      assert.equal(dry.dryRun, true);
      assert.deepEqual(dry.unpublish, { notices: 0, reminders: 0, done: 1 });
      assert.equal(await snapshot(f.db), before);
    }
  });
}
