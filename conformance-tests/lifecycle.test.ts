/**
 * A box's whole life on a moving clock, through the real operator: created → used →
 * 45 days silent (notice, in the box and at the notification address) → reminder → 60
 * days (unpublished: gone from LDAP and search, still receiving mail) → a login
 * (republished) → a year silent at two years old (deletion notice, reminder, deletion:
 * no login, mail refused) — checked with an ldapjs client, the operator API and SMTP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { simpleParser } from 'mailparser';
import ldap from 'ldapjs';
import nodemailer from 'nodemailer';
import { ManualClock } from '../core/clock.js';
import { startTestPeer, type TestPeer } from '../gateway/queue/testing.js';
import { callApi, type ApiClientOptions } from './api-client.js';
import { startTestOperator, type TestOperator } from './harness.js';

const DAY = 86_400_000;
const PASSWORD = 'correct horse battery staple';
const ADDRESS = 'gael.le-goff@esante-demo.test';

describe('a mailbox\'s whole life under the lifecycle rules', () => {
  const clock = new ManualClock(new Date('2026-01-01T08:00:00Z'));
  let operator: TestOperator;
  let relay: TestPeer;
  let api: ApiClientOptions;

  const ldapFinds = async (address: string): Promise<boolean> => {
    const client = ldap.createClient({ url: `ldap://127.0.0.1:${operator.ports.ldap}` });
    try {
      const entries = await new Promise<number>((resolve, reject) => {
        client.search(operator.config.ldap.baseDn, { scope: 'sub', filter: `(mail=${address})` }, (error, response) => {
          if (error) return reject(error);
          let found = 0;
          response.on('searchEntry', () => found++);
          response.on('error', reject);
          response.on('end', () => resolve(found));
        });
      });
      return entries > 0;
    } finally {
      client.destroy();
    }
  };
  const searchFinds = async (): Promise<boolean> => (await callApi(api, 'GET', '/api/v1/directory/search?text=le+goff')).body.total > 0;
  const sweep = async () => (await callApi(api, 'POST', '/api/v1/lifecycle/sweep', {})).body;
  const box = async () => (await callApi(api, 'GET', `/api/v1/mailboxes/${ADDRESS}`)).body;
  const inboxSubjects = async (mailboxId: number): Promise<string[]> => {
    const inbox = await operator.context.store.getFolder(mailboxId, 'INBOX');
    return (await operator.context.store.listMessages(inbox!.id)).map((m) => m.subject);
  };
  const deliverFromOutside = async () => {
    const mx = nodemailer.createTransport({ host: '127.0.0.1', port: operator.ports.smtp, secure: false, requireTLS: true, tls: { ca: operator.caCertPem as string, servername: 'localhost' } });
    try {
      return await mx.sendMail({ envelope: { from: 'secretariat@clinique.example', to: [ADDRESS] }, raw: `From: <secretariat@clinique.example>\r\nTo: <${ADDRESS}>\r\nSubject: Courrier pendant l'absence\r\n\r\nBonjour.\r\n` });
    } finally {
      mx.close();
    }
  };
  const login = () => operator.context.mailboxes.authenticate(ADDRESS, PASSWORD, { channel: 'imap', remoteAddress: '127.0.0.1' });

  before(async () => {
    relay = await startTestPeer();
    operator = await startTestOperator({
      clock,
      overrides: {
        notifications: { from: '', relayHost: '127.0.0.1', relayPort: relay.port, relaySecure: false },
        lifecycle: { enabled: false },
      },
    });
    const { token } = await operator.context.operatorCredentials.createToken('cycle', 'operator:test');
    api = { port: operator.ports.api, ca: operator.caCertPem as string, token };
  });
  after(async () => {
    await operator?.dispose();
    await relay?.close();
  });

  test('created, used, warned, unpublished, republished by a login, warned again, deleted', async () => {
    const created = await callApi(api, 'POST', '/api/v1/mailboxes', {
      type: 'PER', firstName: 'Gaël', lastName: 'Le Goff', rpps: '99700218896', password: PASSWORD, notificationAddress: 'gael@perso.example',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as number;
    assert.equal(await ldapFinds(ADDRESS), true, 'published at creation');

    clock.set(new Date('2027-01-10T08:00:00Z'));
    await login();

    clock.set(new Date(Date.parse('2027-01-10T08:00:00Z') + 45 * DAY + 3600_000));
    let report = await sweep();
    assert.equal(report.unpublish.notices, 1, JSON.stringify(report));
    assert.ok((await inboxSubjects(id)).some((s) => /annuaire/i.test(s)), 'the notice is in the box');
    assert.equal(relay.received.length, 1, 'and at the notification address');
    const outside = await simpleParser(relay.received[0]!.raw);
    assert.deepEqual(relay.received[0]!.to, ['gael@perso.example']);
    assert.match(outside.text ?? '', /Connectez-vous|connexion/i);
    assert.equal((await sweep()).unpublish.notices, 0, 'a second sweep the same day sends nothing again');

    clock.set(new Date(Date.parse('2027-01-10T08:00:00Z') + 57 * DAY + 3600_000));
    report = await sweep();
    assert.equal(report.unpublish.reminders, 1, JSON.stringify(report));

    clock.set(new Date(Date.parse('2027-01-10T08:00:00Z') + 60 * DAY + 3600_000));
    report = await sweep();
    assert.equal(report.unpublish.done, 1, JSON.stringify(report));
    assert.equal((await box()).published, false);
    assert.equal(await ldapFinds(ADDRESS), false, 'gone from LDAP');
    assert.equal(await searchFinds(), false, 'gone from the directory search');
    assert.match((await deliverFromOutside()).response, /^250 /, 'still receives mail');

    await login();
    assert.equal((await box()).published, true, 'a login republishes');
    assert.equal(await ldapFinds(ADDRESS), true);
    const lastLogin = Date.parse((await box()).lastLoginAt);

    // A year without a connection at more than two years old: deletion notice, reminder, deletion.
    clock.set(new Date(lastLogin + 335 * DAY + 3600_000));
    report = await sweep();
    assert.equal(report.delete.notices, 1, JSON.stringify(report));
    clock.set(new Date(lastLogin + 358 * DAY + 3600_000));
    report = await sweep();
    assert.equal(report.delete.reminders, 1, JSON.stringify(report));
    clock.set(new Date(lastLogin + 366 * DAY));
    report = await sweep();
    assert.equal(report.delete.done, 1, JSON.stringify(report));
    assert.equal((await box()).status, 'deleted');
    await assert.rejects(login(), /Authentication failed/);
    await assert.rejects(deliverFromOutside(), (error: Error & { responseCode?: number }) => error.responseCode === 550 && /5\.1\.6/.test(error.message));
    const history = (await callApi(api, 'GET', `/api/v1/mailboxes/${id}/history`)).body.events.map((e: { kind: string }) => e.kind);
    for (const kind of ['created', 'notice', 'unpublished', 'published', 'deleted']) assert.ok(history.includes(kind), `${kind} in ${history.join(', ')}`);
    assert.ok(relay.received.length >= 4, `every notice also went to the usual address (${relay.received.length})`);
  });
});
