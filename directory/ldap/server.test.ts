/**
 * The LDAP service end to end: a real SQLite directory with the real MailboxService,
 * the server on a free port, and two independent clients (ldapjs's, and OpenLDAP's
 * `ldapsearch` when installed). These are the tests a replacement for ldapjs must pass.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Knex } from 'knex';
import ldapjs, { type Client, type SearchOptions } from 'ldapjs';
import { AuditTrail, auditMigrations } from '../../core/audit.js';
import { systemClock } from '../../core/clock.js';
import { DEFAULT_CONFIG } from '../../core/config.js';
import { openDatabase } from '../../core/database.js';
import { Logger } from '../../core/logger.js';
import { MailboxService } from '../mailbox-service.js';
import { directoryMigrations } from '../migrations.js';
import type { MailboxSummary } from '../types.js';
import { LdapServer } from './server.js';

const BASE = DEFAULT_CONFIG.ldap.baseDn;
const PEOPLE = `ou=people,${BASE}`;

let dataDir: string;
let db: Knex;
let server: LdapServer;
let url: string;
let port: number;
let doctor: MailboxSummary;
let nurse: MailboxSummary;
let worker: MailboxSummary;
const logLines: string[] = [];

before(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'hygie-ldap-'));
  db = await openDatabase({ url: '', dataDir, migrations: [...auditMigrations, ...directoryMigrations] });
  const mailboxes = new MailboxService({
    db, clock: systemClock, audit: new AuditTrail(db, systemClock), domains: DEFAULT_CONFIG.operator.domains, auth: DEFAULT_CONFIG.auth,
  });
  const actor = 'operator:test';
  doctor = await mailboxes.createPersonalMailbox({
    firstName: 'Hélène', lastName: 'Dupont', rpps: '99700218896', profession: 'Médecin', password: 'correct horse battery', actor,
  });
  nurse = await mailboxes.createPersonalMailbox({
    firstName: 'Léa', lastName: 'Dupuis', adeli: '751234567', profession: 'Infirmière', password: 'correct horse battery', actor,
  });
  worker = await mailboxes.createPersonalMailbox({
    firstName: 'Paul', lastName: 'Martin', profession: 'Assistant de service social', password: 'correct horse battery', actor,
  });
  const logger = new Logger({ level: 'debug', format: 'json', write: (line) => logLines.push(line) });
  server = new LdapServer({ directory: mailboxes, baseDn: BASE, logger, organisationName: DEFAULT_CONFIG.operator.name });
  port = await server.listen(0, '127.0.0.1');
  url = `ldap://127.0.0.1:${port}`;
});

after(async () => {
  await server.close();
  await db.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

// ---- an ldapjs client, promisified -------------------------------------------------

interface Found {
  entries: Record<string, Record<string, string[]>>;
  /** 0 on success, else the LDAP result code the search ended with. */
  code: number;
}

async function withClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = ldapjs.createClient({ url });
  client.on('error', () => { /* reported through the operations' callbacks */ });
  try {
    return await work(client);
  } finally {
    client.destroy();
  }
}

function search(base: string, options: SearchOptions): Promise<Found> {
  return withClient((client) => new Promise<Found>((resolve, reject) => {
    const found: Found = { entries: {}, code: 0 };
    client.search(base, options, (error, res) => {
      if (error) return reject(error);
      res.on('searchEntry', (entry) => {
        const attributes: Record<string, string[]> = {};
        for (const a of entry.pojo.attributes) attributes[a.type] = a.values;
        found.entries[entry.pojo.objectName] = attributes;
      });
      res.on('error', (e) => resolve({ ...found, code: e.code }));
      res.on('end', () => resolve(found));
    });
  }));
}

/** The result code of a callback-style ldapjs operation (0 when it succeeded). */
function resultOf(operation: (client: Client, done: (error: { code: number } | null) => void) => void): Promise<number> {
  return withClient((client) => new Promise<number>((resolve) => operation(client, (error) => resolve(error ? error.code : 0))));
}

const dnOf = (box: MailboxSummary) => `uid=${box.id},${PEOPLE}`;
const addressOf = (box: MailboxSummary, network: string) => box.addresses.find((a) => a.network === network)!.address;

// ---- searches with the ldapjs client ------------------------------------------------

