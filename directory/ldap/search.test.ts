/**
 * The search operation on a real directory database (SQLite, then PostgreSQL), without
 * sockets: exact lookups, the filters mail clients send, scopes, visibility for the
 * public and for operators, size and time limits, paging, and filters too broad.
 */
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { runCompare } from './compare.js';
import type { Viewer } from './entries.js';
import { EntrySource } from './entry-source.js';
import type { LdapFilter } from './filter.js';
import { LdapResultCode } from './result-codes.js';
import { runSearch, type SearchLimits, type SearchOutcome, type SearchQuery } from './search.js';
import { BASE, MAILBOXES, PEOPLE, STRUCTURES, describeOnEachEngine, type LdapFixture } from './testing.js';
import { DirectoryTree } from './tree.js';

const LIMITS: SearchLimits = { sizeLimit: 500, timeLimitMs: 10_000, scanLimit: 10_000 };
const sources = new Map<LdapFixture, { source: EntrySource; tree: DirectoryTree }>();
after(async () => { for (const { source } of sources.values()) await source.close(); });

async function opened(fx: LdapFixture): Promise<{ source: EntrySource; tree: DirectoryTree }> {
  let found = sources.get(fx);
  if (!found) {
    const source = await EntrySource.open(fx.db, BASE);
    await source.refreshTextIndex();
    found = { source, tree: new DirectoryTree(BASE, source, 'Plateforme de démo') };
    sources.set(fx, found);
  }
  return found;
}

async function search(fx: LdapFixture, query: Partial<Omit<SearchQuery, 'filter'>> & { filter?: LdapFilter | string }, viewer: Viewer = 'public',
  limits: Partial<SearchLimits> = {}): Promise<SearchOutcome> {
  const { source, tree } = await opened(fx);
  const filter = typeof query.filter === 'string' ? parse(query.filter) : query.filter ?? { type: 'present', attribute: 'objectClass' };
  return runSearch({ tree, source, viewer, limits: { ...LIMITS, ...limits } }, {
    baseDn: BASE, scope: 'sub', attributes: [], sizeLimit: 0, timeLimit: 0, typesOnly: false, ...query, filter,
  });
}

const dns = (outcome: SearchOutcome) => outcome.entries.map((e) => e.dn);
const one = (outcome: SearchOutcome) => {
  assert.equal(outcome.entries.length, 1, `one entry expected, got ${JSON.stringify(dns(outcome))}`);
  return outcome.entries[0]!.attributes;
};

/** Just enough RFC 4515 for these tests: (&…), (|…), (!…), (a=v), (a=*), (a=x*y*z), (a~=v). */
function parse(text: string): LdapFilter {
  let at = 0;
  const next = (): LdapFilter => {
    assert.equal(text[at], '(');
    at++;
    const op = text[at];
    if (op === '&' || op === '|' || op === '!') {
      at++;
      const filters: LdapFilter[] = [];
      while (text[at] === '(') filters.push(next());
      at++;
      return op === '!' ? { type: 'not', filter: filters[0]! } : { type: op === '&' ? 'and' : 'or', filters };
    }
    const close = text.indexOf(')', at);
    const item = text.slice(at, close);
    at = close + 1;
    const approx = /^([^~=]+)~=(.*)$/.exec(item);
    if (approx) return { type: 'approx', attribute: approx[1]!, value: approx[2]! };
    const [attribute, value] = [item.slice(0, item.indexOf('=')), item.slice(item.indexOf('=') + 1)];
    if (value === '*') return { type: 'present', attribute };
    if (!value.includes('*')) return { type: 'equality', attribute, value };
    const parts = value.split('*');
    return {
      type: 'substrings', attribute, any: parts.slice(1, -1).filter((p) => p !== ''),
      ...(parts[0] ? { initial: parts[0] } : {}), ...(parts[parts.length - 1] ? { final: parts[parts.length - 1] } : {}),
    };
  };
  return next();
}

const thunderbird = (x: string) => `(|(cn=*${x}*)(mail=*${x}*)(sn=*${x}*)(givenName=*${x}*))`;
const outlook = (x: string) => `(&(mail=*)(|(mail=${x}*)(cn=${x}*)(sn=${x}*)(givenName=${x}*)(displayName=${x}*)))`;

