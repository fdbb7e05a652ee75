/**
 * The LDAP service end to end: a real directory database (SQLite, then PostgreSQL),
 * the server on a free port, and two independent clients (ldapjs's, and OpenLDAP's
 * `ldapsearch` when installed). These are the tests a replacement for ldapjs must pass.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import ldapjs, { type Client, type SearchOptions } from 'ldapjs';
import { createDevHealthPki } from '../../certs/authority/index.js';
import { Logger } from '../../core/logger.js';
import { LdapServer, type LdapServerOptions } from './server.js';
import { BASE, MAILBOXES, PASSWORD, PEOPLE, createLdapFixture, describeOnEachEngine, type Engine, type LdapFixture } from './testing.js';

const OPERATOR = { dn: 'cn=annuaire,ou=operateurs,dc=esante-demo,dc=test', password: 'mot de passe opérateur' };
const logLines: string[] = [];
const servers = new Map<Engine, { server: LdapServer; url: string; port: number }>();
/** Encryption certificates (DER) by address, from the development health PKI. */
const certificates = new Map<string, Buffer[]>();

before(async () => {
  const pki = await createDevHealthPki({ organisation: 'Hygie test', keyAlgorithm: 'ECDSA-P256' });
  for (const address of ['helene.dupont@ch-quimper.mssante.fr', 'secretariat.radiologie@ch-quimper.mssante.fr']) {
    const issued = await pki.issueSmime(address, { usage: 'encryption' });
    certificates.set(address, [Buffer.from(issued.certificate.der)]);
  }
});

after(async () => {
  for (const { server } of servers.values()) await server.close();
});

/** The fixture with a server on it: operator bind, certificates, debug logs kept. */
async function openWithServer(engine: Engine): Promise<LdapFixture> {
  const fx = await createLdapFixture(engine);
  const server = new LdapServer(serverOptions(fx, { logger: new Logger({ level: 'debug', format: 'json', write: (line) => logLines.push(line) }) }));
  const port = await server.listen(0, '127.0.0.1');
  await server.refreshTextIndex();
  servers.set(engine, { server, port, url: `ldap://127.0.0.1:${port}` });
  const close = fx.close;
  return { ...fx, close: async () => { await server.close(); servers.delete(engine); await close(); } };
}

function serverOptions(fx: LdapFixture, overrides: Partial<LdapServerOptions> = {}): LdapServerOptions {
  return {
    db: fx.db, baseDn: BASE, logger: quiet(), organisationName: 'Plateforme de démo', operator: OPERATOR, clock: fx.clock,
    audit: fx.audit, bindLimits: { maxFailures: 3, windowSeconds: 60 },
    certificates: async (addresses) => new Map(addresses.filter((a) => certificates.has(a)).map((a) => [a, certificates.get(a)!])),
    ...overrides,
  };
}

/** A server with other limits on the same fixture, for one test. */
async function withServer<T>(fx: LdapFixture, overrides: Partial<LdapServerOptions>, work: (url: string) => Promise<T>): Promise<T> {
  const server = new LdapServer(serverOptions(fx, overrides));
  const port = await server.listen(0, '127.0.0.1');
  try {
    return await work(`ldap://127.0.0.1:${port}`);
  } finally {
    await server.close();
  }
}

// ---- an ldapjs client, promisified -------------------------------------------------

interface Found {
  entries: Record<string, Record<string, string[]>>;
  /** Binary values of `;binary` and certificate attributes, by DN then attribute. */
  binary: Record<string, Record<string, Buffer[]>>;
  /** 0 on success, else the LDAP result code the search ended with. */
  code: number;
  message?: string;
  pages: number;
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = ldapjs.createClient({ url });
  client.on('error', () => { /* reported through the operations' callbacks */ });
  try {
    return await work(client);
  } finally {
    client.destroy();
  }
}

interface ClientEntry {
  pojo: { objectName: string; attributes: Array<{ type: string; values: string[] }> };
  attributes: Array<{ type: string; buffers: Buffer[] }>;
}