test('equality on mail finds the box by each of its addresses, in any case', async () => {
  for (const box of [doctor, nurse, worker]) {
    for (const { address } of box.addresses) {
      const found = await search(BASE, { scope: 'sub', filter: `(mail=${address.toUpperCase()})` });
      assert.deepEqual(Object.keys(found.entries), [dnOf(box)], address);
    }
  }
  const none = await search(BASE, { scope: 'sub', filter: '(mail=nobody@esante-demo.test)' });
  assert.deepEqual(none, { entries: {}, code: 0 });
});

test('a full entry carries names, identifiers, profession and addresses (regional first)', async () => {
  const found = await search(dnOf(doctor), { scope: 'base' });
  const entry = found.entries[dnOf(doctor)]!;
  assert.deepEqual(entry.objectClass, ['top', 'person', 'organizationalPerson', 'inetOrgPerson', 'hygieMailbox']);
  assert.deepEqual(entry.cn, ['Hélène Dupont']);
  assert.deepEqual(entry.sn, ['Dupont']);
  assert.deepEqual(entry.givenName, ['Hélène']);
  assert.deepEqual(entry.title, ['Médecin']);
  assert.deepEqual(entry.employeeNumber, ['99700218896']);
  assert.deepEqual(entry.hygieRpps, ['99700218896']);
  assert.deepEqual(entry.hygieMailboxType, ['PER']);
  assert.equal(entry.mail?.[0], addressOf(doctor, 'regional'));
  assert.deepEqual([...entry.mail!].sort(), doctor.addresses.map((a) => a.address).sort());
  assert.deepEqual(entry.hygieMssanteMail, [addressOf(doctor, 'mssante')]);
  assert.deepEqual(entry.hygieApicryptMail, [addressOf(doctor, 'apicrypt')]);

  const nurseEntry = (await search(dnOf(nurse), { scope: 'base' })).entries[dnOf(nurse)]!;
  assert.deepEqual(nurseEntry.employeeNumber, ['751234567']);
  assert.deepEqual(nurseEntry.hygieAdeli, ['751234567']);
  const workerEntry = (await search(dnOf(worker), { scope: 'base' })).entries[dnOf(worker)]!;
  assert.equal(workerEntry.employeeNumber, undefined);
  assert.equal(workerEntry.hygieMssanteMail, undefined, 'a social worker has no MSSanté address');
});

test('substrings on cn and sn ignore case and keep accents', async () => {
  const names = async (filter: string) => Object.keys((await search(BASE, { scope: 'sub', filter })).entries).sort();
  assert.deepEqual(await names('(cn=Dup*)'), [], 'cn starts with the first name');
  assert.deepEqual(await names('(sn=dup*)'), [dnOf(doctor), dnOf(nurse)].sort());
  assert.deepEqual(await names('(cn=hél*)'), [dnOf(doctor)]);
  assert.deepEqual(await names('(cn=H\\c3\\a9l\\c3\\a8ne*)'), [dnOf(doctor)], 'escaped UTF-8 in the filter');
  assert.deepEqual(await names('(cn=*LÉA*)'), [dnOf(nurse)]);
  assert.deepEqual(await names('(&(objectClass=inetOrgPerson)(sn=Martin))'), [dnOf(worker)]);
  assert.deepEqual(await names('(&(objectClass=inetOrgPerson)(|(sn=dupont)(title=infirm*)))'), [dnOf(doctor), dnOf(nurse)].sort());
  assert.deepEqual(await names('(cn~=helene dupont)'), [dnOf(doctor)], 'approximate match ignores accents');
  assert.deepEqual(await names('(&(objectClass=inetOrgPerson)(!(hygieMssanteMail=*)))'), [dnOf(worker)]);
});

test('scopes base, one and sub', async () => {
  const dns = async (base: string, scope: 'base' | 'one' | 'sub') => Object.keys((await search(base, { scope })).entries);
  assert.deepEqual(await dns(BASE, 'base'), [BASE]);
  assert.deepEqual(await dns(BASE, 'one'), [PEOPLE]);
  assert.deepEqual(await dns(BASE, 'sub'), [BASE, PEOPLE, dnOf(doctor), dnOf(nurse), dnOf(worker)]);
  assert.deepEqual(await dns(PEOPLE, 'one'), [dnOf(doctor), dnOf(nurse), dnOf(worker)]);
  assert.deepEqual(await dns(dnOf(nurse), 'base'), [dnOf(nurse)]);
  const dse = await search('', { scope: 'base' });
  assert.deepEqual(dse.entries['']?.namingContexts, [BASE]);
});

