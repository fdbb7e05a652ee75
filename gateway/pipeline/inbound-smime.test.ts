import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Knex } from 'knex';
import { CertificateStore, SmimeService } from '../../certs/index.js';
import { certStoreMigrations } from '../../certs/store/migrations.js';
import { OpensslFixtures } from '../../certs/store/testing-openssl.js';
import { AuditTrail, auditMigrations } from '../../core/audit.js';
import { systemClock } from '../../core/clock.js';
import { openDatabase } from '../../core/database.js';
import { openSmime, type InboundSmimeOperations } from './inbound-smime.js';

const HOST = 'mail.esante-demo.test';
let fx: OpensslFixtures;
let dataDir: string;
let db: Knex;
let smime: InboundSmimeOperations;

function message(from: string, to: string, body: string): string {
  return `From: <${from}>\r\nTo: <${to}>\r\nSubject: Compte rendu\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`;
}

/** openssl cms writes the S/MIME entity; the outer header is ours, as a sending gateway writes it. */
function encryptedFor(recipient: string, from: string, to: string, body: string): Buffer {
  writeFileSync(fx.path('plain.eml'), `Content-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`);
  fx.openssl(['cms', '-encrypt', '-aes-256-cbc', '-in', 'plain.eml', '-out', 'enc.eml', '-from', from, '-to', to, '-subject', 'Compte rendu', `${recipient}.pem`]);
  return fx.bytes('enc.eml');
}

before(async () => {
  fx = new OpensslFixtures();
  for (const name of ['alice', 'bob']) {
    fx.leaf({ name, subject: `/CN=${name}`, email: `${name}@esante-demo.test`, keyUsage: 'digitalSignature,keyEncipherment', extendedKeyUsage: 'emailProtection', fromDays: -1, toDays: 300 });
  }
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'hygie-inbound-smime-'));
  db = await openDatabase({ url: '', dataDir, migrations: [...auditMigrations, ...certStoreMigrations] });
  const audit = new AuditTrail(db, systemClock);
  const certificates = new CertificateStore({ db, audit, clock: systemClock });
  await certificates.importPem(fx.text('alice.pem') + fx.text('alice.key'), { actor: 'test' });
  const [ca] = (await certificates.importPem(fx.text('ca.pem'), { actor: 'test' })).certificates;
  await certificates.addTrustAnchor(ca!.id, 'smime', 'test');
  const service = new SmimeService({ certificates });
  smime = {
    canDecrypt: async (address) => (await certificates.listCertificates({ address, withPrivateKey: true })).some((c) => c.canEncrypt),
    decryptAs: (m, address) => service.decryptAs(m, address),
    verify: (m) => service.verify(m),
  };
});
after(async () => {
  await db.destroy();
  rmSync(dataDir, { recursive: true, force: true });
  fx.cleanup();
});

test('a message encrypted for a local reader is stored decrypted, with the verdict', async () => {
  const opened = await openSmime(encryptedFor('alice', 'bob@esante-demo.test', 'alice@esante-demo.test', 'Résultats normaux.'), ['alice@esante-demo.test'], smime, HOST);
  assert.equal(opened.decryption, 'decrypted');
  const text = opened.raw.toString('utf8');
  assert.match(text, /^Authentication-Results: mail\.esante-demo\.test;\s+smime=none/m, 'decrypted but not signed');
  assert.match(text, /X-Hygie-Decrypted: for alice@esante-demo\.test/);
  assert.match(text, /Résultats normaux\./);
});

test('a message encrypted for someone whose key is not here is stored as received, with a neutral verdict saying so', async () => {
  const sealed = encryptedFor('bob', 'x@esante-demo.test', 'alice@esante-demo.test', 'Pour Bob seulement.');
  const opened = await openSmime(sealed, ['alice@esante-demo.test'], smime, HOST);
  assert.equal(opened.decryption, 'no-key');
  const text = opened.raw.toString('latin1');
  assert.match(text, /^Authentication-Results: mail\.esante-demo\.test; smime=neutral reason="encrypted for a key this operator does not hold"/m);
  assert.ok(opened.raw.includes(sealed.subarray(sealed.indexOf('\r\n\r\n'))), 'the encrypted body is kept as received');
  assert.doesNotMatch(text, /Pour Bob seulement/);
});

test('a signed message is verified and its signer named; forged results claiming our name are removed', async () => {
  writeFileSync(fx.path('to-sign.eml'), message('bob@esante-demo.test', 'alice@esante-demo.test', 'Signé par Bob.'));
  fx.openssl(['cms', '-sign', '-in', 'to-sign.eml', '-signer', 'bob.pem', '-inkey', 'bob.key', '-out', 'signed.eml']);
  const signed = Buffer.concat([
    Buffer.from(`Authentication-Results: ${HOST}; smime=pass header.from=evil@attacker.test\r\nFrom: <bob@esante-demo.test>\r\nTo: <alice@esante-demo.test>\r\nSubject: Signé\r\n`),
    fx.bytes('signed.eml'),
  ]);
  const opened = await openSmime(signed, ['alice@esante-demo.test'], smime, HOST);
  assert.equal(opened.signature, 'valid');
  const text = opened.raw.toString('utf8');
  assert.doesNotMatch(text, /evil@attacker\.test/);
  assert.equal(text.match(/^Authentication-Results:/gm)?.length, 1);
  assert.match(text, /smime=pass/);
});