describeOnEachEngine('LDAP search', (fixtureTest) => {
  fixtureTest('exact lookups by every address, in any case, land on the one entry that carries it', async (fx) => {
    const cases: Array<[string, string]> = [
      ...fx.legall.hosted.addresses.map((a): [string, string] => [a.address, fx.legall.dn]),
      [fx.legall.extractionAddress, fx.legall.dn],
      [fx.dupont.address, fx.dupont.dn],
      [fx.kerherve.extractionAddress, fx.kerherve.dn],
      ...fx.worker.box.addresses.map((a): [string, string] => [a.address, fx.worker.dn]),
      ...fx.cardiology.box.addresses.map((a): [string, string] => [a.address, fx.cardiology.dn]),
      [fx.radiology.address, fx.radiology.dn],
      [fx.stranger.address, fx.stranger.dn],
    ];
    for (const [address, dn] of cases) {
      assert.deepEqual(dns(await search(fx, { filter: `(mail=${address.toUpperCase()})` })), [dn], address);
    }
    assert.deepEqual(dns(await search(fx, { filter: '(mail=nobody@esante-demo.test)' })), []);
  });

  fixtureTest('exact lookups by RPPS, ADELI, national identifier, FINESS and structure identifier', async (fx) => {
    assert.deepEqual(dns(await search(fx, { filter: '(hygieRpps=10003456786)' })), [fx.legall.dn]);
    assert.deepEqual(dns(await search(fx, { filter: '(employeeNumber=10101010105)' })), [fx.dupont.dn]);
    assert.deepEqual(dns(await search(fx, { filter: '(employeeNumber=291234567)' })), [fx.dupuis.dn]);
    assert.deepEqual(dns(await search(fx, { filter: '(hygieAdeli=291234567)' })), [fx.dupuis.dn]);
    assert.deepEqual(dns(await search(fx, { filter: '(uid=810003456786)' })), [fx.legall.dn]);
    assert.deepEqual(dns(await search(fx, { filter: '(hcIdentifier=810999999991)' })), [fx.stranger.dn]);
    assert.deepEqual(dns(await search(fx, { filter: '(hygieFiness=290000017)' })), [fx.chu.dn]);
    assert.deepEqual(dns(await search(fx, { filter: '(uid=r10100000012345)' })), [fx.chu.dn], 'uid ignores case');
    assert.deepEqual(dns(await search(fx, { filter: `(uid=box-${fx.worker.box.id})` })), [fx.worker.dn]);
    assert.deepEqual(dns(await search(fx, { filter: '(&(objectClass=inetOrgPerson)(hygieRpps=10003456786))' })), [fx.legall.dn]);
    assert.deepEqual(dns(await search(fx, { filter: '(&(objectClass=organization)(hygieRpps=10003456786))' })), []);
  });

  fixtureTest('a professional\'s entry: names, identifiers, profession, specialty, practice locations, every visible address', async (fx) => {
    const entry = one(await search(fx, { baseDn: fx.legall.dn, scope: 'base' }));
    const hosted = (network: string) => fx.legall.hosted.addresses.find((a) => a.network === network)!.address;
    assert.deepEqual(entry, {
      objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson', 'HCProfessional', 'hygieProfessional'],
      uid: ['810003456786'],
      cn: ['Maïwenn LE GALL'],
      sn: ['LE GALL'],
      givenName: ['Maïwenn'],
      displayName: ['Maïwenn LE GALL'],
      personalTitle: ['Docteur'],
      title: ['Médecin'],
      mail: [hosted('regional'), hosted('mssante'), fx.legall.extractionAddress, hosted('apicrypt')],
      hygieRegionalMail: [hosted('regional')],
      hygieMssanteMail: [hosted('mssante'), fx.legall.extractionAddress],
      hygieApicryptMail: [hosted('apicrypt')],
      employeeNumber: ['10003456786'],
      o: ['CHU de Brest'],
      street: ['2 avenue Foch'],
      postalCode: ['29200'],
      l: ['Brest'],
      postalAddress: ['2 avenue Foch$29200 Brest'],
      telephoneNumber: ['0298223333'],
      hcIdentifier: ['810003456786'],
      hcProfession: ['Médecin'],
      hcSpecialisation: ['Cardiologie et maladies vasculaires'],
      hcRegisteredName: ['Docteur Maïwenn LE GALL'],
      hcPracticeLocation: [fx.chu.dn],
      hygieRpps: ['10003456786'],
    });
    const structure = one(await search(fx, { baseDn: STRUCTURES, scope: 'one', filter: '(hygieSiret=12345678900017)' }));
    assert.deepEqual(structure.o, ['Cabinet médical du Port']);
    assert.deepEqual(structure.facsimileTelephoneNumber, ['0298000001']);
    const service = one(await search(fx, { baseDn: fx.cardiology.dn, scope: 'base' }));
    assert.deepEqual(service.hygieMailboxType, ['ORG']);
    assert.deepEqual(service.o, ['CHU de Brest']);
    assert.deepEqual(service.description, ['Secrétariat de cardiologie']);
    const listed = one(await search(fx, { baseDn: fx.radiology.dn, scope: 'base' }));
    assert.deepEqual([listed.cn, listed.o, listed.hygieMailboxType, listed.l], [['Secrétariat de radiologie'], ['CH de Quimper'], ['ORG'], ['Quimper']]);
  });

  fixtureTest('scopes: the suffix, its three units, each unit\'s entries in order, and one entry', async (fx) => {
    const people = `${PEOPLE}`;
    assert.deepEqual(dns(await search(fx, { scope: 'base' })), [BASE]);
    assert.deepEqual(dns(await search(fx, { scope: 'one' })), [PEOPLE, STRUCTURES, MAILBOXES]);
    assert.deepEqual(dns(await search(fx, { baseDn: people, scope: 'one' })),
      [fx.legall.dn, fx.dupont.dn, fx.dupuis.dn, fx.kerherve.dn, fx.worker.dn]);
    assert.deepEqual(dns(await search(fx, { baseDn: STRUCTURES, scope: 'one' })), [fx.chu.dn, `uid=R10100000099999,${STRUCTURES}`]);
    assert.deepEqual(dns(await search(fx, { baseDn: MAILBOXES, scope: 'one' })), [fx.cardiology.dn, fx.radiology.dn, fx.stranger.dn]);
    const all = dns(await search(fx, {}));
    assert.equal(all.length, 1 + 3 + 5 + 2 + 3);
    assert.deepEqual(all.slice(0, 2), [BASE, PEOPLE]);
    assert.deepEqual(dns(await search(fx, { baseDn: fx.dupont.dn.toUpperCase().replace('OU=PEOPLE', 'ou = People'), scope: 'base' })), [fx.dupont.dn]);
    assert.deepEqual(dns(await search(fx, { baseDn: fx.dupont.dn, scope: 'one' })), []);
    assert.deepEqual(dns(await search(fx, { baseDn: '', scope: 'one' })), [BASE]);
    const dse = one(await search(fx, { baseDn: '', scope: 'base' }));
    assert.deepEqual(dse.namingContexts, [BASE]);
    assert.deepEqual(dse.supportedControl, ['1.2.840.113556.1.4.319']);
  });

  fixtureTest('missing or hidden entries are noSuchObject with the deepest existing ancestor; a bad DN is invalidDNSyntax', async (fx) => {
    for (const dn of [`uid=899999999999,${PEOPLE}`, fx.hidden.dn, fx.ancien.dn, `uid=box-999999,${MAILBOXES}`, `cn=x,${PEOPLE}`]) {
      const outcome = await search(fx, { baseDn: dn, scope: 'base' });
      assert.equal(outcome.resultCode, LdapResultCode.noSuchObject, dn);
      assert.equal(outcome.matchedDn, dn.slice(dn.indexOf(',') + 1), dn);
    }
    const elsewhere = await search(fx, { baseDn: 'dc=elsewhere,dc=test' });
    assert.deepEqual([elsewhere.resultCode, elsewhere.matchedDn], [LdapResultCode.noSuchObject, '']);
    assert.equal((await search(fx, { baseDn: `uid=1,cn=x,${PEOPLE}` })).matchedDn, PEOPLE);
    assert.equal((await search(fx, { baseDn: 'not a dn' })).resultCode, LdapResultCode.invalidDNSyntax);
  });

  fixtureTest('the public sees published boxes and current registry rows only; an operator sees everything, with its state', async (fx) => {
    const kerherve = one(await search(fx, { baseDn: fx.kerherve.dn, scope: 'base' }));
    assert.deepEqual(kerherve.mail, [fx.kerherve.extractionAddress], 'the unpublished hosted box is left out');
    assert.equal(kerherve.hygieState, undefined);
    for (const address of [...fx.kerherve.hosted.addresses.map((a) => a.address), fx.ancien.address, ...fx.hidden.box.addresses.map((a) => a.address)]) {
      assert.deepEqual(dns(await search(fx, { filter: `(mail=${address})` })), [], address);
      assert.deepEqual(dns(await search(fx, { filter: `(mail=${address})` }, 'operator')).length, 1, address);
    }
    const asOperator = one(await search(fx, { baseDn: fx.kerherve.dn, scope: 'base' }, 'operator'));
    assert.equal(asOperator.mail?.length, 4);
    assert.deepEqual(asOperator.hygieState, ['visible']);
    assert.deepEqual([...asOperator.hygieAddressState!].sort(), fx.kerherve.hosted.addresses.map((a) => `${a.address} unpublished`).sort());
    const ancien = one(await search(fx, { baseDn: fx.ancien.dn, scope: 'base' }, 'operator'));
    assert.deepEqual([ancien.hygieState, ancien.hygieAddressState], [['vanished'], [`${fx.ancien.address} vanished`]]);
    const hidden = one(await search(fx, { baseDn: fx.hidden.dn, scope: 'base' }, 'operator'));
    assert.deepEqual(hidden.hygieState, ['unpublished']);
    const everyone = (await search(fx, { baseDn: PEOPLE, scope: 'one' }, 'operator')).entries.length;
    assert.equal(everyone, 7, 'five public entries, the vanished professional and the hidden box');
  });

  fixtureTest('what Thunderbird and Outlook send: substrings of names and addresses, accents kept, case ignored', async (fx) => {
    assert.deepEqual(dns(await search(fx, { filter: thunderbird('gall') })), [fx.legall.dn]);
    assert.deepEqual(dns(await search(fx, { filter: thunderbird('DUP') })), [fx.dupont.dn, fx.dupuis.dn]);
    assert.deepEqual(dns(await search(fx, { filter: thunderbird('brest') })), [fx.legall.dn, fx.kerherve.dn, fx.cardiology.dn],
      'by the address of the extraction, and by the name of a hosted box');
    assert.deepEqual(dns(await search(fx, { filter: thunderbird('radio') })), [fx.radiology.dn]);
    assert.deepEqual(dns(await search(fx, { filter: thunderbird('mart') })), [fx.worker.dn]);
    assert.deepEqual(dns(await search(fx, { filter: thunderbird('hél') })), [fx.dupont.dn]);
    assert.deepEqual(dns(await search(fx, { filter: '(cn=*hel*)' })), [], 'substrings keep accents');
    assert.deepEqual(dns(await search(fx, { filter: '(cn~=maiwenn le gall)' })), [fx.legall.dn], 'approximate ignores them');
    assert.deepEqual(dns(await search(fx, { filter: '(sn=kerhervé)' })), [fx.kerherve.dn]);
    assert.deepEqual(dns(await search(fx, { filter: '(sn=le g*)' })), [fx.legall.dn]);
    assert.deepEqual(dns(await search(fx, { filter: outlook('dup') })), [fx.dupont.dn], 'Outlook wants a mail: Léa Dupuis has none');
    assert.deepEqual(dns(await search(fx, { filter: '(o=*port*)' })), [fx.dupont.dn, `uid=R10100000099999,${STRUCTURES}`],
      'the structure, and who practises there');
    assert.deepEqual(dns(await search(fx, { filter: thunderbird('ca') })).includes(fx.cardiology.dn), true, 'two characters: scanned, still found');
  });

  fixtureTest('after a refresh, substring searches find new professionals and the new addresses of known ones', async (fx) => {
    const { source } = await opened(fx);
    const now = '2026-11-24T10:00:00.000Z';
    const [inserted] = await fx.db('professionals').insert({
      national_id: '810000000026', id_type: '8', identifier: '10000000026', last_name: 'QUÉMÉNEUR', first_name: 'Gwenola',
      search_name: 'quemeneur gwenola', source: 'registry', updated_at: now,
    }).returning('id');
    const newcomer = Number(typeof inserted === 'object' ? (inserted as { id: number }).id : inserted);
    const dupuisId = Number((await fx.db('professionals').where({ national_id: '0291234567' }).first('id')).id);
    await fx.db('registry_addresses').insert({
      address: 'lea.dupuis@kine-penmarch.mssante.fr', network: 'mssante', box_type: 'PER', national_id: '0291234567',
      professional_id: dupuisId, source: 'mssante-extraction', updated_at: now,
    });
    try {
      await source.refreshTextIndex();
      assert.deepEqual(dns(await search(fx, { filter: thunderbird('quémén') })), [`uid=810000000026,${PEOPLE}`]);
      assert.deepEqual(dns(await search(fx, { filter: thunderbird('penmarch') })), [fx.dupuis.dn]);
    } finally {
      await fx.db('registry_addresses').where({ address: 'lea.dupuis@kine-penmarch.mssante.fr' }).delete();
      await fx.db('professionals').where({ id: newcomer }).delete();
    }
    assert.deepEqual(dns(await search(fx, { filter: thunderbird('penmarch') })), [], 'stale index entries are only candidates');
  });

  fixtureTest('unknown attributes are Undefined: nothing matches, NOT included', async (fx) => {
    assert.deepEqual(dns(await search(fx, { filter: '(favouriteColour=blue)' })), []);
    assert.deepEqual(dns(await search(fx, { filter: '(!(favouriteColour=blue))' })), []);
    assert.deepEqual(dns(await search(fx, { baseDn: PEOPLE, scope: 'one', filter: '(!(sn=DUPONT))' })).length, 4);
  });

  fixtureTest('only the requested attributes come back; 1.1, typesOnly', async (fx) => {
    const found = one(await search(fx, { baseDn: fx.dupont.dn, scope: 'base', attributes: ['MAIL', 'surname'] }));
    assert.deepEqual(found, { sn: ['DUPONT'], mail: [fx.dupont.address] });
    assert.deepEqual(one(await search(fx, { baseDn: fx.dupont.dn, scope: 'base', attributes: ['1.1'] })), {});
    assert.deepEqual(one(await search(fx, { baseDn: fx.dupont.dn, scope: 'base', attributes: ['cn', 'hygieRpps'], typesOnly: true })), { cn: [], hygieRpps: [] });
  });

  fixtureTest('size limits: the smaller of the client\'s and the server\'s, then sizeLimitExceeded with that many entries', async (fx) => {
    const client = await search(fx, { baseDn: PEOPLE, scope: 'one', sizeLimit: 2 });
    assert.deepEqual([client.resultCode, client.entries.length], [LdapResultCode.sizeLimitExceeded, 2]);
    const server = await search(fx, { baseDn: PEOPLE, scope: 'one' }, 'public', { sizeLimit: 3 });
    assert.deepEqual([server.resultCode, server.entries.length], [LdapResultCode.sizeLimitExceeded, 3]);
    const exact = await search(fx, { baseDn: PEOPLE, scope: 'one', sizeLimit: 5 });
    assert.deepEqual([exact.resultCode, exact.entries.length], [LdapResultCode.success, 5], 'exactly the limit is not exceeding it');
  });

  fixtureTest('paged results: pages of two until an empty cookie, nothing twice, nothing missed; bad cookies refused', async (fx) => {
    const everything = dns(await search(fx, {}));
    const seen: string[] = [];
    let cookie: Buffer = Buffer.alloc(0);
    let pages = 0;
    do {
      const page = await search(fx, { paged: { size: 2, cookie } });
      assert.equal(page.resultCode, LdapResultCode.success);
      assert.ok(page.entries.length <= 2);
      seen.push(...dns(page));
      cookie = page.cookie!;
      pages++;
    } while (cookie.length > 0 && pages < 50);
    assert.deepEqual(seen, everything);
    assert.equal(pages, Math.ceil(everything.length / 2));

    const first = await search(fx, { baseDn: PEOPLE, scope: 'one', paged: { size: 2, cookie: Buffer.alloc(0) } });
    const other = await search(fx, { baseDn: MAILBOXES, scope: 'one', paged: { size: 2, cookie: first.cookie! } });
    assert.equal(other.resultCode, LdapResultCode.unwillingToPerform, 'a cookie of another search');
    assert.equal((await search(fx, { paged: { size: 2, cookie: Buffer.from('garbage') } })).resultCode, LdapResultCode.unwillingToPerform);
    const abandoned = await search(fx, { paged: { size: 0, cookie: first.cookie! } });
    assert.deepEqual([abandoned.resultCode, abandoned.entries.length, abandoned.cookie?.length], [LdapResultCode.success, 0, 0]);
    const limited = await search(fx, { baseDn: PEOPLE, scope: 'one', sizeLimit: 3, paged: { size: 2, cookie: first.cookie! } });
    assert.equal(limited.resultCode, LdapResultCode.unwillingToPerform, 'the size limit is part of the search');
    const total = await search(fx, { baseDn: PEOPLE, scope: 'one', sizeLimit: 3, paged: { size: 2, cookie: Buffer.alloc(0) } });
    const rest = await search(fx, { baseDn: PEOPLE, scope: 'one', sizeLimit: 3, paged: { size: 2, cookie: total.cookie! } });
    assert.deepEqual([rest.resultCode, rest.entries.length], [LdapResultCode.sizeLimitExceeded, 1], 'the client\'s size limit counts every page');
  });

  fixtureTest('a filter too broad for the tree is refused after the scan limit, with what it found; paged, it goes on', async (fx) => {
    const broad = await search(fx, { baseDn: PEOPLE, scope: 'one', filter: '(title=zzz)' }, 'public', { scanLimit: 3 });
    assert.equal(broad.resultCode, LdapResultCode.unwillingToPerform);
    assert.match(broad.message!, /too broad/);
    const indexed = await search(fx, { baseDn: PEOPLE, scope: 'one', filter: '(mail=*chu-brest*)' }, 'public', { scanLimit: 3 });
    assert.deepEqual([indexed.resultCode, dns(indexed)], [LdapResultCode.success, [fx.legall.dn, fx.kerherve.dn]],
      'an indexed filter examines only its candidates');
    let cookie: Buffer = Buffer.alloc(0);
    let rounds = 0;
    const found: string[] = [];
    do {
      const page = await search(fx, { baseDn: PEOPLE, scope: 'one', filter: '(title=Infirmier)', paged: { size: 10, cookie } }, 'public', { scanLimit: 2 });
      assert.equal(page.resultCode, LdapResultCode.success);
      found.push(...dns(page));
      cookie = page.cookie!;
      rounds++;
    } while (cookie.length > 0 && rounds < 20);
    assert.deepEqual(found, [fx.dupont.dn]);
    const everything = await search(fx, { filter: '(objectClass=*)' }, 'public', { sizeLimit: 2, scanLimit: 3 });
    assert.deepEqual([everything.resultCode, everything.entries.length], [LdapResultCode.sizeLimitExceeded, 2], '(objectClass=*) stops at the size limit');
  });

  fixtureTest('the time limit ends a search with timeLimitExceeded', async (fx) => {
    const late = await search(fx, { baseDn: PEOPLE, scope: 'one' }, 'public', { timeLimitMs: 0 });
    assert.equal(late.resultCode, LdapResultCode.timeLimitExceeded);
  });

  fixtureTest('compare reads the same entries with the same visibility', async (fx) => {
    const { tree } = await opened(fx);
    const compare = (dn: string, attribute: string, value: string, viewer: Viewer = 'public') => runCompare(tree, { dn, attribute, value }, viewer);
    assert.equal((await compare(fx.legall.dn, 'mail', fx.legall.extractionAddress.toUpperCase())).resultCode, LdapResultCode.compareTrue);
    assert.equal((await compare(fx.legall.dn, 'sn', 'Martin')).resultCode, LdapResultCode.compareFalse);
    assert.equal((await compare(fx.legall.dn, 'hygieAdeli', 'x')).resultCode, LdapResultCode.noSuchAttribute);
    assert.equal((await compare(fx.hidden.dn, 'sn', 'Cachée')).resultCode, LdapResultCode.noSuchObject);
    assert.equal((await compare(fx.hidden.dn, 'sn', 'Cachée', 'operator')).resultCode, LdapResultCode.compareTrue);
  });
});
