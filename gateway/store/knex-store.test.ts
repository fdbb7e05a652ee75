/**
 * The message store on SQLite and PostgreSQL: UIDVALIDITY, UIDNEXT and MODSEQ kept across
 * restarts (a new store over the same database), renames and concurrent writers; the
 * per-folder counters and the quota; the cached descriptions and search text, including
 * for messages stored before the cache existed; conditional flag updates.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Knex } from 'knex';
import { AuditTrail, auditMigrations } from '../../core/audit.js';
import { ManualClock } from '../../core/clock.js';
import { DEFAULT_CONFIG } from '../../core/config.js';
import { openDatabase } from '../../core/database.js';
import { isHygieError } from '../../core/errors.js';
import { createTestPostgresDatabase, postgresUnavailable } from '../../core/testing-postgres.js';
import { MailboxService } from '../../directory/mailbox-service.js';
import { directoryMigrations } from '../../directory/migrations.js';
import { KnexMessageStore } from './knex-store.js';
import { storeMigrations } from './migrations.js';

const message = (subject: string, body = 'Corps du message.'): Buffer => Buffer.from(
  `From: "Dr Jean Martin" <jean.martin@esante-demo.test>\r\nTo: a@b.test\r\nSubject: =?UTF-8?Q?${encodeQ(subject)}?=\r\n`
  + `Message-ID: <${subject.replace(/\W/g, '')}@test>\r\nDate: Tue, 24 Nov 2026 10:00:00 +0100\r\n\r\n${body}\r\n`,
);

function encodeQ(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => (byte === 0x20 ? '_' : byte < 0x80 && /[A-Za-z0-9]/.test(String.fromCharCode(byte))
    ? String.fromCharCode(byte) : `=${byte.toString(16).toUpperCase()}`)).join('');
}

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`message store (${engine})`, async () => {
    const skip = engine === 'postgres' ? await postgresUnavailable() : undefined;
    const clock = new ManualClock(new Date('2026-11-24T10:00:00Z'));
    let dataDir: string;
    let db: Knex;
    let drop: (() => Promise<void>) | undefined;
    let mailboxId: number;
    const open = (quotaBytes?: number): KnexMessageStore => new KnexMessageStore({ db, blobDir: path.join(dataDir, 'messages'), clock, ...(quotaBytes ? { quotaBytes } : {}) });

    before(async () => {
      if (skip) return;
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'hygie-store-'));
      let url = '';
      if (engine === 'postgres') ({ url, drop } = await createTestPostgresDatabase('hygie_store'));
      db = await openDatabase({ url, dataDir, migrations: [...auditMigrations, ...directoryMigrations, ...storeMigrations] });
      const mailboxes = new MailboxService({ db, clock, audit: new AuditTrail(db, clock), domains: DEFAULT_CONFIG.operator.domains, auth: { maxFailures: 5, windowSeconds: 60 } });
      mailboxId = (await mailboxes.createPersonalMailbox({ firstName: 'Anne', lastName: 'Store', password: 'correct horse battery', actor: 'test' })).id;
    });
    after(async () => {
      if (skip) return;
      await db.destroy();
      await drop?.();
      rmSync(dataDir, { recursive: true, force: true });
    });

    test('UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ survive a restart, a rename and concurrent deliveries', { skip }, async () => {
      const store = open();
      await Promise.all(Array.from({ length: 12 }, (_, i) => store.deliver([mailboxId], message(`concurrent ${i}`))));
      const before = (await store.getFolder(mailboxId, 'INBOX'))!;
      const uids = (await store.listMessages(before.id)).map((m) => m.uid);
      assert.deepEqual(uids, Array.from({ length: 12 }, (_, i) => i + 1), 'concurrent writers get distinct, dense UIDs');
      assert.equal(before.uidNext, 13);
      assert.equal(before.messageCount, 12);

      const restarted = open();
      const again = (await restarted.getFolder(mailboxId, 'INBOX'))!;
      assert.deepEqual([again.uidValidity, again.uidNext, again.highestModseq], [before.uidValidity, before.uidNext, before.highestModseq]);
      await restarted.expunge(again.id, [12]);
      const next = await restarted.deliver([mailboxId], message('after restart'));
      assert.equal(next[0]!.uid, 13, 'an expunged UID is never reused');

      await restarted.createFolder(mailboxId, 'Dossiers');
      const folder = (await restarted.getFolder(mailboxId, 'Dossiers'))!;
      await restarted.copy(again.id, [1, 2], folder.id);
      await restarted.renameFolder(mailboxId, 'Dossiers', 'Classés');
      const renamed = (await restarted.getFolder(mailboxId, 'Classés'))!;
      assert.deepEqual([renamed.id, renamed.uidValidity, renamed.uidNext, renamed.messageCount], [folder.id, folder.uidValidity, 3, 2]);
      assert.ok(renamed.highestModseq > folder.highestModseq);
      // Deleted and created again in the same second: a new UIDVALIDITY all the same.
      await restarted.deleteFolder(mailboxId, 'Classés');
      const recreated = await restarted.createFolder(mailboxId, 'Classés');
      assert.ok(recreated.uidValidity > renamed.uidValidity);
      assert.equal(recreated.uidNext, 1);
    });

    test('conditional flag updates, expunged UIDs since a modseq, folder counts', { skip }, async () => {
      const store = open();
      const inbox = (await store.getFolder(mailboxId, 'INBOX'))!;
      const stale = inbox.highestModseq;
      const first = await store.storeFlags(inbox.id, [1, 2], ['\\Seen'], 'add', stale);
      assert.deepEqual(first.modified, []);
      assert.ok(first.updated.every((m) => m.modseq > stale));
      const second = await store.storeFlags(inbox.id, [1, 3], ['\\Flagged'], 'add', stale);
      assert.deepEqual(second.modified, [1]);
      assert.deepEqual(second.updated.map((m) => m.uid), [3]);
      assert.deepEqual(await store.expungedSince(inbox.id, 0), [12]);
      await store.storeFlags(inbox.id, [3], ['\\Deleted'], 'add');
      const status = await store.folderStatus(inbox.id);
      assert.equal(status.messages, 12);
      assert.equal(status.unseen, 10);
      assert.equal(status.deleted, 1);
      assert.ok(status.deletedSize > 0 && status.size > status.deletedSize);
      assert.equal((await store.getFolder(mailboxId, 'INBOX'))!.totalSize, status.size);
    });

    test('descriptions and search text are cached at delivery, and worked out for older messages', { skip }, async () => {
      const store = open();
      const inbox = (await store.getFolder(mailboxId, 'INBOX'))!;
      const [stored] = await store.deliver([mailboxId], message('Résultats été', 'Le taux de glycémie est NORMAL.'));
      const described = await store.describeMessages(inbox.id, [stored!.uid]);
      assert.match(described.get(stored!.uid)!.envelope, /^\("Tue, 24 Nov 2026 10:00:00 \+0100" "=\?UTF-8\?Q\?R=C3=A9sultats_=C3=A9t=C3=A9\?=" \(\("Dr Jean Martin" NIL "jean.martin"/);
      assert.match(described.get(stored!.uid)!.bodyStructure, /^\("text" "plain" \("charset" "us-ascii"\) NIL NIL "7BIT" \d+ 1 NIL NIL NIL NIL\)$/);
      assert.deepEqual([...await store.searchText(inbox.id, 'glycémie est normal', 'body')], [stored!.uid]);
      assert.deepEqual([...await store.searchText(inbox.id, 'RÉSULTATS ÉTÉ', 'text')], [stored!.uid]);
      assert.deepEqual([...await store.searchText(inbox.id, 'résultats', 'body')], []);
      const [summary] = (await store.listMessages(inbox.id)).filter((m) => m.uid === stored!.uid);
      assert.equal(summary!.subject, 'Résultats été');
      assert.equal(summary!.from, '"Dr Jean Martin" <jean.martin@esante-demo.test>');

      // As if stored before the cache: it is worked out from the file when first needed.
      await db('messages').where({ folder_id: inbox.id, uid: stored!.uid }).update({ envelope: null, body_structure: null });
      await db('message_texts').delete();
      assert.deepEqual([...await store.searchText(inbox.id, 'glycémie', 'body')], [stored!.uid]);
      assert.equal((await store.describeMessages(inbox.id, [stored!.uid])).get(stored!.uid)!.envelope, described.get(stored!.uid)!.envelope);
      assert.match((await store.headerTexts(inbox.id)).get(stored!.uid)!, /^from: "dr jean martin" <jean\.martin@esante-demo\.test>\nto: a@b\.test\nsubject: résultats été/);
    });

    test('quota: usage counted per box, deliveries and copies refused past the limit, nothing half stored', { skip }, async () => {
      const store = open(1);
      const usage = await store.quota(mailboxId);
      assert.equal(usage.limitBytes, 1);
      assert.ok(usage.usedBytes > 0);
      const inbox = (await store.getFolder(mailboxId, 'INBOX'))!;
      await assert.rejects(store.deliver([mailboxId], message('trop')), (error) => isHygieError(error, 'MAILBOX_FULL'));
      await assert.rejects(store.copy(inbox.id, [1], inbox.id), (error) => isHygieError(error, 'MAILBOX_FULL'));
      assert.equal((await store.getFolder(mailboxId, 'INBOX'))!.messageCount, inbox.messageCount);
      await store.setQuota(mailboxId, 10 * 1024 * 1024);
      assert.equal((await store.quota(mailboxId)).limitBytes, 10 * 1024 * 1024);
      await store.deliver([mailboxId], message('de nouveau possible'));
      await store.setQuota(mailboxId, null);
      assert.equal((await store.quota(mailboxId)).limitBytes, 1);
      const removed = await store.expunge(inbox.id);
      assert.deepEqual(removed, [3]);
      // The counters agree with the messages themselves, across folders, after expunges and copies.
      let total = 0;
      for (const folder of await store.listFolders(mailboxId)) total += (await store.listMessages(folder.id)).reduce((sum, m) => sum + m.size, 0);
      assert.equal((await store.quota(mailboxId)).usedBytes, total);
    });

    test('the journal comes in the order changes happened, also when a delivery and a flag change and an expunge share a group commit', { skip }, async () => {
      const store = open();
      await store.deliver([mailboxId], message('avant')); // the inbox is known from here on: the next delivery is queued at once
      const inbox = (await store.getFolder(mailboxId, 'INBOX'))!;
      const [first, second] = (await store.listMessages(inbox.id)).slice(-2);
      const before = (await store.getFolder(mailboxId, 'INBOX'))!.highestModseq;
      // Submitted in one turn: one batch, in this order (the delivery's journal row is written at the end of the batch).
      await Promise.all([
        store.deliver([mailboxId], message('ensemble')),
        store.updateFlags(inbox.id, [first!.uid], ['\\Flagged'], 'add'),
        store.expunge(inbox.id, [second!.uid]),
      ]);
      const changes = await store.changesSince(inbox.id, before);
      assert.deepEqual(changes.map((c) => c.kind), ['exists', 'flags', 'expunge']);
      assert.deepEqual(changes.map((c) => c.modseq), [...changes.map((c) => c.modseq)].sort((a, b) => a - b));
    });

    test('quota: a delivery to a full box and another is refused for both; a copy that fits message by message but not in all is refused whole', { skip }, async () => {
      const mailboxes = new MailboxService({ db, clock, audit: new AuditTrail(db, clock), domains: DEFAULT_CONFIG.operator.domains, auth: { maxFailures: 5, windowSeconds: 60 } });
      const other = (await mailboxes.createPersonalMailbox({ firstName: 'Bruno', lastName: 'Quota', password: 'correct horse battery', actor: 'test' })).id;
      const store = open();
      const [first] = await store.deliver([other], message('premier'));
      const [second] = await store.deliver([other], message('second'));
      const otherInbox = (await store.getFolder(other, 'INBOX'))!;
      const usedBefore = (await store.quota(other)).usedBytes;
      const sizes = (await store.listMessages(otherInbox.id, [first!.uid, second!.uid])).map((m) => m.size);
      // Room for the larger of the two messages, not for both.
      await store.setQuota(other, usedBefore + Math.max(...sizes));
      await assert.rejects(store.copy(otherInbox.id, [first!.uid, second!.uid], otherInbox.id), (error) => isHygieError(error, 'MAILBOX_FULL'));
      assert.equal((await store.getFolder(other, 'INBOX'))!.messageCount, otherInbox.messageCount);
      const copied = await store.copy(otherInbox.id, [first!.uid], otherInbox.id);
      assert.equal(copied.mapping.length, 1);

      // The first box has room, the second none left: neither copy is stored.
      await store.setQuota(other, (await store.quota(other)).usedBytes);
      const inboxBefore = (await store.getFolder(mailboxId, 'INBOX'))!.messageCount;
      const otherBefore = (await store.getFolder(other, 'INBOX'))!.messageCount;
      await assert.rejects(store.deliver([mailboxId, other], message('pour deux')), (error) => isHygieError(error, 'MAILBOX_FULL') && /mailbox \d+ uses \d+ of \d+ bytes/.test((error as Error).message));
      assert.equal((await store.getFolder(mailboxId, 'INBOX'))!.messageCount, inboxBefore);
      assert.equal((await store.getFolder(other, 'INBOX'))!.messageCount, otherBefore);
      assert.equal((await db('messages').where({ message_id: '<premier@test>' })).length, 2); // the message and its copy: how ids are stored
      assert.equal((await db('messages').where({ message_id: '<pourdeux@test>' })).length, 0);
    });
  });
}