test('only the requested attributes come back', async () => {
  const found = await search(PEOPLE, { scope: 'one', filter: '(sn=Dupuis)', attributes: ['mail', 'CN'] });
  assert.deepEqual(found.entries[dnOf(nurse)], { cn: ['Léa Dupuis'], mail: [addressOf(nurse, 'regional'), addressOf(nurse, 'mssante'), addressOf(nurse, 'apicrypt')] });
  const none = await search(PEOPLE, { scope: 'one', filter: '(sn=Dupuis)', attributes: ['1.1'] });
  assert.deepEqual(none.entries[dnOf(nurse)], {});
  const typesOnly = await search(PEOPLE, { scope: 'one', filter: '(sn=Dupuis)', attributes: ['sn', 'hygieAdeli'], typesOnly: true });
  assert.deepEqual(typesOnly.entries[dnOf(nurse)], { sn: [], hygieAdeli: [] });
});

test('sizeLimit: the client\'s limit gives sizeLimitExceeded (4) after that many entries', async () => {
  const limited = await search(PEOPLE, { scope: 'one', sizeLimit: 2 });
  assert.equal(limited.code, 4);
  assert.equal(Object.keys(limited.entries).length, 2);
  const enough = await search(PEOPLE, { scope: 'one', sizeLimit: 3 });
  assert.equal(enough.code, 0);
  assert.equal(Object.keys(enough.entries).length, 3);
});

test('the server\'s own size limit applies whatever the client asks', async () => {
  const small = new LdapServer({ directory: { listPublished: () => Promise.resolve([]) }, baseDn: BASE, logger: quiet(), sizeLimit: 1 });
  const smallPort = await small.listen(0, '127.0.0.1');
  try {
    const client = ldapjs.createClient({ url: `ldap://127.0.0.1:${smallPort}` });
    client.on('error', () => {});
    const code = await new Promise<number>((resolve, reject) => {
      client.search(BASE, { scope: 'sub' }, (error, res) => {
        if (error) return reject(error);
        res.on('error', (e) => resolve(e.code));
        res.on('end', () => resolve(0));
      });
    });
    client.destroy();
    assert.equal(code, 4, 'the suffix and ou=people are two entries, over a limit of one');
  } finally {
    await small.close();
  }
});

test('a base DN outside the tree, or of a box that does not exist, is noSuchObject (32)', async () => {
  assert.equal((await search('dc=elsewhere,dc=test', { scope: 'sub' })).code, 32);
  assert.equal((await search(`uid=99999,${PEOPLE}`, { scope: 'base' })).code, 32);
});

test('compare works on published entries', async () => {
  const compare = (attribute: string, value: string) => withClient((client) => new Promise<boolean | number>((resolve) => {
    client.compare(dnOf(doctor), attribute, value, (error, matched) => resolve(error ? error.code : matched === true));
  }));
  assert.equal(await compare('mail', addressOf(doctor, 'mssante').toUpperCase()), true);
  assert.equal(await compare('sn', 'Martin'), false);
});

// ---- what is refused ------------------------------------------------------------------

test('a critical control we do not implement refuses the search (unavailableCriticalExtension, 12)', async () => {
  // @types/ldapjs does not declare the control classes ldapjs 3 exports.
  const { PagedResultsControl } = ldapjs as unknown as { PagedResultsControl: new (options: object) => unknown };
  const paged = new PagedResultsControl({ criticality: true, value: { size: 10 } });
  const code = await withClient((client) => new Promise<number>((resolve, reject) => {
    client.search(BASE, { scope: 'sub' }, [paged], (error, res) => {
      if (error) return reject(error);
      res.on('error', (e) => resolve(e.code));
      res.on('end', () => resolve(0));
    });
  }));
  assert.equal(code, 12);
});

test('anonymous bind is accepted; a bind with a password is refused with invalidCredentials (49)', async () => {
  assert.equal(await resultOf((client, done) => client.bind('', '', done)), 0);
  assert.equal(await resultOf((client, done) => client.bind(dnOf(doctor), 'correct horse battery', done)), 49);
  assert.equal(await resultOf((client, done) => client.bind(addressOf(doctor, 'regional'), 'correct horse battery', done)), 34,
    'not a DN at all: ldapjs itself answers invalidDNSyntax');
  assert.equal(await resultOf((client, done) => client.bind('', 'a password', done)), 49);
  assert.ok(logLines.some((l) => l.includes('ldap bind refused')), 'refusals are logged');
  assert.ok(!logLines.some((l) => l.includes('correct horse battery')), 'passwords never reach the log');
});