function searchWith(client: Client, base: string, options: SearchOptions): Promise<Found> {
  return new Promise<Found>((resolve, reject) => {
    const found: Found = { entries: {}, binary: {}, code: 0, pages: 0 };
    client.search(base, options, (error, res) => {
      if (error) return reject(error);
      res.on('searchEntry', (entry) => {
        const { pojo, attributes: raw } = entry as unknown as ClientEntry;
        const attributes: Record<string, string[]> = {};
        for (const a of pojo.attributes) attributes[a.type] = a.values;
        found.entries[pojo.objectName] = attributes;
        found.binary[pojo.objectName] = Object.fromEntries(raw.filter((a) => /certificate/i.test(a.type)).map((a) => [a.type, a.buffers]));
      });
      res.on('page', () => { found.pages++; });
      res.on('error', (e: { code: number; lde_message?: string; message: string }) => resolve({ ...found, code: e.code, message: e.lde_message ?? e.message }));
      res.on('end', () => resolve(found));
    });
  });
}

function search(url: string, base: string, options: SearchOptions): Promise<Found> {
  return withClient(url, (client) => searchWith(client, base, options));
}

function bind(client: Client, dn: string, password: string): Promise<number> {
  return new Promise((resolve) => client.bind(dn, password, (error) => resolve(error ? (error as { code: number }).code : 0)));
}

/** The result code of a callback-style ldapjs operation (0 when it succeeded). */
function resultOf(url: string, operation: (client: Client, done: (error: { code: number } | null) => void) => void): Promise<number> {
  return withClient(url, (client) => new Promise<number>((resolve) => operation(client, (error) => resolve(error ? error.code : 0))));
}

const names = (found: Found) => Object.keys(found.entries);
const thunderbird = (x: string) => `(|(cn=*${x}*)(mail=*${x}*)(sn=*${x}*)(givenName=*${x}*))`;

// ---- OpenLDAP's ldapsearch -------------------------------------------------------------

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

interface LdapsearchResult {
  code: number;
  records: Record<string, string[]>[];
  /** Base64 values (`name:: …`) as bytes, per record. */
  raw: Record<string, Buffer[]>[];
  stderr: string;
}

function ldapsearch(url: string, args: string[]): Promise<LdapsearchResult> {
  return new Promise((resolve) => {
    execFile('ldapsearch', ['-x', '-LLL', '-o', 'ldif-wrap=no', '-H', url, ...args],
      { env: { ...process.env, LDAPNOINIT: '1' }, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, ...parseLdif(stdout), stderr });
      });
  });
}

/** Enough LDIF for ldapsearch -LLL output without wrapping: `name: value` and `name:: base64`. */
function parseLdif(text: string): { records: Record<string, string[]>[]; raw: Record<string, Buffer[]>[] } {
  const withoutComments = text.split('\n').filter((line) => !line.startsWith('#')).join('\n');
  const blocks = withoutComments.split(/\n\n+/).map((block) => block.trim()).filter((block) => block !== '');
  const raw: Record<string, Buffer[]>[] = [];
  const records = blocks.map((block) => {
    const record: Record<string, string[]> = {};
    const bytes: Record<string, Buffer[]> = {};
    for (const line of block.split('\n')) {
      const match = /^([^:]+)(::?) ?(.*)$/.exec(line);
      if (!match) continue;
      const [, name, separator, value] = match as unknown as [string, string, string, string];
      const decoded = separator === '::' ? Buffer.from(value, 'base64') : Buffer.from(value, 'utf8');
      (record[name] ??= []).push(decoded.toString('utf8'));
      (bytes[name] ??= []).push(decoded);
    }
    raw.push(bytes);
    return record;
  });
  return { records, raw };
}

// ---- the tests ----------------------------------------------------------------------------

