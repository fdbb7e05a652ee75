/**
 * The foundation's promise, end to end with real clients, on SQLite and on PostgreSQL:
 * a user submits a message (nodemailer over STARTTLS + AUTH) to another user's alias;
 * it lands once in the INBOX; the recipient reads it over IMAP (imapflow), flags it, and
 * reads it in the webmail (HTTP); both appear in the LDAP directory (ldapjs client);
 * the logins are recorded on the mailbox and every step is in the audit trail.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import ldap from 'ldapjs';
import nodemailer from 'nodemailer';
import { TestClient } from '../webmail/testing.js';
import { postgresUnavailable } from '../core/testing-postgres.js';
import { startTestOperator, TEST_RPPS, type TestOperator } from './harness.js';

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`mail flows end to end (${engine})`, async () => {
    const skip = engine === 'postgres' ? (await postgresUnavailable()) ?? false : false;
    let operator: TestOperator;
    let sender: Awaited<ReturnType<TestOperator['createUser']>>;
    let recipient: Awaited<ReturnType<TestOperator['createUser']>>;
    const subject = `Compte rendu d'échographie ${engine}`;

    before(async () => {
      if (skip) return;
      operator = await startTestOperator({ engine });
      sender = await operator.createUser('Hélène', 'Durand', { rpps: TEST_RPPS[0] });
      recipient = await operator.createUser('Camille', 'Moreau', { rpps: TEST_RPPS[1] });
    });
    after(async () => { if (!skip) await operator.dispose(); });

    const addressOf = (box: typeof sender, network: string): string =>
      (box.addresses.find((a) => a.network === network) as { address: string }).address;

    test('submission over STARTTLS to an Apicrypt alias is acknowledged and stored once', { skip }, async () => {
      const transport = nodemailer.createTransport({
        host: '127.0.0.1', port: operator.ports.submission, secure: false, requireTLS: true,
        tls: { ca: operator.caCertPem as string, servername: 'localhost' },
        auth: { user: addressOf(sender, 'regional'), pass: sender.password },
      });
      const info = await transport.sendMail({
        from: `Dr Hélène Durand <${addressOf(sender, 'regional')}>`,
        to: `Dr Camille Moreau <${addressOf(recipient, 'apicrypt')}>`,
        cc: addressOf(recipient, 'mssante'),
        subject,
        text: 'Chère consœur,\nVeuillez trouver le compte rendu ci-joint.\nBien confraternellement.',
        attachments: [{ filename: 'compte-rendu.txt', content: 'Échographie abdominale normale.' }],
      });
      transport.close();
      assert.match(info.response, /^250 /);
      assert.deepEqual(info.accepted.sort(), [addressOf(recipient, 'apicrypt'), addressOf(recipient, 'mssante')].sort());
      const senderBox = await operator.context.mailboxes.requireMailbox(sender.id);
      assert.ok(senderBox.lastLoginAt, 'the submission login is recorded');
    });

    test('the recipient reads, flags and sees the message over IMAP with imapflow', { skip }, async () => {
      const client = new ImapFlow({
        host: '127.0.0.1', port: operator.ports.imap, secure: false, doSTARTTLS: true,
        tls: { ca: operator.caCertPem as string, servername: 'localhost' },
        auth: { user: addressOf(recipient, 'mssante'), pass: recipient.password }, logger: false,
      });
      await client.connect();
      try {
        const folders = await client.list();
        const sent = folders.find((f) => f.specialUse === '\\Sent');
        assert.ok(folders.some((f) => f.path === 'INBOX'));
        assert.equal(sent?.path, 'Sent');
        const lock = await client.getMailboxLock('INBOX');
        try {
          assert.equal((client.mailbox as { exists: number }).exists, 1, 'one copy for two aliases');
          const message = await client.fetchOne('1', { envelope: true, source: true, flags: true, bodyStructure: true });
          assert.ok(message);
          assert.equal(message.envelope?.subject, subject);
          assert.equal(message.envelope?.from?.[0]?.address, addressOf(sender, 'regional'));
          assert.match(message.source?.toString('utf8') ?? '', /Veuillez trouver le compte rendu/);
          assert.ok(!message.flags?.has('\\Seen'));
          assert.equal(message.bodyStructure?.type, 'multipart/mixed');
          await client.messageFlagsAdd('1', ['\\Flagged']);
          const flagged = await client.fetchOne('1', { flags: true });
          assert.ok(flagged && flagged.flags?.has('\\Flagged'));
        } finally {
          lock.release();
        }
      } finally {
        await client.logout();
      }
      const box = await operator.context.mailboxes.requireMailbox(recipient.id);
      assert.ok(box.lastLoginAt, 'the IMAP login is recorded');
    });

    test('the recipient reads the message in the webmail', { skip }, async () => {
      const web = new TestClient(`http://127.0.0.1:${operator.ports.webmail}`);
      const wrong = await web.signIn(addressOf(recipient, 'regional'), 'not the password');
      assert.equal(wrong.status, 401);
      const signedIn = await web.signIn(addressOf(recipient, 'regional'), recipient.password);
      assert.equal(signedIn.status, 303);
      const inbox = await (await web.get('/inbox')).text();
      assert.ok(inbox.includes('Compte rendu d&#39;échographie') || inbox.includes("Compte rendu d'échographie"), 'subject listed');
      const link = /href="(\/message\/\d+)"/.exec(inbox)?.[1];
      assert.ok(link, 'a link to the message');
      const page = await (await web.get(link)).text();
      assert.match(page, /Veuillez trouver le compte rendu ci-joint/);
      assert.match(page, /compte-rendu\.txt/);
    });

    test('both mailboxes are published in the LDAP directory', { skip }, async () => {
      const client = ldap.createClient({ url: `ldap://127.0.0.1:${operator.ports.ldap}` });
      try {
        const entries = await new Promise<Array<Record<string, unknown>>>((resolve, reject) => {
          client.search(operator.config.ldap.baseDn, { scope: 'sub', filter: `(mail=${addressOf(recipient, 'apicrypt')})` }, (error, response) => {
            if (error) return reject(error);
            const found: Array<Record<string, unknown>> = [];
            response.on('searchEntry', (entry) => found.push(Object.fromEntries(entry.pojo.attributes.map((a) => [a.type, a.values]))));
            response.on('error', reject);
            response.on('end', () => resolve(found));
          });
        });
        assert.equal(entries.length, 1);
        assert.deepEqual(entries[0]?.cn, ['Camille Moreau']);
        assert.ok((entries[0]?.mail as string[]).includes(addressOf(recipient, 'mssante')));
      } finally {
        client.destroy();
      }
    });

    test('the audit trail holds the acceptance and the logins', { skip }, async () => {
      const accepted = await operator.context.audit.list({ action: 'smtp.accept' });
      assert.equal(accepted.length, 1);
      assert.deepEqual(accepted[0]?.details.deliveredTo, [{ address: addressOf(recipient, 'apicrypt'), mailboxId: recipient.id }, { address: addressOf(recipient, 'mssante'), mailboxId: recipient.id }]);
      const logins = await operator.context.audit.list({ action: 'auth.login' });
      const channels = new Set(logins.filter((e) => e.outcome === 'success').map((e) => e.channel));
      assert.deepEqual([...channels].sort(), ['imap', 'submission', 'webmail']);
      assert.ok(logins.some((e) => e.outcome === 'failure' && e.channel === 'webmail'));
    });
  });
}