test('a DN without a password (unauthenticated bind) is unwillingToPerform (53)', async () => {
  // ldapjs's client refuses to send this itself, so write the BER by hand.
  const tlv = (tag: number, content: Buffer) => Buffer.concat([Buffer.from([tag, content.length]), content]);
  const name = Buffer.from(dnOf(doctor));
  const bindRequest = tlv(0x60, Buffer.concat([tlv(0x02, Buffer.from([3])), tlv(0x04, name), tlv(0x80, Buffer.alloc(0))]));
  const code = await rawExchange(tlv(0x30, Buffer.concat([tlv(0x02, Buffer.from([1])), bindRequest])));
  assert.equal(code, 53);
});

test('add, modify, delete and modrdn are refused with unwillingToPerform (53)', async () => {
  const dn = dnOf(worker);
  assert.equal(await resultOf((client, done) => client.add(`uid=new,${PEOPLE}`, { objectClass: 'inetOrgPerson', cn: 'X', sn: 'Y' }, done)), 53);
  const change = new ldapjs.Change({ operation: 'replace', modification: new ldapjs.Attribute({ type: 'sn', values: ['Pirate'] }) });
  assert.equal(await resultOf((client, done) => client.modify(dn, change, done)), 53);
  assert.equal(await resultOf((client, done) => client.del(dn, done)), 53);
  assert.equal(await resultOf((client, done) => client.modifyDN(dn, `uid=moved,${PEOPLE}`, done)), 53);
  const still = await search(dn, { scope: 'base', attributes: ['sn'] });
  assert.deepEqual(still.entries[dn], { sn: ['Martin'] });
});

test('garbage, oversized and malformed requests close that connection, not the server', async () => {
  /** Writes the bytes and resolves when the server hangs up (the socket is never ended by us). */
  const hangsUp = (...chunks: Buffer[]) => new Promise<void>((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => { for (const chunk of chunks) socket.write(chunk); });
    socket.on('close', () => resolve());
    socket.on('error', () => {});
    socket.resume();
  });
  await hangsUp(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  // A SEQUENCE announcing 1 GiB, then more than the request cap.
  await hangsUp(Buffer.from([0x30, 0x84, 0x40, 0x00, 0x00, 0x00]), Buffer.alloc(300 * 1024));
  // A well-framed SEQUENCE that is no LDAP message: ldapjs's parser error, answered then closed.
  await hangsUp(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]));
  assert.deepEqual(Object.keys((await search(dnOf(doctor), { scope: 'base' })).entries), [dnOf(doctor)]);
  for (const reason of ['not an LDAP message', 'request over', 'Parser error']) {
    assert.ok(logLines.some((l) => l.includes('ldap malformed request') && l.includes(reason)), `logged, not thrown: ${reason}`);
  }
});

test('close() ends open client connections instead of waiting for them', async () => {
  const other = new LdapServer({ directory: { listPublished: () => Promise.resolve([]) }, baseDn: BASE, logger: quiet() });
  const otherPort = await other.listen(0, '127.0.0.1');
  const socket = net.connect(otherPort, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  const closedByServer = new Promise((resolve) => socket.once('close', resolve));
  socket.on('error', () => {});
  await other.close();
  await closedByServer;
});

test('each search is logged at debug level with its filter, count and duration', async () => {
  logLines.length = 0;
  await search(PEOPLE, { scope: 'one', filter: '(sn=Martin)' });
  const line = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.message === 'ldap search');
  assert.ok(line, 'a search line');
  assert.equal(line.level, 'debug');
  assert.equal(line.filter, '(sn=Martin)');
  assert.equal(line.count, 1);
  assert.equal(typeof line.durationMs, 'number');
});

// ---- OpenLDAP's ldapsearch ------------------------------------------------------------

const ldapsearchMissing = (() => {
  try {
    execFileSync('ldapsearch', ['-VV'], { stdio: 'ignore' });
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT'
      ? 'ldapsearch is not installed (apt-get install ldap-utils); the ldapjs-client tests still ran'
      : false;
  }
})();

test('ldapsearch: (mail=…) for each address, as LDIF', { skip: ldapsearchMissing }, async () => {
  for (const { address } of doctor.addresses) {
    const { code, records } = await ldapsearch(['-b', BASE, `(mail=${address})`, 'cn', 'mail', 'employeeNumber']);
    assert.equal(code, 0);
    assert.equal(records.length, 1, address);
    assert.deepEqual(records[0], {
      dn: [dnOf(doctor)], cn: ['Hélène Dupont'], mail: [addressOf(doctor, 'regional'), addressOf(doctor, 'mssante'), addressOf(doctor, 'apicrypt')],
      employeeNumber: ['99700218896'],
    });
  }
});

