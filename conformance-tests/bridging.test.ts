/**
 * Several operators on loopback, each with its own ports, data, domains and PKI:
 * A (the regional operator under test), B (a peer MSSanté operator), C (a regional S/MIME
 * partner) and an Apicrypt connector. A user of A writes once to the three networks;
 * each copy must arrive with the right identity and protection, and replies to each
 * alias must come back to the one INBOX.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { certificateDer, DevHealthPkiService, ensureDevPki, toPem } from '../certs/index.js';
import { freePort, startTestOperator, TEST_RPPS, type TestOperator } from './harness.js';

const PASSWORD = 'correct horse battery staple';

function trustListXml(domains: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ListeBlanche xmlns="https://listeblanche.mssante.fr/schema" dateGeneration="2026-11-20T06:00:00+01:00">\n${
    domains.map((d) => `  <Domaine><Nom>${d}</Nom></Domaine>`).join('\n')}\n</ListeBlanche>\n`;
}

async function devCa(dir: string, hostname: string): Promise<string> {
  const pki = await ensureDevPki({ dir: path.join(dir, 'pki'), hostnames: [hostname, 'localhost'], organisation: hostname });
  return pki.caCertFile;
}

async function inbox(operator: TestOperator, user: string): Promise<Array<{ raw: Buffer; from: string; to: string; subject: string }>> {
  const client = new ImapFlow({
    host: '127.0.0.1', port: operator.ports.imap, secure: false, auth: { user, pass: PASSWORD }, logger: false,
    tls: { ca: operator.caCertPem as string, servername: 'localhost' },
  });
  await client.connect();
  const found: Array<{ raw: Buffer; from: string; to: string; subject: string }> = [];
  const lock = await client.getMailboxLock('INBOX');
  try {
    for await (const message of client.fetch('1:*', { source: true }, { uid: true })) {
      const parsed = await simpleParser(message.source as Buffer);
      found.push({ raw: message.source as Buffer, from: parsed.from?.value[0]?.address ?? '', to: (parsed.to as { text: string } | undefined)?.text ?? '', subject: parsed.subject ?? '' });
    }
  } catch {
    // An empty mailbox: no messages to fetch.
  } finally {
    lock.release();
    await client.logout();
  }
  return found;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('bridging MSSanté, Apicrypt and the regional S/MIME domain', () => {
  const dirs = { a: '', b: '', c: '', connector: '' };
  let a: TestOperator;
  let b: TestOperator;
  let c: TestOperator;
  let connector: SMTPServer;
  const connectorMail: Array<{ from: string; to: string[]; raw: Buffer; clientSubject: string }> = [];
  let connectorPort: number;
  let connectorCa: string;
  let connectorKey: string;
  let connectorCert: string;
  let aUser: { addresses: Array<{ address: string; network: string }> };
  let aCa: string;
  let cKeyPem: string;
  let aRootPem: string;

  before(async () => {
    for (const key of Object.keys(dirs) as Array<keyof typeof dirs>) dirs[key] = mkdtempSync(path.join(os.tmpdir(), `hygie-bridge-${key}-`));
    const [aMx, bMx, cMx] = [await freePort(), await freePort(), await freePort()];
    aCa = await devCa(dirs.a, 'mail.region-a.test');
    const bCa = await devCa(dirs.b, 'mx.peer-b.test');
    const cCa = await devCa(dirs.c, 'mx.partenaire.test');
    // The Apicrypt connector: its own TLS identity, and it accepts only A's client certificate.
    connectorCa = await devCa(dirs.connector, 'connecteur.apicrypt.test');
    connectorKey = readFileSync(path.join(dirs.connector, 'pki', 'server.key'), 'utf8');
    connectorCert = readFileSync(path.join(dirs.connector, 'pki', 'server.crt'), 'utf8');
    connector = new SMTPServer({
      secure: false, key: connectorKey, cert: connectorCert, requestCert: true, rejectUnauthorized: true, ca: readFileSync(aCa, 'utf8'),
      authOptional: true, logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          connectorMail.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks),
            clientSubject: JSON.stringify((session as unknown as { tlsOptions?: unknown }).tlsOptions ?? {}),
          });
          callback();
        });
      },
    });
    connectorPort = await new Promise<number>((resolve) => connector.listen(0, '127.0.0.1', () => resolve((connector.server.address() as { port: number }).port)));

    const aDomains = { regional: 'region-a.test', mssante: 'region-a.mssante.test', apicryptHealth: 'medical.apicrypt.region-a.test', apicryptOther: 'apicrypt.region-a.test', apicryptLabel: 'ra' };
    const bDomains = { regional: 'peer-b.test', mssante: 'peer-b.mssante.test', apicryptHealth: 'medical.apicrypt.peer-b.test', apicryptOther: 'apicrypt.peer-b.test', apicryptLabel: 'pb' };
    const cDomains = { regional: 'partenaire.test', mssante: 'partenaire.mssante.test', apicryptHealth: 'medical.apicrypt.partenaire.test', apicryptOther: 'apicrypt.partenaire.test', apicryptLabel: 'pc' };
    const trustList = path.join(dirs.a, 'listeblanche.xml');
    writeFileSync(trustList, trustListXml([aDomains.mssante, bDomains.mssante]));
    const base = (mx: number) => ({ smtp: { mxPort: mx, submissionPort: 0, shutdownGraceSeconds: 2, maxMessageSize: 10 * 1024 * 1024 } });

    b = await startTestOperator({
      dataDir: dirs.b,
      overrides: {
        ...base(bMx), server: { hostnames: ['mx.peer-b.test', 'localhost'] }, operator: { name: 'Opérateur B', domains: bDomains },
        networks: {
          mssante: { domains: [], relayHost: '127.0.0.1', port: aMx, clientCertFile: '', clientKeyFile: '', caFile: aCa, trustListSource: trustList },
          apicrypt: { domains: [], relayHost: '', port: 25, clientCertFile: '', clientKeyFile: '', caFile: '' },
          regional: { domains: [], relayHost: '', port: 25, clientCertFile: '', clientKeyFile: '', caFile: '' },
          external: { domains: [], relayHost: '', port: 25, clientCertFile: '', clientKeyFile: '', caFile: '', allowPlain: false },
        },
      },
    });
    c = await startTestOperator({
      dataDir: dirs.c,
      overrides: {
        ...base(cMx), server: { hostnames: ['mx.partenaire.test', 'localhost'] }, operator: { name: 'Partenaire C', domains: cDomains },
        networks: {
          mssante: { domains: [], relayHost: '', port: 25, clientCertFile: '', clientKeyFile: '', caFile: '', trustListSource: '' },
          apicrypt: { domains: [], relayHost: '', port: 25, clientCertFile: '', clientKeyFile: '', caFile: '' },
          regional: { domains: [aDomains.regional], relayHost: '127.0.0.1', port: aMx, clientCertFile: '', clientKeyFile: '', caFile: aCa },
          external: { domains: [], relayHost: '', port: 25, clientCertFile: '', clientKeyFile: '', caFile: '', allowPlain: false },
        },
      },
    });
    a = await startTestOperator({
      dataDir: dirs.a,
      overrides: {
        ...base(aMx), server: { hostnames: ['mail.region-a.test', 'localhost'] }, operator: { name: 'Région A', domains: aDomains },
        networks: {
          mssante: { domains: [], relayHost: '127.0.0.1', port: bMx, clientCertFile: '', clientKeyFile: '', caFile: bCa, trustListSource: trustList },
          apicrypt: { domains: ['apicrypt.org', '*.apicrypt.org'], relayHost: '127.0.0.1', port: connectorPort, clientCertFile: '', clientKeyFile: '', caFile: connectorCa },
          regional: { domains: [cDomains.regional], relayHost: '127.0.0.1', port: cMx, clientCertFile: '', clientKeyFile: '', caFile: cCa },
          external: { domains: [], relayHost: '', port: 25, clientCertFile: '', clientKeyFile: '', caFile: '', allowPlain: false },
        },
      },
    });
    aUser = await a.context.mailboxes.createPersonalMailbox({ firstName: 'Anne', lastName: 'Kerjean', rpps: TEST_RPPS[0], password: PASSWORD, actor: 'operator:test' });
    await b.context.mailboxes.createPersonalMailbox({ firstName: 'Bruno', lastName: 'Le Bihan', rpps: TEST_RPPS[1], password: PASSWORD, actor: 'operator:test' });
    await c.context.mailboxes.createPersonalMailbox({ firstName: 'Claire', lastName: 'Morin', rpps: TEST_RPPS[2], password: PASSWORD, actor: 'operator:test' });

    // S/MIME between A and C: each operator's health PKI issues its user's certificate;
    // each side knows the other's certificate and trusts the other's root for S/MIME.
    const pkiOf = (op: TestOperator) => new DevHealthPkiService({ dir: path.join(op.dataDir, 'pki', 'health'), organisation: op.config.operator.name, certificates: op.context.certificates, audit: op.context.audit });
    const aPki = pkiOf(a);
    const cPki = pkiOf(c);
    const aIssued = await aPki.issueSmime('anne.kerjean@region-a.test', { usage: 'dual', keyAlgorithm: 'RSA-2048', actor: 'test' });
    // C's credential is issued by hand so the test keeps its key for OpenSSL.
    const cCredential = await (await cPki.open('test')).pki.issueSmime('claire.morin@partenaire.test', { usage: 'dual', keyAlgorithm: 'RSA-2048' });
    const cIssued = { stored: await c.context.certificates.addCertificate(cCredential.certificate.der, { source: 'issued', privateKey: cCredential.privateKey, actor: 'test' }) };
    cKeyPem = cCredential.privateKeyPem;
    const aRoot = (await aPki.open('test')).pki.root.certificate;
    aRootPem = toPem(certificateDer(aRoot), 'CERTIFICATE');
    const cRoot = (await cPki.open('test')).pki.root.certificate;
    await a.context.certificates.importPem(toPem(cIssued.stored.der, 'CERTIFICATE'), { actor: 'test' });
    await c.context.certificates.importPem(toPem(aIssued.stored.der, 'CERTIFICATE'), { actor: 'test' });
    await a.context.certificates.addTrustAnchor(cRoot, 'smime', 'test');
    await c.context.certificates.addTrustAnchor(aRoot, 'smime', 'test');
  });

  after(async () => {
    for (const op of [a, b, c]) await op?.dispose();
    await new Promise<void>((resolve) => connector ? connector.close(() => resolve()) : resolve());
    for (const dir of Object.values(dirs)) rmSync(dir, { recursive: true, force: true });
  });

  test('one message to three networks: three copies, each with its identity and protection, and one Sent copy', async () => {
    const transport = nodemailer.createTransport({
      host: '127.0.0.1', port: a.ports.submission, secure: false, requireTLS: true, auth: { user: 'anne.kerjean@region-a.test', pass: PASSWORD },
      tls: { ca: a.caCertPem as string, servername: 'localhost' },
    });
    const info = await transport.sendMail({
      from: '"Dr Anne Kerjean" <anne.kerjean@region-a.test>',
      to: ['bruno.le-bihan@peer-b.mssante.test', 'yves.nedelec@medical45.apicrypt.org', 'claire.morin@partenaire.test'],
      subject: 'Compte rendu de consultation — Mme Le Gall', text: 'Bonjour, vous trouverez le compte rendu ci-dessous. Bien confraternellement.',
    });
    transport.close();
    assert.match(info.response, /^250 2\.0\.0 Message stored as /);

    const atB = await waitFor('the MSSanté copy at B', async () => (await inbox(b, 'bruno.le-bihan@peer-b.mssante.test')).at(0));
    assert.equal(atB.from, 'anne.kerjean@region-a.mssante.test', 'From is the sender\'s MSSanté address');
    assert.match(atB.raw.toString('latin1'), /Return-Path: <anne\.kerjean@region-a\.mssante\.test>/);
    assert.match(atB.raw.toString('latin1'), /with ESMTPS \(TLSv1\.[23]/);
    const accepted = (await b.context.audit.list({ action: 'smtp.accept' })).at(-1);
    assert.match(String((accepted?.details.peerCertificate as { subject: string } | undefined)?.subject), /mail\.region-a\.test/, 'B saw A\'s client certificate');

    const atConnector = await waitFor('the Apicrypt copy at the connector', async () => connectorMail.at(0));
    assert.equal(atConnector.from, 'anne.kerjean.ra@medical.apicrypt.region-a.test', 'envelope sender is the Apicrypt alias');
    assert.match(atConnector.raw.toString('latin1'), /^From: "?Dr Anne Kerjean"? <anne\.kerjean\.ra@medical\.apicrypt\.region-a\.test>/m);

    const atC = await waitFor('the S/MIME copy at C', async () => (await inbox(c, 'claire.morin@partenaire.test')).at(0));
    assert.equal(atC.from, 'anne.kerjean@region-a.test');
    assert.match(atC.raw.toString('latin1'), /Authentication-Results: mx\.partenaire\.test;\s+smime=pass/);
    assert.match(atC.raw.toString('latin1'), /X-Hygie-Decrypted: for claire\.morin@partenaire\.test/);

    // What travelled to C was signed and encrypted: OpenSSL decrypts it with C's key and verifies A's signature.
    const blob = await a.context.db('outbound_messages').where({ route: 'regional' }).first();
    const work = mkdtempSync(path.join(os.tmpdir(), 'hygie-bridge-openssl-'));
    try {
      writeFileSync(path.join(work, 'sent.eml'), await a.context.queue.readMessage(blob.blob_id));
      const [cCert] = await c.context.certificates.listCertificates({ address: 'claire.morin@partenaire.test', withPrivateKey: true });
      writeFileSync(path.join(work, 'c.crt'), toPem(cCert!.der, 'CERTIFICATE'));
      writeFileSync(path.join(work, 'c.key'), cKeyPem, { mode: 0o600 });
      writeFileSync(path.join(work, 'a-root.pem'), aRootPem);
      const sent = readFileSync(path.join(work, 'sent.eml'), 'latin1');
      assert.match(sent, /Content-Type: application\/pkcs7-mime; *smime-type=enveloped-data/i);
      assert.doesNotMatch(sent, /compte rendu ci-dessous/, 'never in clear');
      execFileSync('openssl', ['cms', '-decrypt', '-in', path.join(work, 'sent.eml'), '-recip', path.join(work, 'c.crt'), '-inkey', path.join(work, 'c.key'), '-out', path.join(work, 'signed.eml')], { stdio: 'pipe' });
      const verified = execFileSync('openssl', ['cms', '-verify', '-in', path.join(work, 'signed.eml'), '-CAfile', path.join(work, 'a-root.pem')], { stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8');
      assert.match(verified, /compte rendu ci-dessous/, 'OpenSSL decrypts with C\'s key and verifies A\'s signature');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }

    const sentFolder = await a.context.store.getFolder(aUser ? (await a.context.mailboxes.requireMailbox('anne.kerjean@region-a.test')).id : 0, 'Sent');
    const sentMessages = await a.context.store.listMessages(sentFolder!.id);
    assert.equal(sentMessages.length, 1, 'one Sent copy');
    const sentCopy = (await a.context.store.readMessage(sentFolder!.id, sentMessages[0]!.uid)).toString('latin1');
    assert.match(sentCopy, /^From: "?Dr Anne Kerjean"? <anne\.kerjean@region-a\.test>/m, 'as the user wrote it');
    // Thunderbird appends its own copy to Sent: the same Message-ID is kept once.
    const boxId = (await a.context.mailboxes.requireMailbox('anne.kerjean@region-a.test')).id;
    const appended = await a.context.store.append(boxId, 'Sent', Buffer.from(sentCopy, 'latin1'), { flags: ['\\Seen'] });
    assert.equal(appended.uid, sentMessages[0]!.uid);
    assert.equal((await a.context.store.listMessages(sentFolder!.id)).length, 1);

    // A's audit trail: the relay (three copies, each with its identity and protection), then
    // the acceptance, written in the commit that queued the copies; then each delivery.
    const trail = (await a.context.audit.list({ subject: sentMessages[0]!.messageId ?? '' })).reverse();
    const relay = trail.find((r) => r.action === 'smtp.relay');
    const acceptance = trail.find((r) => r.action === 'smtp.accept');
    assert.ok(relay && acceptance, `relay and acceptance recorded: ${trail.map((r) => r.action).join(', ')}`);
    assert.ok(relay.id < acceptance.id, 'the relay is recorded before the acceptance');
    const copies = relay.details.copies as Array<{ network: string; identity: string; protection: string }>;
    assert.deepEqual(copies.map((c) => `${c.network} ${c.identity}`).sort(), [
      'apicrypt anne.kerjean.ra@medical.apicrypt.region-a.test', 'mssante anne.kerjean@region-a.mssante.test', 'regional anne.kerjean@region-a.test',
    ]);
    assert.equal((acceptance.details.relayed as unknown[]).length, 3);
    await waitFor('a delivery record for each copy', async () => {
      const delivered = (await a.context.audit.list({ action: 'queue.delivered', subject: sentMessages[0]!.messageId ?? '' })).map((r) => r.details.route).sort();
      return delivered.length === 3 ? delivered : undefined;
    });
  });

  test('replies to each alias come back to the one INBOX', async () => {
    const reply = async (operator: TestOperator, user: string, to: string, subject: string) => {
      const transport = nodemailer.createTransport({
        host: '127.0.0.1', port: operator.ports.submission, secure: false, requireTLS: true, auth: { user, pass: PASSWORD },
        tls: { ca: operator.caCertPem as string, servername: 'localhost' },
      });
      await transport.sendMail({ from: user, to, subject, text: 'Bien reçu, merci.' });
      transport.close();
    };
    await reply(b, 'bruno.le-bihan@peer-b.mssante.test', 'anne.kerjean@region-a.mssante.test', 'RE: MSSanté');
    await reply(c, 'claire.morin@partenaire.test', 'anne.kerjean@region-a.test', 'RE: régional');
    // The connector hands Apicrypt replies over mutual TLS with its own certificate.
    const fromConnector = nodemailer.createTransport({
      host: '127.0.0.1', port: a.ports.smtp, secure: false, requireTLS: true, name: 'connecteur.apicrypt.test',
      tls: { ca: a.caCertPem as string, servername: 'localhost', cert: connectorCert, key: connectorKey },
    });
    await fromConnector.sendMail({ envelope: { from: 'yves.nedelec@medical45.apicrypt.org', to: ['anne.kerjean.ra@medical.apicrypt.region-a.test'] }, raw: 'From: <yves.nedelec@medical45.apicrypt.org>\r\nTo: <anne.kerjean.ra@medical.apicrypt.region-a.test>\r\nSubject: RE: Apicrypt\r\n\r\nBien reçu.\r\n' });
    fromConnector.close();

    const messages = await waitFor('three replies in A\'s INBOX', async () => {
      const found = await inbox(a, 'anne.kerjean@region-a.test');
      return found.filter((m) => m.subject.startsWith('RE:')).length >= 3 ? found : undefined;
    });
    const subjects = messages.map((m) => m.subject).filter((s) => s.startsWith('RE:')).sort();
    assert.deepEqual(subjects, ['RE: Apicrypt', 'RE: MSSanté', 'RE: régional']);
    const regional = messages.find((m) => m.subject === 'RE: régional')!;
    assert.match(regional.raw.toString('latin1'), /smime=pass/, 'the partner\'s reply was signed and encrypted, and verified here');
  });

  test('a trust-space sender without a client certificate, or from an unlisted domain, is refused', async () => {
    const plain = nodemailer.createTransport({ host: '127.0.0.1', port: a.ports.smtp, secure: false, requireTLS: true, tls: { ca: a.caCertPem as string, servername: 'localhost' } });
    await assert.rejects(plain.sendMail({ envelope: { from: 'bruno.le-bihan@peer-b.mssante.test', to: ['anne.kerjean@region-a.test'] }, raw: 'Subject: x\r\n\r\nx\r\n' }),
      (error: Error & { responseCode?: number }) => error.responseCode === 550 && /client certificate/.test(error.message));
    await assert.rejects(plain.sendMail({ envelope: { from: 'someone@intrus.mssante.fr', to: ['anne.kerjean@region-a.test'] }, raw: 'Subject: x\r\n\r\nx\r\n' }),
      (error: Error & { responseCode?: number }) => error.responseCode === 550 && /not on the MSSanté trust list/.test(error.message));
    plain.close();
  });

  test('writing to an unreachable network is refused at RCPT with the reason; a partner without a certificate gets a DSN', async () => {
    const transport = nodemailer.createTransport({
      host: '127.0.0.1', port: a.ports.submission, secure: false, requireTLS: true, auth: { user: 'anne.kerjean@region-a.test', pass: PASSWORD },
      tls: { ca: a.caCertPem as string, servername: 'localhost' },
    });
    await assert.rejects(transport.sendMail({ from: 'anne.kerjean@region-a.test', to: 'someone@gmail.example', subject: 'x', text: 'x' }),
      (error: Error) => /outside the health networks/.test(error.message));
    const info = await transport.sendMail({ from: 'anne.kerjean@region-a.test', to: 'inconnu@partenaire.test', subject: 'Pour un inconnu', text: 'x' });
    assert.match(info.response, /1 recipient\(s\) could not be written to/);
    transport.close();
    const dsn = await waitFor('the DSN', async () => (await inbox(a, 'anne.kerjean@region-a.test')).find((m) => /Non remis/.test(m.subject)));
    assert.match(dsn.raw.toString('utf8'), /Final-Recipient: rfc822; inconnu@partenaire\.test\r\nAction: failed\r\nStatus: 5\.7\.1/);
    assert.match(dsn.raw.toString('utf8'), /no valid S\/MIME encryption certificate is known for inconnu@partenaire\.test/);
  });

  test('a message to a colleague on the same platform and to a partner: each gets one copy, one Sent copy, one acceptance', async () => {
    await a.context.mailboxes.createPersonalMailbox({ firstName: 'Marc', lastName: 'Le Du', password: PASSWORD, actor: 'operator:test' });
    const subject = 'Avis partagé — M. Tanguy';
    const transport = nodemailer.createTransport({
      host: '127.0.0.1', port: a.ports.submission, secure: false, requireTLS: true, auth: { user: 'anne.kerjean@region-a.test', pass: PASSWORD },
      tls: { ca: a.caCertPem as string, servername: 'localhost' },
    });
    const info = await transport.sendMail({ from: 'anne.kerjean@region-a.test', to: ['marc.le-du@region-a.test', 'claire.morin@partenaire.test'], subject, text: 'Pour avis.' });
    transport.close();
    assert.deepEqual([...info.accepted].sort(), ['claire.morin@partenaire.test', 'marc.le-du@region-a.test']);

    const atColleague = (await inbox(a, 'marc.le-du@region-a.test')).filter((m) => m.subject === subject);
    assert.equal(atColleague.length, 1, 'the colleague has it as soon as it is acknowledged');
    await waitFor('the copy at C', async () => (await inbox(c, 'claire.morin@partenaire.test')).find((m) => m.subject === subject));
    const boxId = (await a.context.mailboxes.requireMailbox('anne.kerjean@region-a.test')).id;
    const sent = await a.context.store.listMessages((await a.context.store.getFolder(boxId, 'Sent'))!.id);
    const kept = sent.filter((m) => m.subject === subject);
    assert.equal(kept.length, 1, 'one Sent copy');
    const trail = await a.context.audit.list({ subject: kept[0]!.messageId ?? '' });
    const acceptances = trail.filter((r) => r.action === 'smtp.accept');
    assert.equal(acceptances.length, 1);
    assert.deepEqual((acceptances[0]!.details.deliveredTo as Array<{ address: string }>).map((d) => d.address), ['marc.le-du@region-a.test']);
    assert.deepEqual((acceptances[0]!.details.relayed as Array<{ recipients: string[] }>).flatMap((r) => r.recipients), ['claire.morin@partenaire.test']);
    assert.equal(trail.filter((r) => r.action === 'smtp.relay').length, 1);
  });
});
