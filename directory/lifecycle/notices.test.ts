/**
 * The notice rules at their edges, on SQLite and PostgreSQL: a sweep that did not run for
 * days, notices that cannot be delivered, a login between notice and step, republication
 * only of what the lifecycle unpublished, a step switched off.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { postgresUnavailable } from '../../core/testing-postgres.js';
import { LifecycleEngine } from './engine.js';
import { recordConnection, republishOnConnection } from './republish.js';
import { DEFAULT_LIFECYCLE_RULES, LIFECYCLE_ACTOR, type LifecycleRules } from './rules.js';
import { DAY, openFixture, PASSWORD, type LifecycleFixture } from './test-fixture.js';
import type { SweepReport } from './types.js';

const START = new Date('2026-03-02T09:00:00.000Z');
const pgSkip = await postgresUnavailable();

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`lifecycle notices (${kind})`, { skip: kind === 'postgres' ? pgSkip : undefined }, () => {
    let f: LifecycleFixture | undefined;
    let names = 0;
    afterEach(async () => { await f?.close(); f = undefined; });

    const open = async (rules?: LifecycleRules): Promise<LifecycleFixture> => {
      f = await openFixture(kind, START, rules);
      return f;
    };
    /** A box created `ageDays` before day 0 that last logged in on day 0 (day 0 is START). */
    const silentBox = async (fx: LifecycleFixture, ageDays = 400): Promise<{ id: number; address: string }> => {
      const box = await fx.mailboxes.createPersonalMailbox({ firstName: 'Test', lastName: `Silence${++names}`, password: PASSWORD, actor: 'operator:test' });
      await fx.db('mailboxes').where({ id: box.id }).update({ created_at: new Date(START.getTime() - ageDays * DAY).toISOString(), last_login_at: START.toISOString() });
      return { id: box.id, address: box.addresses[0]?.address as string };
    };
    const sweepOn = async (fx: LifecycleFixture, day: number): Promise<SweepReport> => {
      fx.clock.set(fx.day(day));
      return fx.engine.sweep();
    };
    const published = async (fx: LifecycleFixture, id: number): Promise<boolean> => (await fx.mailboxes.requireMailbox(id)).published;

    it('a sweep that comes late still gives the full notice: the step moves', async () => {
      const fx = await open();
      const box = await silentBox(fx);
      // No sweep for 70 days: the box should have been unpublished on day 60.
      fx.clock.set(fx.day(70));
      const plan = await fx.engine.plan({ mailboxIds: [box.id] });
      assert.deepEqual(plan.boxes[0]?.steps[0], {
        step: 'unpublish', noticeAt: fx.day(70).toISOString(), noticeSent: false,
        reminderAt: fx.day(81).toISOString(), reminderSent: false, dueAt: fx.day(84).toISOString(),
      });
      const first = await sweepOn(fx, 70);
      assert.deepEqual(first.unpublish, { notices: 1, reminders: 0, done: 0 });
      assert.equal(fx.notifier.delivered[0]?.dueAt, fx.day(84).toISOString());
      assert.equal(await published(fx, box.id), true);
      for (let day = 71; day < 84; day++) {
        const report = await sweepOn(fx, day);
        assert.equal(report.unpublish.reminders, day === 81 ? 1 : 0, `day ${day}`);
        assert.equal(report.unpublish.done, 0, `day ${day}`);
      }
      assert.equal((await sweepOn(fx, 84)).unpublish.done, 1);
      assert.equal(await published(fx, box.id), false);
    });

    it('an undelivered notice holds its step back; delivered late, it moves the step', async () => {
      const fx = await open();
      const box = await silentBox(fx);
      fx.notifier.down = 'relay unreachable';
      let report = await sweepOn(fx, 45);
      assert.deepEqual(report.unpublish, { notices: 1, reminders: 0, done: 0 });
      assert.deepEqual(report.delivery, { delivered: 0, failed: 1, obsolete: 0, postponed: 0, pending: 1 });
      // Thrown failures, then per-notice failures: nothing is delivered, nothing happens on the due day.
      for (let day = 46; day <= 62; day++) {
        if (day === 50) { fx.notifier.down = null; fx.notifier.refuse.add(box.id); }
        report = await sweepOn(fx, day);
        assert.equal(report.delivery.failed, 1, `day ${day}`);
        assert.equal(report.unpublish.done + report.unpublish.reminders, 0, `day ${day}`);
      }
      assert.equal(await published(fx, box.id), true);
      const row = await fx.db('lifecycle_notices').where({ mailbox_id: box.id }).first();
      assert.equal(row.delivery, 'pending');
      assert.equal(row.last_error, 'mailbox full');
      assert.equal(Number(row.attempts), 18);
      const failures = await fx.audit.list({ action: 'lifecycle.notify', limit: 1 });
      assert.equal(failures[0]?.outcome, 'failure');

      fx.notifier.refuse.clear();
      report = await sweepOn(fx, 63);
      assert.deepEqual(report.delivery, { delivered: 1, failed: 0, obsolete: 0, postponed: 1, pending: 0 });
      assert.equal(fx.notifier.delivered[0]?.dueAt, fx.day(77).toISOString());
      for (let day = 64; day <= 77; day++) {
        report = await sweepOn(fx, day);
        assert.deepEqual([report.unpublish.reminders, report.unpublish.done], [day === 74 ? 1 : 0, day === 77 ? 1 : 0], `day ${day}`);
      }
      const events = await fx.db('mailbox_events').where({ mailbox_id: box.id, actor: LIFECYCLE_ACTOR }).orderBy('id');
      assert.deepEqual(events.map((e) => `${e.kind} ${e.at.slice(0, 10)}`), [
        `notice ${fx.day(63).toISOString().slice(0, 10)}`, `notice ${fx.day(74).toISOString().slice(0, 10)}`, `unpublished ${fx.day(77).toISOString().slice(0, 10)}`,
      ]);
    });

    it('a notice recorded but never delivered (a crash after the sweep committed) does not let its step happen', async () => {
      const fx = await open();
      const box = await silentBox(fx);
      await fx.db('lifecycle_notices').insert({
        mailbox_id: box.id, step: 'unpublish', kind: 'notice', due_at: fx.day(60).toISOString(), sent_at: fx.day(45).toISOString(),
        cycle_from: START.toISOString(), delivery: 'pending', attempts: 0,
      });
      fx.notifier.down = 'still down';
      const report = await sweepOn(fx, 61);
      assert.deepEqual(report.unpublish, { notices: 0, reminders: 0, done: 0 });
      assert.equal(await published(fx, box.id), true);
      fx.notifier.down = null;
      assert.equal((await sweepOn(fx, 62)).delivery.delivered, 1);
      assert.equal(fx.notifier.delivered[0]?.dueAt, fx.day(76).toISOString());
    });

    it('a login ends the cycle: no reminder, no step, and an undelivered notice is dropped', async () => {
      const fx = await open();
      const delivered = await silentBox(fx);
      const undelivered = await silentBox(fx);
      fx.notifier.refuse.add(undelivered.id);
      await sweepOn(fx, 45);
      fx.notifier.refuse.clear();
      fx.clock.set(fx.day(50));
      for (const box of [delivered, undelivered]) await fx.mailboxes.authenticate(box.address, PASSWORD, { channel: 'webmail' });
      const report = await sweepOn(fx, 51);
      assert.equal(report.delivery.obsolete, 1);
      assert.equal(report.delivery.delivered, 0);
      for (let day = 52; day <= 94; day++) {
        const r = await sweepOn(fx, day);
        assert.deepEqual([r.unpublish, r.delivery.delivered], [{ notices: 0, reminders: 0, done: 0 }, 0], `day ${day}`);
      }
      // A new cycle from the login on day 50.
      const r = await sweepOn(fx, 95);
      assert.equal(r.unpublish.notices, 2);
      assert.ok(fx.notifier.delivered.slice(-2).every((n) => n.silentSince === fx.day(50).toISOString() && n.dueAt === fx.day(110).toISOString()));
    });

    it('a connection republishes only what the lifecycle unpublished', async () => {
      const fx = await open();
      const [inactive, byOperator, deleted] = [await silentBox(fx), await silentBox(fx), await silentBox(fx)];
      const at = START.toISOString();
      await fx.db('mailboxes').where({ id: inactive.id }).update({ published: false, unpublished_reason: 'inactive', unpublished_at: at });
      await fx.db('mailboxes').where({ id: byOperator.id }).update({ published: false, unpublished_reason: 'operator', unpublished_at: at });
      await fx.db('mailboxes').where({ id: deleted.id }).update({ published: false, unpublished_reason: 'inactive', unpublished_at: at, status: 'deleted', deleted_at: at });
      const results: boolean[] = [];
      await fx.db.transaction(async (trx) => {
        for (const b of [inactive, byOperator, deleted]) results.push(await republishOnConnection(trx, b.id, START));
      });
      assert.deepEqual(results, [true, false, false]);
      const box = await fx.mailboxes.requireMailbox(inactive.id);
      assert.deepEqual([box.published, box.unpublishedReason, box.unpublishedAt], [true, null, null]);
      const event = await fx.db('mailbox_events').where({ mailbox_id: inactive.id, kind: 'published' }).first();
      assert.equal(event.actor, LIFECYCLE_ACTOR);
      assert.equal(await published(fx, byOperator.id), false);

      // A member opening an organisational box: a connection of that box, which republishes it too.
      const later = new Date(START.getTime() + 90 * DAY);
      await fx.db('mailboxes').where({ id: inactive.id }).update({ published: false, unpublished_reason: 'inactive', unpublished_at: at });
      assert.equal(await fx.db.transaction((trx) => recordConnection(trx, inactive.id, later)), true);
      const opened = await fx.mailboxes.requireMailbox(inactive.id);
      assert.deepEqual([opened.published, opened.lastLoginAt], [true, later.toISOString()]);
    });

    it('a step switched off is never announced', async () => {
      const fx = await open({ ...DEFAULT_LIFECYCLE_RULES, delete: { ...DEFAULT_LIFECYCLE_RULES.delete, enabled: false } });
      await silentBox(fx, 1000);
      let total = { notices: 0, done: 0 };
      for (let day = 0; day <= 400; day += 1) {
        const r = await sweepOn(fx, day);
        total = { notices: total.notices + r.delete.notices + r.delete.reminders, done: total.done + r.delete.done };
      }
      assert.deepEqual(total, { notices: 0, done: 0 });
      assert.deepEqual(fx.notifier.delivered.map((n) => `${n.step} ${n.kind}`), ['unpublish notice', 'unpublish reminder']);
      assert.equal((await fx.engine.plan({ horizonDays: 3650 })).total, 0);
    });

    it('in small batches, each read ahead of the previous one\'s bookkeeping: every notice once, a refused one left pending', async () => {
      const fx = await open();
      const boxes: Array<{ id: number; address: string }> = [];
      for (let i = 0; i < 7; i++) boxes.push(await silentBox(fx));
      fx.notifier.refuse.add(boxes[3]!.id);
      const engine = new LifecycleEngine({ db: fx.db, clock: fx.clock, audit: fx.audit, notifier: fx.notifier, deliveryBatchSize: 2 });
      fx.clock.set(fx.day(45));
      const report = await engine.sweep();
      assert.deepEqual(report.delivery, { delivered: 6, failed: 1, obsolete: 0, postponed: 0, pending: 1 });
      const deliveredBoxes = fx.notifier.delivered.map((n) => n.mailboxId);
      assert.deepEqual(deliveredBoxes, boxes.map((b) => b.id).filter((id) => id !== boxes[3]!.id));
      const ids = fx.notifier.delivered.map((n) => n.id);
      assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
      const history = await fx.db('mailbox_events').where({ kind: 'notice' }).orderBy('id').select('mailbox_id');
      assert.deepEqual(history.map((e) => Number(e.mailbox_id)), deliveredBoxes);
      // The refused notice goes out at the next sweep, once.
      fx.notifier.refuse.clear();
      fx.clock.set(fx.day(46));
      assert.equal((await engine.sweep()).delivery.delivered, 1);
      assert.equal(fx.notifier.delivered.at(-1)?.mailboxId, boxes[3]!.id);
    });
  });
}