test('ldapsearch: accents, scopes, root DSE, size limit, and errors', { skip: ldapsearchMissing }, async () => {
  const sub = await ldapsearch(['-b', BASE, '(cn=Hél*)', 'cn']);
  assert.deepEqual(sub.records, [{ dn: [dnOf(doctor)], cn: ['Hélène Dupont'] }]);
  const one = await ldapsearch(['-b', BASE, '-s', 'one', '(objectClass=*)', '1.1']);
  assert.deepEqual(one.records, [{ dn: [PEOPLE] }]);
  const base = await ldapsearch(['-b', BASE, '-s', 'base', '(objectClass=*)']);
  assert.deepEqual(base.records[0]?.dc, ['esante-demo']);
  const dse = await ldapsearch(['-b', '', '-s', 'base', '(objectClass=*)', 'namingContexts']);
  assert.deepEqual(dse.records, [{ dn: [''], namingContexts: [BASE] }]);
  const limited = await ldapsearch(['-b', PEOPLE, '-s', 'one', '-z', '1', '(objectClass=inetOrgPerson)', '1.1']);
  assert.equal(limited.code, 4, 'ldapsearch exits with the result code');
  assert.equal(limited.records.length, 1);
  const outside = await ldapsearch(['-b', 'dc=elsewhere,dc=test', '(objectClass=*)']);
  assert.equal(outside.code, 32);
  assert.match(outside.stderr, /No such object/);
  const bound = await ldapsearch(['-D', dnOf(doctor), '-w', 'correct horse battery', '-b', BASE, '(objectClass=*)']);
  assert.equal(bound.code, 49);
});

// ---- publication ---------------------------------------------------------------------

test('an unpublished box disappears at once, by filter and by DN', async () => {
  const filter = `(mail=${addressOf(nurse, 'regional')})`;
  assert.equal(Object.keys((await search(BASE, { scope: 'sub', filter })).entries).length, 1);
  await db('mailboxes').where({ id: nurse.id }).update({ published: false });
  try {
    assert.deepEqual((await search(BASE, { scope: 'sub', filter })).entries, {});
    assert.equal((await search(dnOf(nurse), { scope: 'base' })).code, 32, 'no hint that the entry exists');
    assert.deepEqual(Object.keys((await search(PEOPLE, { scope: 'one' })).entries), [dnOf(doctor), dnOf(worker)]);
  } finally {
    await db('mailboxes').where({ id: nurse.id }).update({ published: true });
  }
});

// ---- helpers ---------------------------------------------------------------------------

function quiet(): Logger {
  return new Logger({ level: 'error', format: 'text', write: () => {} });
}

/** Sends one raw LDAP message and returns the result code of the first response. */
function rawExchange(message: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(message));
    socket.once('data', (data) => {
      socket.destroy();
      // SEQUENCE { messageID INTEGER, [APPLICATION n] { resultCode ENUMERATED, … } }: find the ENUMERATED (0x0a).
      const at = data.indexOf(0x0a, 5);
      resolve(at > 0 ? data[at + 2]! : -1);
    });
    socket.on('error', reject);
  });
}

interface LdapsearchResult {
  code: number;
  records: Record<string, string[]>[];
  stderr: string;
}

function ldapsearch(args: string[]): Promise<LdapsearchResult> {
  return new Promise((resolve) => {
    execFile('ldapsearch', ['-x', '-LLL', '-o', 'ldif-wrap=no', '-H', url, ...args],
      { env: { ...process.env, LDAPNOINIT: '1' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, records: parseLdif(stdout), stderr });
      });
  });
}

/** Enough LDIF for ldapsearch -LLL output without wrapping: `name: value` and `name:: base64`. */
function parseLdif(text: string): Record<string, string[]>[] {
  return text.split(/\n\n+/).map((block) => block.trim()).filter((block) => block !== '').map((block) => {
    const record: Record<string, string[]> = {};
    for (const line of block.split('\n')) {
      const match = /^([^:]+)(::?) ?(.*)$/.exec(line);
      if (!match) continue;
      const [, name, separator, raw] = match as unknown as [string, string, string, string];
      const value = separator === '::' ? Buffer.from(raw, 'base64').toString('utf8') : raw;
      (record[name] ??= []).push(value);
    }
    return record;
  });
}
