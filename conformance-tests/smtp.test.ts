/**
 * SMTP as a mail client and a peer MTA see it: submission over STARTTLS with AUTH,
 * the MX port, and every refusal the foundation promises, with its exact reply.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import nodemailer from 'nodemailer';
import { SmtpDialog } from './smtp-dialog.js';
import { startTestOperator, TEST_RPPS, type TestOperator } from './harness.js';

describe('SMTP submission and MX', () => {
  let operator: TestOperator;
  let doctor: Awaited<ReturnType<TestOperator['createUser']>>;
  let nurse: Awaited<ReturnType<TestOperator['createUser']>>;

  before(async () => {
    operator = await startTestOperator({ overrides: { smtp: { maxMessageSize: 64 * 1024 } } });
    doctor = await operator.createUser('Hélène', 'Durand', { rpps: TEST_RPPS[0] });
    nurse = await operator.createUser('Marc', 'Lefèvre', { adeli: '751234567' });
  });
  after(async () => operator.dispose());

  const address = (box: { addresses: { network: string; address: string }[] }, network: string): string =>
    (box.addresses.find((a) => a.network === network) as { address: string }).address;

  test('EHLO on submission offers STARTTLS but no AUTH before TLS, and AUTH PLAIN/LOGIN after', async () => {
    const { dialog, greeting } = await SmtpDialog.connect(operator.ports.submission);
    assert.equal(greeting.code, 220);
    const before = await dialog.command('EHLO client.test');
    assert.ok(before.lines.some((l) => /STARTTLS/.test(l)));
    assert.ok(!before.lines.some((l) => /AUTH/.test(l)), before.text);
    const early = await dialog.command('AUTH PLAIN ' + Buffer.from(`\0${address(doctor, 'regional')}\0${doctor.password}`).toString('base64'));
    assert.equal(early.code, 538);
    await dialog.startTls(operator.caCertPem as string);
    const after = await dialog.command('EHLO client.test');
    assert.ok(after.lines.some((l) => /AUTH PLAIN LOGIN/.test(l)), after.text);
    assert.ok(after.lines.some((l) => /SIZE 65536/.test(l)), after.text);
    const mail = await dialog.command(`MAIL FROM:<${address(doctor, 'regional')}>`);
    assert.equal(mail.code, 530, 'MAIL before AUTH is refused');
    const wrong = await dialog.command('AUTH PLAIN ' + Buffer.from(`\0${address(doctor, 'regional')}\0not-the-password`).toString('base64'));
    assert.equal(wrong.code, 535);
    assert.match(wrong.text, /5\.7\.8/);
    dialog.close();
  });

  test('a message submitted with nodemailer to an alias lands once, after a 250 that follows storage', async () => {
    const transport = nodemailer.createTransport({
      host: '127.0.0.1', port: operator.ports.submission, secure: false, requireTLS: true,
      tls: { ca: operator.caCertPem as string, servername: 'localhost' },
      auth: { user: address(doctor, 'mssante'), pass: doctor.password },
    });
    const info = await transport.sendMail({
      from: `Hélène Durand <${address(doctor, 'mssante')}>`,
      to: [address(nurse, 'apicrypt'), address(nurse, 'regional')],
      subject: 'Résultats de la prise de sang',
      text: 'Bonjour, voici les résultats. Cordialement.',
    });
    assert.match(info.response, /^250 2\.0\.0 Message stored as [A-Z0-9]+/);
    const inbox = await operator.context.store.getFolder(nurse.id, 'INBOX');
    const messages = await operator.context.store.listMessages(inbox!.id);
    assert.equal(messages.length, 1, 'two aliases of the same mailbox get one copy');
    assert.equal(messages[0]?.subject, 'Résultats de la prise de sang');
    const raw = (await operator.context.store.readMessage(inbox!.id, messages[0]!.uid)).toString('utf8');
    assert.match(raw, /^Return-Path: <helene\.durand@demo\.mssante\.test>\r\nReceived: from [\s\S]* with ESMTPSA \(TLSv1\.[23] /);
    const accepted = await operator.context.audit.list({ action: 'smtp.accept' });
    assert.equal(accepted[0]?.details.mailFrom, address(doctor, 'mssante'));
    transport.close();
  });

  test('the submission port refuses a sender that is not the user\'s, an unknown local recipient and a foreign domain', async () => {
    const { dialog } = await SmtpDialog.connect(operator.ports.submission);
    await dialog.command('EHLO client.test');
    await dialog.startTls(operator.caCertPem as string);
    await dialog.command('EHLO client.test');
    const auth = await dialog.command('AUTH PLAIN ' + Buffer.from(`\0${address(doctor, 'regional')}\0${doctor.password}`).toString('base64'));
    assert.equal(auth.code, 235);
    const spoof = await dialog.command(`MAIL FROM:<${address(nurse, 'regional')}>`);
    assert.equal(spoof.code, 553);
    assert.match(spoof.text, /5\.7\.1 .*not one of your addresses/);
    assert.equal((await dialog.command(`MAIL FROM:<${address(doctor, 'apicrypt')}>`)).code, 250);
    const unknown = await dialog.command('RCPT TO:<nobody@esante-demo.test>');
    assert.equal(unknown.code, 550);
    assert.match(unknown.text, /5\.1\.1/);
    const foreign = await dialog.command('RCPT TO:<someone@example.org>');
    assert.equal(foreign.code, 550);
    assert.match(foreign.text, /5\.7\.1 .*example\.org/);
    dialog.close();
    const refusals = await operator.context.audit.list({ action: 'smtp.refuse' });
    assert.ok(refusals.some((e) => e.details.reason === 'SENDER_NOT_OWNED'));
    assert.ok(refusals.some((e) => e.details.reason === 'RECIPIENT_UNKNOWN'));
  });

  test('the MX port accepts mail for local users from other MTAs and is no open relay', async () => {
    const { dialog } = await SmtpDialog.connect(operator.ports.smtp);
    const ehlo = await dialog.command('EHLO mx.other-operator.test');
    assert.ok(ehlo.lines.some((l) => /STARTTLS/.test(l)));
    assert.ok(!ehlo.lines.some((l) => /AUTH/.test(l)), 'no AUTH on the MX port');
    await dialog.startTls(operator.caCertPem as string);
    await dialog.command('EHLO mx.other-operator.test');
    assert.equal((await dialog.command('MAIL FROM:<dr.x@hopital.other.test>')).code, 250);
    const relay = await dialog.command('RCPT TO:<victim@example.org>');
    assert.equal(relay.code, 554);
    assert.match(relay.text, /5\.7\.1 Relay access denied/);
    assert.equal((await dialog.command(`RCPT TO:<${address(doctor, 'mssante').toUpperCase()}>`)).code, 250);
    assert.equal((await dialog.command('DATA')).code, 354);
    const done = await dialog.data('From: Dr X <dr.x@hopital.other.test>\nTo: helene.durand@demo.mssante.test\nSubject: Avis\n\nCorps du message.\n');
    assert.equal(done.code, 250);
    dialog.close();
    const inbox = await operator.context.store.getFolder(doctor.id, 'INBOX');
    const messages = await operator.context.store.listMessages(inbox!.id);
    assert.ok(messages.some((m) => m.subject === 'Avis'));
  });

  test('postmaster, with no domain or at any served domain, reaches the one postmaster box; the start warns while there is none', async () => {
    assert.ok(operator.logs.some((l) => /WARN .*no mailbox holds postmaster@esante-demo\.test.*RFC 5321/.test(l)), 'warned at start');
    const { dialog: before } = await SmtpDialog.connect(operator.ports.smtp);
    await before.command('EHLO mx.other-operator.test');
    await before.command('MAIL FROM:<>');
    assert.equal((await before.command('RCPT TO:<Postmaster>')).code, 550, 'no box yet: refused, not lost');
    before.close();

    const box = await operator.context.mailboxes.createServiceMailbox({ type: 'ORG', localPart: 'postmaster', displayName: 'Postmaster', actor: 'operator:test' });
    const { dialog } = await SmtpDialog.connect(operator.ports.smtp);
    await dialog.command('EHLO mx.other-operator.test');
    assert.equal((await dialog.command('MAIL FROM:<>')).code, 250);
    assert.equal((await dialog.command('RCPT TO:<Postmaster>')).code, 250);
    assert.equal((await dialog.command('RCPT TO:<POSTMASTER@medical.apicrypt.test>')).code, 250, 'an alias domain with no postmaster address of its own');
    assert.equal((await dialog.command('RCPT TO:<postmaster@other.test>')).code, 554, 'still no relay');
    assert.equal((await dialog.command('DATA')).code, 354);
    assert.equal((await dialog.data('From: <mailer-daemon@other.test>\nSubject: Rapport de remise\n\nUn rapport.\n')).code, 250);
    dialog.close();
    const inbox = await operator.context.store.getFolder(box.id, 'INBOX');
    const subjects = (await operator.context.store.listMessages(inbox!.id)).map((m) => m.subject);
    assert.deepEqual(subjects, ['Rapport de remise'], 'stored once in the postmaster box');
  });

  test('a peer resetting its connection in the middle of a transaction takes nothing down and leaves nothing stored', async () => {
    const inbox = await operator.context.store.getFolder(doctor.id, 'INBOX');
    const count = async (): Promise<number> => (await operator.context.store.listMessages(inbox!.id)).length;
    const before = await count();
    for (const stage of ['after RCPT', 'in DATA']) {
      const { dialog } = await SmtpDialog.connect(operator.ports.smtp);
      await dialog.command('EHLO mx.other-operator.test');
      assert.equal((await dialog.command('MAIL FROM:<dr.x@hopital.other.test>')).code, 250);
      assert.equal((await dialog.command(`RCPT TO:<${address(doctor, 'mssante')}>`)).code, 250);
      if (stage === 'in DATA') {
        assert.equal((await dialog.command('DATA')).code, 354);
        dialog.write('From: <dr.x@hopital.other.test>\r\nSubject: coupé\r\n\r\nLe début du compte rendu');
      }
      dialog.reset();
    }
    // The reset during the envelope reaches smtp-server as a socket error (it used to be an
    // uncaught exception that stopped the operator); the one in DATA ends the message stream.
    const logged = (): boolean => operator.logs.some((l) => /connection error channel=mx/.test(l) && /ECONNRESET/.test(l));
    for (let waited = 0; !logged() && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(logged(), operator.logs.slice(-5).join('\n'));
    // Still serving: the next message is accepted and stored, the cut one is not.
    const { dialog } = await SmtpDialog.connect(operator.ports.smtp);
    await dialog.command('EHLO mx.other-operator.test');
    await dialog.command('MAIL FROM:<dr.x@hopital.other.test>');
    await dialog.command(`RCPT TO:<${address(doctor, 'mssante')}>`);
    await dialog.command('DATA');
    assert.equal((await dialog.data('From: <dr.x@hopital.other.test>\nSubject: entier\n\nLe compte rendu complet.\n')).code, 250);
    dialog.close();
    assert.equal(await count(), before + 1);
    const subjects = (await operator.context.store.listMessages(inbox!.id)).map((m) => m.subject);
    assert.ok(subjects.includes('entier') && !subjects.includes('coupé'));
  });

  test('an oversized message is refused with 552 and a malformed one with 554 5.6.0, the session stays usable', async () => {
    const { dialog } = await SmtpDialog.connect(operator.ports.smtp);
    await dialog.command('EHLO mx.other-operator.test');
    assert.equal((await dialog.command('MAIL FROM:<a@other.test> SIZE=999999999')).code, 552);
    await dialog.command('RSET');
    await dialog.command('MAIL FROM:<a@other.test>');
    await dialog.command(`RCPT TO:<${address(nurse, 'regional')}>`);
    await dialog.command('DATA');
    const big = await dialog.data('Subject: big\n\n' + 'x'.repeat(100) + '\n' + ('y'.repeat(998) + '\n').repeat(80));
    assert.equal(big.code, 552);
    assert.match(big.text, /5\.3\.4/);
    await dialog.command('MAIL FROM:<a@other.test>');
    await dialog.command(`RCPT TO:<${address(nurse, 'regional')}>`);
    await dialog.command('DATA');
    const garbage = await dialog.data('this is not a header\nnor this\n\nbody\n');
    assert.equal(garbage.code, 554);
    assert.match(garbage.text, /5\.6\.0 Malformed message/);
    dialog.close();
    const inbox = await operator.context.store.getFolder(nurse.id, 'INBOX');
    const subjects = (await operator.context.store.listMessages(inbox!.id)).map((m) => m.subject);
    assert.ok(!subjects.includes('big'));
  });

  test('bare LF is stored as CRLF; 8-bit junk in headers, an empty message and a mail loop are refused with the right code', async () => {
    const { dialog } = await SmtpDialog.connect(operator.ports.smtp);
    await dialog.command('EHLO mx.other-operator.test');
    const send = async (bytes: Buffer) => {
      await dialog.command('MAIL FROM:<a@other.test>');
      await dialog.command(`RCPT TO:<${address(nurse, 'regional')}>`);
      assert.equal((await dialog.command('DATA')).code, 354);
      return dialog.dataRaw(bytes);
    };
    const bareLf = await send(Buffer.from('From: <a@other.test>\nSubject: lignes unix\n\nligne 1\nligne 2'));
    assert.equal(bareLf.code, 250, bareLf.text);
    const junk = await send(Buffer.concat([Buffer.from('From: <a@other.test>\r\nSubject: '), Buffer.from([0xe9, 0xff, 0xfe]), Buffer.from('\r\n\r\nx')]));
    assert.equal(junk.code, 554);
    assert.match(junk.text, /5\.6\.0 .*neither ASCII nor UTF-8/);
    const empty = await send(Buffer.alloc(0));
    assert.equal(empty.code, 554);
    assert.match(empty.text, /5\.6\.0/);
    const loop = await send(Buffer.from('Received: from a by b; Tue, 24 Nov 2026 10:00:00 +0000\r\n'.repeat(51) + 'From: <a@other.test>\r\nSubject: boucle\r\n\r\nx'));
    assert.equal(loop.code, 554);
    assert.match(loop.text, /5\.4\.6 Routing loop detected/);
    dialog.close();
    const inbox = await operator.context.store.getFolder(nurse.id, 'INBOX');
    const stored = (await operator.context.store.listMessages(inbox!.id)).find((m) => m.subject === 'lignes unix');
    const raw = await operator.context.store.readMessage(inbox!.id, stored!.uid);
    assert.ok(raw.includes(Buffer.from('\r\n\r\nligne 1\r\nligne 2')), 'CRLF line endings');
    assert.ok(!/[^\r]\n/.test(raw.toString('latin1')), 'no bare LF left');
    const subjects = (await operator.context.store.listMessages(inbox!.id)).map((m) => m.subject);
    assert.ok(!subjects.includes('boucle'));
  });
});