describeOnEachEngine('LDAP server', (fixtureTest) => {
  const urlOf = (fx: LdapFixture) => servers.get(fx.engine)!.url;

  fixtureTest('ldapjs: exact lookups by mail (any case) and by RPPS', async (fx) => {
    const url = urlOf(fx);
    for (const address of [...fx.legall.hosted.addresses.map((a) => a.address), fx.legall.extractionAddress]) {
      assert.deepEqual(names(await search(url, BASE, { scope: 'sub', filter: `(mail=${address.toUpperCase()})`, attributes: ['cn'] })), [fx.legall.dn], address);
    }
    const byRpps = await search(url, BASE, { scope: 'sub', filter: '(hygieRpps=10003456786)', attributes: ['cn', 'mail', 'employeeNumber'] });
    assert.deepEqual(byRpps.entries[fx.legall.dn]?.cn, ['Maïwenn LE GALL']);
    assert.deepEqual(byRpps.entries[fx.legall.dn]?.employeeNumber, ['10003456786'], 'employeeNumber survives ldapjs\'s attribute filter');
    assert.deepEqual(await search(url, BASE, { scope: 'sub', filter: '(mail=nobody@esante-demo.test)' }), { entries: {}, binary: {}, code: 0, pages: 0 });
  });

  fixtureTest('ldapjs: Thunderbird\'s filter, with accents (escaped UTF-8 on the wire)', async (fx) => {
    const url = urlOf(fx);
    const find = async (filter: string) => names(await search(url, BASE, { scope: 'sub', filter, attributes: ['cn', 'mail'] }));
    assert.deepEqual(await find(thunderbird('gall')), [fx.legall.dn]);
    assert.deepEqual(await find(thunderbird('brest')), [fx.legall.dn, fx.kerherve.dn, fx.cardiology.dn]);
    assert.deepEqual(await find(thunderbird('hél')), [fx.dupont.dn]);
    assert.deepEqual(await find('(cn=H\\c3\\a9l\\c3\\a8ne*)'), [fx.dupont.dn]);
    assert.deepEqual(await find('(&(objectClass=inetOrgPerson)(|(sn=dupont)(title=masseur*)))'), [fx.dupont.dn, fx.dupuis.dn]);
  });

  fixtureTest('ldapjs: paged results over several pages, nothing twice; a critical paged control is accepted', async (fx) => {
    const url = urlOf(fx);
    const plain = await search(url, BASE, { scope: 'sub', attributes: ['1.1'] });
    const paged = await search(url, BASE, { scope: 'sub', attributes: ['1.1'], paged: { pageSize: 3 } });
    assert.equal(paged.code, 0);
    assert.deepEqual(names(paged), names(plain));
    assert.equal(paged.pages, Math.ceil(names(plain).length / 3));
    const { PagedResultsControl } = ldapjs as unknown as { PagedResultsControl: new (options: object) => unknown };
    const critical = new PagedResultsControl({ criticality: true, value: { size: 2 } });
    const first = await withClient(url, (client) => new Promise<number>((resolve, reject) => {
      let count = 0;
      client.search(PEOPLE, { scope: 'one' }, [critical] as never, (error, res) => {
        if (error) return reject(error);
        res.on('searchEntry', () => count++);
        res.on('error', reject);
        res.on('end', () => resolve(count));
      });
    }));
    assert.equal(first, 2, 'one page of two');
  });

  fixtureTest('ldapjs: size limits (the client\'s and the server\'s), time limit, a filter too broad', async (fx) => {
    const url = urlOf(fx);
    const limited = await search(url, PEOPLE, { scope: 'one', sizeLimit: 2 });
    assert.deepEqual([limited.code, names(limited).length], [4, 2]);
    await withServer(fx, { sizeLimit: 1 }, async (small) => {
      const found = await search(small, BASE, { scope: 'sub' });
      assert.deepEqual([found.code, names(found)], [4, [BASE]], 'the server\'s limit applies whatever the client asks');
    });
    await withServer(fx, { timeLimitMs: 0 }, async (slow) => {
      assert.equal((await search(slow, PEOPLE, { scope: 'one' })).code, 3);
    });
    await withServer(fx, { scanLimit: 2 }, async (strict) => {
      const broad = await search(strict, PEOPLE, { scope: 'one', filter: '(title=zzz)' });
      assert.equal(broad.code, 53, 'ldapjs\'s client drops the diagnostic message; ldapsearch shows it');
      assert.deepEqual(names(await search(strict, BASE, { scope: 'sub', filter: `(mail=${fx.dupont.address})` })), [fx.dupont.dn], 'exact lookups are not scans');
    });
  });

  fixtureTest('anonymous clients do not see an unpublished box; the operator bind does, with its state', async (fx) => {
    const url = urlOf(fx);
    const hiddenAddress = fx.hidden.box.addresses[0]!.address;
    const filter = `(|(mail=${hiddenAddress})(mail=${fx.kerherve.hosted.addresses[0]!.address}))`;
    assert.deepEqual(names(await search(url, BASE, { scope: 'sub', filter })), []);
    assert.equal((await search(url, fx.hidden.dn, { scope: 'base' })).code, 32, 'no hint that the entry exists');
    await withClient(url, async (client) => {
      assert.equal(await bind(client, OPERATOR.dn.toUpperCase(), OPERATOR.password), 0);
      const seen = await searchWith(client, BASE, { scope: 'sub', filter, attributes: ['hygieState', 'mail'] });
      assert.deepEqual(names(seen), [fx.kerherve.dn, fx.hidden.dn]);
      assert.deepEqual(seen.entries[fx.hidden.dn]?.hygieState, ['unpublished']);
      assert.equal(await bind(client, '', ''), 0, 'an anonymous bind ends the operator session');
      assert.deepEqual(names(await searchWith(client, BASE, { scope: 'sub', filter })), []);
    });
    const audited = await fx.db('audit_events').where({ action: 'ldap.bind', outcome: 'success' });
    assert.ok(audited.length >= 1, 'operator binds are audited');
  });

  fixtureTest('binds: a wrong operator password is invalidCredentials, and repeated failures lock the address out', async (fx) => {
    await withServer(fx, { bindLimits: { maxFailures: 2, windowSeconds: 60 } }, async (url) => {
      await withClient(url, async (client) => {
        assert.equal(await bind(client, OPERATOR.dn, 'wrong'), 49);
        assert.deepEqual(names(await searchWith(client, BASE, { scope: 'sub', filter: `(mail=${fx.hidden.box.addresses[0]!.address})` })), []);
        assert.equal(await bind(client, fx.legall.dn, PASSWORD), 49, 'only the operator binds with a password');
        assert.equal(await bind(client, OPERATOR.dn, OPERATOR.password), 49, 'locked out after two failures, even with the right password');
      });
      fx.clock.advance(61_000);
      await withClient(url, async (client) => assert.equal(await bind(client, OPERATOR.dn, OPERATOR.password), 0, 'the window passed'));
    });
  });

  fixtureTest('certificates: userCertificate;binary is the DER that openssl reads, userSMIMECertificate a PKCS#7 bag', async (fx, t) => {
    const url = urlOf(fx);
    const found = await search(url, BASE, { scope: 'sub', filter: `(mail=${fx.dupont.address})`, attributes: ['mail', 'userCertificate;binary', 'userSMIMECertificate'] });
    const binary = found.binary[fx.dupont.dn]!;
    assert.deepEqual(binary['userCertificate;binary'], certificates.get(fx.dupont.address));
    const bag = binary.userSMIMECertificate![0]!;
    const none = await search(url, BASE, { scope: 'sub', filter: `(mail=${fx.legall.extractionAddress})`, attributes: ['userCertificate;binary'] });
    assert.deepEqual(none.binary[fx.legall.dn], {}, 'no certificate, no attribute');
    const notAsked = await search(url, BASE, { scope: 'sub', filter: `(mail=${fx.dupont.address})`, attributes: ['cn'] });
    assert.deepEqual(notAsked.binary[fx.dupont.dn], {}, 'not asked for, not looked up');
    const all = await search(url, BASE, { scope: 'sub', filter: `(mail=${fx.radiology.address})` });
    assert.ok(all.binary[fx.radiology.dn]?.['userCertificate;binary'], 'all attributes include certificates');

    let opensslMissing: string | undefined;
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
    } catch {
      opensslMissing = 'openssl is not installed';
    }
    if (opensslMissing) return t.skip(opensslMissing);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hygie-ldap-cert-'));
    try {
      writeFileSync(path.join(dir, 'bag.p7'), bag);
      const printed = execFileSync('openssl', ['pkcs7', '-inform', 'DER', '-in', path.join(dir, 'bag.p7'), '-print_certs', '-noout'], { encoding: 'utf8' });
      assert.match(printed, /helene\.dupont@ch-quimper\.mssante\.fr/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  fixtureTest('ldapsearch: exact lookups by mail and RPPS, Thunderbird\'s filter, as LDIF', async (fx, t) => {
    if (ldapsearchMissing) return t.skip(ldapsearchMissing);
    const url = urlOf(fx);
    const byMail = await ldapsearch(url, ['-b', BASE, `(mail=${fx.dupont.address})`, 'cn', 'mail', 'employeeNumber']);
    assert.equal(byMail.code, 0);
    assert.deepEqual(byMail.records, [{ dn: [fx.dupont.dn], cn: ['Hélène DUPONT'], mail: [fx.dupont.address], employeeNumber: ['10101010105'] }]);
    const byRpps = await ldapsearch(url, ['-b', BASE, '(hygieRpps=10003456786)', '1.1']);
    assert.deepEqual(byRpps.records, [{ dn: [fx.legall.dn] }]);
    const tb = await ldapsearch(url, ['-b', BASE, thunderbird('hél'), 'cn']);
    assert.deepEqual(tb.records, [{ dn: [fx.dupont.dn], cn: ['Hélène DUPONT'] }]);
  });

  fixtureTest('ldapsearch: scopes, root DSE, paged results, size limit, errors, operator bind', async (fx, t) => {
    if (ldapsearchMissing) return t.skip(ldapsearchMissing);
    const url = urlOf(fx);
    const one = await ldapsearch(url, ['-b', BASE, '-s', 'one', '(objectClass=*)', '1.1']);
    assert.deepEqual(one.records.map((r) => r.dn?.[0]), [PEOPLE, `ou=structures,${BASE}`, MAILBOXES]);
    const dse = await ldapsearch(url, ['-b', '', '-s', 'base', '(objectClass=*)', 'namingContexts', 'supportedControl']);
    assert.deepEqual(dse.records, [{ dn: [''], namingContexts: [BASE], supportedControl: ['1.2.840.113556.1.4.319'] }]);
    const all = await ldapsearch(url, ['-b', BASE, '(objectClass=*)', '1.1']);
    const paged = await ldapsearch(url, ['-E', 'pr=2/noprompt', '-b', BASE, '(objectClass=*)', '1.1']);
    assert.equal(paged.code, 0, paged.stderr);
    assert.deepEqual(paged.records.map((r) => r.dn), all.records.map((r) => r.dn));
    const limited = await ldapsearch(url, ['-b', PEOPLE, '-s', 'one', '-z', '1', '(objectClass=inetOrgPerson)', '1.1']);
    assert.deepEqual([limited.code, limited.records.length], [4, 1], 'ldapsearch exits with the result code');
    const outside = await ldapsearch(url, ['-b', 'dc=elsewhere,dc=test', '(objectClass=*)']);
    assert.equal(outside.code, 32);
    assert.match(outside.stderr, /No such object/);
    const hiddenFilter = `(mail=${fx.hidden.box.addresses[0]!.address})`;
    assert.deepEqual((await ldapsearch(url, ['-b', BASE, hiddenFilter, '1.1'])).records, []);
    const operator = await ldapsearch(url, ['-D', OPERATOR.dn, '-w', OPERATOR.password, '-b', BASE, hiddenFilter, 'hygieState']);
    assert.deepEqual(operator.records, [{ dn: [fx.hidden.dn], hygieState: ['unpublished'] }]);
    const wrong = await ldapsearch(url, ['-D', fx.legall.dn, '-w', PASSWORD, '-b', BASE, '(objectClass=*)']);
    assert.equal(wrong.code, 49);
    await withServer(fx, { scanLimit: 2 }, async (strict) => {
      const broad = await ldapsearch(strict, ['-b', PEOPLE, '-s', 'one', '(title=zzz)', '1.1']);
      assert.equal(broad.code, 53);
      assert.match(broad.stderr, /filter too broad for this directory/);
    });
  });

  fixtureTest('ldapsearch: userCertificate;binary comes back as DER that openssl x509 reads', async (fx, t) => {
    if (ldapsearchMissing) return t.skip(ldapsearchMissing);
    const url = urlOf(fx);
    const found = await ldapsearch(url, ['-b', BASE, `(mail=${fx.dupont.address})`, 'userCertificate;binary']);
    const der = found.raw[0]?.['userCertificate;binary']?.[0];
    assert.ok(der, 'a certificate');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hygie-ldap-cert-'));
    try {
      writeFileSync(path.join(dir, 'cert.der'), der);
      const text = execFileSync('openssl', ['x509', '-inform', 'DER', '-in', path.join(dir, 'cert.der'), '-noout', '-subject', '-ext', 'subjectAltName'], { encoding: 'utf8' });
      assert.match(text, /helene\.dupont@ch-quimper\.mssante\.fr/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}, openWithServer);

// ---- protocol edge cases, on SQLite only ----------------------------------------------------

let fixture: LdapFixture;
let edge: LdapServer;
let edgeUrl: string;
let edgePort: number;

before(async () => {
  fixture = await createLdapFixture('sqlite');
  edge = new LdapServer(serverOptions(fixture, { logger: new Logger({ level: 'debug', format: 'json', write: (line) => logLines.push(line) }) }));
  edgePort = await edge.listen(0, '127.0.0.1');
  edgeUrl = `ldap://127.0.0.1:${edgePort}`;
});

after(async () => {
  await edge.close();
  await fixture.close();
});

test('a critical control we do not implement refuses the search (unavailableCriticalExtension, 12)', async () => {
  // @types/ldapjs does not declare the control classes ldapjs 3 exports.
  const { ServerSideSortingRequestControl } = ldapjs as unknown as { ServerSideSortingRequestControl: new (options: object) => unknown };
  const sorting = new ServerSideSortingRequestControl({ criticality: true, value: { attributeType: 'sn' } });
  const code = await withClient(edgeUrl, (client) => new Promise<number>((resolve, reject) => {
    client.search(BASE, { scope: 'sub' }, [sorting] as never, (error, res) => {
      if (error) return reject(error);
      res.on('error', (e) => resolve(e.code));
      res.on('end', () => resolve(0));
    });
  }));
  assert.equal(code, 12);
});

test('binds: anonymous accepted, a DN that is not one refused by ldapjs (34), passwords never logged', async () => {
  assert.equal(await resultOf(edgeUrl, (client, done) => client.bind('', '', done)), 0);
  assert.equal(await resultOf(edgeUrl, (client, done) => client.bind('helene@example.test', PASSWORD, done)), 34);
  assert.equal(await resultOf(edgeUrl, (client, done) => client.bind('', 'a password', done)), 49);
  assert.ok(logLines.some((l) => l.includes('ldap bind refused')), 'refusals are logged');
  assert.ok(!logLines.some((l) => l.includes(PASSWORD) || l.includes(OPERATOR.password)), 'passwords never reach the log');
});

test('a DN without a password (unauthenticated bind) is unwillingToPerform (53)', async () => {
  // ldapjs's client refuses to send this itself, so write the BER by hand.
  const name = Buffer.from(fixture.legall.dn);
  const bindRequest = tlv(0x60, tlv(0x02, Buffer.from([3])), tlv(0x04, name), tlv(0x80, Buffer.alloc(0)));
  assert.equal(await rawExchange(message(1, bindRequest)), 53);
});

test('add, modify, delete and modrdn are refused with unwillingToPerform (53)', async () => {
  const dn = fixture.worker.dn;
  assert.equal(await resultOf(edgeUrl, (client, done) => client.add(`uid=new,${PEOPLE}`, { objectClass: 'inetOrgPerson', cn: 'X', sn: 'Y' }, done)), 53);
  const change = new ldapjs.Change({ operation: 'replace', modification: new ldapjs.Attribute({ type: 'sn', values: ['Pirate'] }) });
  assert.equal(await resultOf(edgeUrl, (client, done) => client.modify(dn, change, done)), 53);
  assert.equal(await resultOf(edgeUrl, (client, done) => client.del(dn, done)), 53);
  assert.equal(await resultOf(edgeUrl, (client, done) => client.modifyDN(dn, `uid=moved,${PEOPLE}`, done)), 53);
  const still = await search(edgeUrl, dn, { scope: 'base', attributes: ['sn'] });
  assert.deepEqual(still.entries[dn], { sn: ['Martin'] });
});

test('compare works on visible entries only', async () => {
  const compare = (dn: string, attribute: string, value: string) => withClient(edgeUrl, (client) => new Promise<boolean | number>((resolve) => {
    client.compare(dn, attribute, value, (error, matched) => resolve(error ? (error as { code: number }).code : matched === true));
  }));
  assert.equal(await compare(fixture.dupont.dn, 'mail', fixture.dupont.address.toUpperCase()), true);
  assert.equal(await compare(fixture.dupont.dn, 'sn', 'Martin'), false);
  assert.equal(await compare(fixture.hidden.dn, 'sn', 'Cachée'), 32);
});

test('malformed filters: a protocol error for that request, the server stays up', async () => {
  // SearchRequest with a filter of an unknown choice tag ([10], not a Filter).
  const badFilter = searchRequest(tlv(0xaa, Buffer.from('x')));
  const answer = await rawAnswer(message(7, badFilter));
  assert.ok(answer.code === 2 || answer.closed, `protocolError or a closed connection, got ${JSON.stringify(answer)}`);
  // A substrings filter with no substring at all (RFC 4511 requires one).
  const emptySubstrings = searchRequest(tlv(0xa4, tlv(0x04, Buffer.from('cn')), tlv(0x30)));
  const second = await rawAnswer(message(8, emptySubstrings));
  assert.ok(second.code !== 0 || second.closed, `not a success: ${JSON.stringify(second)}`);
  // Nested 40 levels deep: refused before evaluation.
  let deep = '(cn=x)';
  for (let i = 0; i < 40; i++) deep = `(!${deep})`;
  const nested = await search(edgeUrl, BASE, { scope: 'sub', filter: deep });
  assert.equal(nested.code, 53);
  assert.deepEqual(names(await search(edgeUrl, fixture.dupont.dn, { scope: 'base', attributes: ['1.1'] })), [fixture.dupont.dn], 'still serving');
});

test('garbage, oversized and malformed requests close that connection, not the server', async () => {
  /** Writes the bytes and resolves when the server hangs up (the socket is never ended by us). */
  const hangsUp = (...chunks: Buffer[]) => new Promise<void>((resolve) => {
    const socket = net.connect(edgePort, '127.0.0.1', () => { for (const chunk of chunks) socket.write(chunk); });
    socket.on('close', () => resolve());
    socket.on('error', () => {});
    socket.resume();
  });
  await hangsUp(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  // A SEQUENCE announcing 1 GiB, then more than the request cap.
  await hangsUp(Buffer.from([0x30, 0x84, 0x40, 0x00, 0x00, 0x00]), Buffer.alloc(300 * 1024));
  // A well-framed SEQUENCE that is no LDAP message: ldapjs's parser error, answered then closed.
  await hangsUp(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]));
  assert.deepEqual(names(await search(edgeUrl, fixture.dupont.dn, { scope: 'base' })), [fixture.dupont.dn]);
  for (const reason of ['not an LDAP message', 'request over', 'Parser error']) {
    assert.ok(logLines.some((l) => l.includes('ldap malformed request') && l.includes(reason)), `logged, not thrown: ${reason}`);
  }
});

test('close() ends open client connections instead of waiting for them', async () => {
  const other = new LdapServer(serverOptions(fixture));
  const otherPort = await other.listen(0, '127.0.0.1');
  const socket = net.connect(otherPort, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  const closedByServer = new Promise((resolve) => socket.once('close', resolve));
  socket.on('error', () => {});
  await other.close();
  await closedByServer;
});

test('each search is logged at debug level with its filter, count, candidates examined and duration', async () => {
  logLines.length = 0;
  await search(edgeUrl, PEOPLE, { scope: 'one', filter: '(sn=Martin)' });
  const line = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.message === 'ldap search');
  assert.ok(line, 'a search line');
  assert.equal(line.level, 'debug');
  assert.equal(line.filter, '(sn=Martin)');
  assert.equal(line.count, 1);
  assert.equal(typeof line.examined, 'number');
  assert.equal(typeof line.durationMs, 'number');
});

test('an unpublished box disappears at once, a republished one comes back', async () => {
  const address = fixture.worker.box.addresses[0]!.address;
  const filter = `(mail=${address})`;
  assert.deepEqual(names(await search(edgeUrl, BASE, { scope: 'sub', filter })), [fixture.worker.dn]);
  await fixture.publication.unpublish(fixture.worker.box.id, { actor: 'operator:test', reason: 'test' });
  try {
    assert.deepEqual(names(await search(edgeUrl, BASE, { scope: 'sub', filter })), []);
    assert.equal((await search(edgeUrl, fixture.worker.dn, { scope: 'base' })).code, 32);
  } finally {
    await fixture.publication.publish(fixture.worker.box.id, { actor: 'operator:test', reason: 'test' });
  }
  assert.deepEqual(names(await search(edgeUrl, BASE, { scope: 'sub', filter })), [fixture.worker.dn]);
});

test('an exact lookup answered from the cache vanishes at once when its box is unpublished; viewers never share answers', async () => {
  const address = fixture.worker.box.addresses[0]!.address;
  const options: SearchOptions = { scope: 'sub', filter: `(mail=${address})`, attributes: ['cn', 'mail'] };
  const fromCache = () => logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.message === 'ldap search' && l.cached === true).length;
  logLines.length = 0;
  assert.deepEqual(names(await search(edgeUrl, BASE, options)), [fixture.worker.dn]);
  assert.deepEqual(names(await search(edgeUrl, BASE, options)), [fixture.worker.dn]);
  assert.equal(fromCache(), 1, 'the second lookup is answered from the cache');
  await fixture.publication.unpublish(fixture.worker.box.id, { actor: 'operator:test', reason: 'test' });
  try {
    assert.deepEqual(names(await search(edgeUrl, BASE, options)), [], 'not the cached entry');
    assert.deepEqual(names(await search(edgeUrl, BASE, options)), [], 'nor after the empty answer was cached');
    assert.equal(fromCache(), 2);
    // The same request bytes on one connection, as the public and then as the operator.
    const hidden = { ...options, attributes: ['hygieState'] };
    await withClient(edgeUrl, async (client) => {
      assert.deepEqual(names(await searchWith(client, BASE, hidden)), []);
      assert.equal(await bind(client, OPERATOR.dn, OPERATOR.password), 0);
      const seen = await searchWith(client, BASE, hidden);
      assert.deepEqual(seen.entries[fixture.worker.dn]?.hygieState, ['unpublished']);
      assert.equal(await bind(client, '', ''), 0);
      assert.deepEqual(names(await searchWith(client, BASE, hidden)), []);
    });
  } finally {
    await fixture.publication.publish(fixture.worker.box.id, { actor: 'operator:test', reason: 'test' });
  }
  assert.deepEqual(names(await search(edgeUrl, BASE, options)), [fixture.worker.dn], 'republished: back at once');
});

test('the cache holds exact lookups only: substring searches and certificates are read each time', async () => {
  logLines.length = 0;
  for (let i = 0; i < 2; i++) {
    await search(edgeUrl, BASE, { scope: 'sub', filter: '(cn=*dupont*)', attributes: ['cn'] });
    await search(edgeUrl, BASE, { scope: 'sub', filter: `(mail=${fixture.dupont.address})`, attributes: ['userCertificate;binary'] });
  }
  const cached = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.message === 'ldap search' && l.cached === true);
  assert.deepEqual(cached, []);
});

// ---- helpers ---------------------------------------------------------------------------

function quiet(): Logger {
  return new Logger({ level: 'error', format: 'text', write: () => {} });
}

function tlv(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents);
  const length = body.length < 0x80 ? Buffer.from([body.length]) : Buffer.from([0x82, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, body]);
}

function message(id: number, operation: Buffer): Buffer {
  return tlv(0x30, tlv(0x02, Buffer.from([id])), operation);
}

/** SearchRequest for the suffix, scope sub, with this (encoded) filter. */
function searchRequest(filter: Buffer): Buffer {
  const int = (n: number) => tlv(0x02, Buffer.from([n]));
  return tlv(0x63, tlv(0x04, Buffer.from(BASE)), tlv(0x0a, Buffer.from([2])), tlv(0x0a, Buffer.from([0])), int(0), int(0),
    tlv(0x01, Buffer.from([0])), filter, tlv(0x30));
}

/** Sends one raw LDAP message and returns the result code of the first response. */
async function rawExchange(request: Buffer): Promise<number> {
  return (await rawAnswer(request)).code;
}

/** The result code of the first result message (SearchResultDone, BindResponse…), or whether the server hung up first. */
function rawAnswer(request: Buffer): Promise<{ code: number; closed: boolean }> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const socket = net.connect(edgePort, '127.0.0.1', () => socket.write(request));
    socket.on('data', (data) => {
      received = Buffer.concat([received, data]);
      // SEQUENCE { messageID INTEGER, [APPLICATION n] { resultCode ENUMERATED, … } }: find the ENUMERATED (0x0a).
      const at = received.indexOf(0x0a, 5);
      if (at > 0 && received.length > at + 2) {
        socket.destroy();
        resolve({ code: received[at + 2]!, closed: false });
      }
    });
    socket.on('close', () => resolve({ code: -1, closed: true }));
    socket.on('error', reject);
  });
}
