/**
 * The extensions on the wire, byte for byte: CONDSTORE, QRESYNC, ESEARCH, the SEARCH key
 * set with UTF-8 text, STATUS items, LIST-EXTENDED and LIST-STATUS, QUOTA, CHECK / CLOSE /
 * UNSELECT.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loginRaw, sampleMessage, startTestBed, type ImapTestBed } from './testing.js';

let bed: ImapTestBed;

before(async () => {
  bed = await startTestBed();
  await bed.store.deliver([bed.user.mailboxId], sampleMessage('Résultats d’analyses', 'Les résultats sont normaux, à revoir.\r\n'));
  await bed.store.deliver([bed.user.mailboxId], Buffer.from('From: a@b.test\r\nTo: secretariat@cabinet.test\r\nSubject: court\r\nMessage-ID: <court@b.test>\r\nDate: Mon, 2 Nov 2026 08:00:00 +0000\r\n\r\nHello world\r\n'));
  await bed.store.deliver([bed.user.mailboxId], Buffer.from('Subject: troisième\r\nX-Priorite: urgente\r\n\r\nbody three\r\n'));
});
after(async () => bed.close());

function modseqOf(line: string): number {
  const match = /MODSEQ \((\d+)\)/.exec(line) ?? /HIGHESTMODSEQ (\d+)/.exec(line);
  assert.ok(match, `no modseq in ${line}`);
  return Number(match[1]);
}

test('CONDSTORE: HIGHESTMODSEQ, MODSEQ, CHANGEDSINCE, UNCHANGEDSINCE with MODIFIED, SEARCH MODSEQ, others\' changes', async () => {
  const client = await loginRaw(bed);
  const other = await loginRaw(bed);
  try {
    const selected = await client.command('c1', 'SELECT INBOX (CONDSTORE)');
    const highest = modseqOf(selected.find((l) => l.includes('HIGHESTMODSEQ'))!);
    assert.equal(selected.at(-1), 'c1 OK [READ-WRITE] SELECT completed');
    const fetched = await client.command('c2', 'FETCH 1:* (UID FLAGS MODSEQ)');
    assert.equal(fetched.length, 4);
    const first = modseqOf(fetched[0]!);
    assert.equal(fetched[0], `* 1 FETCH (UID 1 FLAGS () MODSEQ (${first}))`);

    const stored = await client.command('c3', `STORE 1 (UNCHANGEDSINCE ${first}) +FLAGS (\\Flagged)`);
    const after1 = modseqOf(stored[0]!);
    assert.ok(after1 > highest);
    assert.deepEqual(stored, [`* 1 FETCH (FLAGS (\\Flagged) MODSEQ (${after1}))`, 'c3 OK STORE completed']);
    assert.deepEqual(await client.command('c4', `STORE 1 (UNCHANGEDSINCE ${first}) +FLAGS (\\Seen)`), ['c4 OK [MODIFIED 1] Conditional STORE failed for messages changed since']);
    assert.deepEqual(await client.command('c5', `UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${highest})`), [
      `* 1 FETCH (UID 1 FLAGS (\\Flagged) MODSEQ (${after1}))`, 'c5 OK UID FETCH completed',
    ]);
    assert.deepEqual(await client.command('c6', `SEARCH MODSEQ ${after1}`), [`* SEARCH 1 (MODSEQ ${after1})`, 'c6 OK SEARCH completed']);
    assert.deepEqual(await client.command('c7', `UID SEARCH RETURN (COUNT) MODSEQ ${highest + 1}`), [`* ESEARCH (TAG "c7") UID COUNT 1 MODSEQ ${after1}`, 'c7 OK UID SEARCH completed']);

    // Another session's change reaches this one with its MODSEQ; a silent store still tells the new MODSEQ.
    await other.command('o1', 'SELECT INBOX');
    assert.deepEqual(await other.command('o2', 'STORE 2 +FLAGS.SILENT (\\Answered)'), ['o2 OK STORE completed']);
    const noop = await client.command('c8', 'NOOP');
    const after2 = modseqOf(noop[0]!);
    assert.deepEqual(noop, [`* 2 FETCH (UID 2 FLAGS (\\Answered) MODSEQ (${after2}))`, 'c8 OK NOOP completed']);
    const silent = await client.command('c9', 'UID STORE 2 +FLAGS.SILENT (\\Draft)');
    assert.match(silent[0]!, /^\* 2 FETCH \(UID 2 MODSEQ \(\d+\)\)$/);
    assert.deepEqual(await client.command('c10', 'STATUS INBOX (MESSAGES HIGHESTMODSEQ)'), [`* STATUS "INBOX" (MESSAGES 3 HIGHESTMODSEQ ${modseqOf(silent[0]!)})`, 'c10 OK STATUS completed']);
    await client.command('c11', 'UID STORE 1:3 -FLAGS.SILENT (\\Flagged \\Answered \\Draft)');
  } finally {
    client.close();
    other.close();
  }
});

test('QRESYNC: ENABLE, SELECT with known UIDs gets VANISHED (EARLIER) and changed flags; EXPUNGE becomes VANISHED', async () => {
  const first = await loginRaw(bed);
  const selected = await first.command('q1', 'SELECT INBOX');
  const uidValidity = Number(/UIDVALIDITY (\d+)/.exec(selected.join('\n'))![1]);
  const highest = modseqOf(selected.find((l) => l.includes('HIGHESTMODSEQ'))!);
  await bed.store.deliver([bed.user.mailboxId], Buffer.from('Subject: quatre\r\n\r\n4\r\n'));
  await bed.store.deliver([bed.user.mailboxId], Buffer.from('Subject: cinq\r\n\r\n5\r\n'));
  assert.deepEqual(await first.command('q2', 'NOOP'), ['* 5 EXISTS', 'q2 OK NOOP completed']);
  assert.deepEqual(await first.command('q3', 'UID STORE 4 +FLAGS.SILENT (\\Deleted)'), ['q3 OK UID STORE completed']);
  first.close();

  const client = await loginRaw(bed);
  try {
    assert.deepEqual(await client.command('r0', 'SELECT INBOX (QRESYNC (1 1))'), ['r0 BAD QRESYNC must be enabled first (ENABLE QRESYNC)']);
    assert.deepEqual(await client.command('r1', 'ENABLE QRESYNC'), ['* ENABLED QRESYNC', 'r1 OK ENABLE completed']);
    const other = await loginRaw(bed);
    await other.command('o1', 'SELECT INBOX');
    await other.command('o2', 'EXPUNGE');
    other.close();
    const resync = await client.command('r2', `SELECT INBOX (QRESYNC (${uidValidity} ${highest} 1:5))`);
    const vanished = resync.findIndex((l) => l.startsWith('* VANISHED'));
    assert.equal(resync[vanished], '* VANISHED (EARLIER) 4');
    assert.match(resync[vanished + 1]!, /^\* 4 FETCH \(UID 5 FLAGS \(\) MODSEQ \(\d+\)\)$/);
    assert.equal(resync.at(-1), 'r2 OK [READ-WRITE] SELECT completed');
    assert.deepEqual(await client.command('r3', `UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${highest} VANISHED)`).then((lines) => lines.slice(0, 1)), ['* VANISHED (EARLIER) 4']);
    assert.deepEqual(await client.command('r4', `FETCH 1 (FLAGS) (CHANGEDSINCE ${highest} VANISHED)`), ['r4 BAD VANISHED needs UID FETCH with QRESYNC enabled']);
    assert.deepEqual(await client.command('r5', 'UID STORE 5 +FLAGS.SILENT (\\Deleted)').then((lines) => lines.at(-1)), 'r5 OK UID STORE completed');
    assert.deepEqual(await client.command('r6', 'EXPUNGE'), ['* VANISHED 5', 'r6 OK EXPUNGE completed']);
  } finally {
    client.close();
  }
});

test('ESEARCH and the SEARCH key set, with UTF-8 text in a literal', async () => {
  const client = await loginRaw(bed);
  try {
    await client.command('s1', 'SELECT INBOX');
    assert.deepEqual(await client.command('s2', 'UID SEARCH RETURN (MIN MAX COUNT ALL) ALL'), ['* ESEARCH (TAG "s2") UID MIN 1 MAX 3 ALL 1:3 COUNT 3', 's2 OK UID SEARCH completed']);
    assert.deepEqual(await client.command('s3', 'SEARCH RETURN () SUBJECT nothing-like-this'), ['* ESEARCH (TAG "s3")', 's3 OK SEARCH completed']);
    assert.deepEqual(await client.command('s4', 'SEARCH RETURN (COUNT) NOT SUBJECT court'), ['* ESEARCH (TAG "s4") COUNT 2', 's4 OK SEARCH completed']);
    client.write(`s5 SEARCH CHARSET UTF-8 TEXT {${Buffer.byteLength('RÉSULTATS')}+}\r\nRÉSULTATS\r\n`);
    assert.deepEqual(await client.readUntilTagged('s5'), ['* SEARCH 1', 's5 OK SEARCH completed']);
    client.write(`s6 SEARCH CHARSET UTF-8 BODY "à revoir"\r\n`);
    assert.deepEqual(await client.readUntilTagged('s6'), ['* SEARCH 1', 's6 OK SEARCH completed']);
    const cases: Array<[string, string]> = [
      ['TO secretariat', '2'], ['HEADER Message-ID court@b.test', '2'], ['HEADER X-Priorite urgente', '3'], ['HEADER X-Priorite ""', '3'],
      ['BODY "body three"', '3'], ['TEXT hello', '2'], ['OR SUBJECT court SUBJECT troisième', '2 3'], ['LARGER 200', '1'], ['SMALLER 60', '3'],
      ['SENTBEFORE 3-Nov-2026', '2'], ['SENTSINCE 24-Nov-2026', '1'], ['FROM jean.martin', '1'], ['UNKEYWORD $Urgent', '1 2 3'], ['2:*', '2 3'],
      ['UID 2', '2'], ['NEW', ''], ['OLD', '1 2 3'], ['CC nobody', ''], ['BCC nobody', ''], ['UNSEEN UNDELETED UNDRAFT UNFLAGGED UNANSWERED', '1 2 3'],
    ];
    for (const [index, [criteria, expected]] of cases.entries()) {
      assert.deepEqual(await client.command(`k${index}`, `SEARCH ${criteria}`), [`* SEARCH${expected ? ` ${expected}` : ''}`, `k${index} OK SEARCH completed`], criteria);
    }
    assert.deepEqual(await client.command('s7', 'SEARCH RETURN (SAVE) ALL'), ['s7 BAD Unknown SEARCH RETURN option SAVE']);
    assert.deepEqual(await client.command('s8', 'SEARCH FROBNICATE'), ['s8 BAD Unknown SEARCH criterion FROBNICATE']);
  } finally {
    client.close();
  }
});

test('STATUS items, LIST-EXTENDED, LIST-STATUS, CHECK, UNSELECT and a silent CLOSE', async () => {
  const client = await loginRaw(bed);
  try {
    const status = await client.command('l1', 'STATUS INBOX (MESSAGES UNSEEN SIZE DELETED DELETED-STORAGE UIDNEXT RECENT)');
    assert.match(status[0]!, /^\* STATUS "INBOX" \(MESSAGES 3 UNSEEN 3 SIZE \d+ DELETED 0 DELETED-STORAGE 0 UIDNEXT 6 RECENT 0\)$/);
    assert.deepEqual(await client.command('l2', 'STATUS INBOX (BOGUS)'), ['l2 BAD STATUS: unknown item BOGUS']);
    await client.command('l3', 'UNSUBSCRIBE Junk');
    const subscribed = await client.command('l4', 'LIST (SUBSCRIBED) "" "*" RETURN (CHILDREN STATUS (MESSAGES))');
    assert.deepEqual(subscribed.slice(0, 4), [
      '* LIST (\\HasNoChildren \\Subscribed) "/" "INBOX"', '* STATUS "INBOX" (MESSAGES 3)',
      '* LIST (\\HasNoChildren \\Sent \\Subscribed) "/" "Sent"', '* STATUS "Sent" (MESSAGES 0)',
    ]);
    assert.ok(!subscribed.some((line) => line.includes('Junk')));
    assert.deepEqual(await client.command('l5', 'LIST (SPECIAL-USE) "" "*"').then((lines) => lines.length), 6);
    assert.deepEqual(await client.command('l6', 'LIST "" (INBOX Trash) RETURN (SUBSCRIBED)'), [
      '* LIST (\\HasNoChildren \\Subscribed) "/" "INBOX"', '* LIST (\\HasNoChildren \\Trash \\Subscribed) "/" "Trash"', 'l6 OK LIST completed',
    ]);
    assert.deepEqual(await client.command('l7', 'LIST (RECURSIVEMATCH) "" "*"'), ['l7 BAD LIST: RECURSIVEMATCH needs another selection option']);
    await client.command('l8', 'CREATE Dossiers/Suivi');
    await client.command('l9', 'UNSUBSCRIBE Dossiers');
    assert.deepEqual(await client.command('l10', 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "Dossiers"'), [
      '* LIST (\\HasChildren) "/" "Dossiers" ("CHILDINFO" ("SUBSCRIBED"))', 'l10 OK LIST completed',
    ]);

    await client.command('l11', 'SELECT INBOX');
    assert.deepEqual(await client.command('l12', 'CHECK'), ['l12 OK CHECK completed']);
    assert.deepEqual(await client.command('l12b', 'COMPRESS LZ4'), ['l12b BAD Unknown compression mechanism LZ4']);
    await client.command('l13', 'STORE 3 +FLAGS.SILENT (\\Deleted)');
    assert.deepEqual(await client.command('l14', 'UNSELECT'), ['l14 OK UNSELECT completed']);
    assert.deepEqual(await client.command('l15', 'FETCH 1 FLAGS'), ['l15 BAD FETCH requires a selected mailbox: SELECT first']);
    await client.command('l16', 'SELECT INBOX');
    assert.deepEqual(await client.command('l17', 'CLOSE'), ['l17 OK CLOSE completed']);
    assert.match((await client.command('l18', 'STATUS INBOX (MESSAGES)'))[0]!, /MESSAGES 2\)/);
  } finally {
    client.close();
  }
});

test('QUOTA: the quota root, usage in KiB, APPEND and delivery refused over the limit', async () => {
  const small = await startTestBed({ quotaBytes: 4096 });
  const client = await loginRaw(small);
  try {
    await small.store.deliver([small.user.mailboxId], Buffer.from(`Subject: gros\r\n\r\n${'x'.repeat(3000)}\r\n`));
    assert.deepEqual(await client.command('u1', 'GETQUOTAROOT INBOX'), ['* QUOTAROOT "INBOX" ""', '* QUOTA "" (STORAGE 3 4)', 'u1 OK GETQUOTAROOT completed']);
    assert.deepEqual(await client.command('u2', 'GETQUOTA ""'), ['* QUOTA "" (STORAGE 3 4)', 'u2 OK GETQUOTA completed']);
    assert.deepEqual(await client.command('u3', 'SETQUOTA "" (STORAGE 100000)'), ['u3 NO [NOPERM] Storage limits are set by the operator']);
    client.write(`u4 APPEND Drafts {2000+}\r\n${'y'.repeat(2000)}\r\n`);
    assert.deepEqual(await client.readUntilTagged('u4'), ['u4 NO [OVERQUOTA] Mailbox full: storage quota exceeded']);
    await assert.rejects(small.store.deliver([small.user.mailboxId], Buffer.from(`Subject: trop\r\n\r\n${'z'.repeat(2000)}\r\n`)), /quota|uses/);
    assert.deepEqual(await small.store.overQuota([small.user.mailboxId], 2000), [small.user.mailboxId]);
    assert.match((await client.command('u5', 'STATUS INBOX (MESSAGES)'))[0]!, /MESSAGES 1\)/);
    await small.store.setQuota(small.user.mailboxId, 1024 * 1024);
    client.write(`u6 APPEND Drafts {2000+}\r\n${'y'.repeat(2000)}\r\n`);
    assert.match((await client.readUntilTagged('u6')).at(-1)!, /^u6 OK \[APPENDUID \d+ 1\] APPEND completed$/);
    assert.deepEqual(await client.command('u7', 'GETQUOTA ""'), ['* QUOTA "" (STORAGE 5 1024)', 'u7 OK GETQUOTA completed']);
  } finally {
    client.close();
    await small.close();
  }
});
