import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCompare } from './compare.js';
import type { LdapFilter } from './filter.js';
import { LdapResultCode } from './result-codes.js';
import { mailboxEntry } from './schema.js';
import { DirectoryTree, runSearch, type SearchQuery } from './search.js';
import type { PublishedEntry } from '../types.js';

const BASE = 'dc=esante-demo,dc=test';

const doctor: PublishedEntry = {
  mailboxId: 1, type: 'PER', displayName: 'Hélène Dupont', firstName: 'Hélène', lastName: 'Dupont',
  rpps: '99700218896', adeli: null, profession: 'Médecin',
  // Stored order is regional, apicrypt, mssante: the mapping puts regional first, then MSSanté.
  addresses: [
    { address: 'helene.dupont@esante-demo.test', network: 'regional' },
    { address: 'helene.dupont.demo@medical.apicrypt.test', network: 'apicrypt' },
    { address: 'helene.dupont@demo.mssante.test', network: 'mssante' },
  ],
};
const worker: PublishedEntry = {
  mailboxId: 2, type: 'PER', displayName: 'Paul Martin', firstName: 'Paul', lastName: 'Martin',
  rpps: null, adeli: null, profession: null,
  addresses: [
    { address: 'paul.martin@esante-demo.test', network: 'regional' },
    { address: 'paul.martin.demo@apicrypt.test', network: 'apicrypt' },
  ],
};
const tree = new DirectoryTree({ baseDn: BASE, published: [doctor, worker], organisationName: 'Plateforme de démo' });
const everything: LdapFilter = { type: 'present', attribute: 'objectClass' };
const query = (overrides: Partial<SearchQuery>): SearchQuery =>
  ({ baseDn: BASE, scope: 'sub', filter: everything, attributes: [], sizeLimit: 0, typesOnly: false, ...overrides });
const dns = (q: Partial<SearchQuery>, limit = 500) => runSearch(tree, query(q), limit).entries.map((e) => e.dn);

test('a published mailbox maps to an inetOrgPerson with its identifiers and every address, regional first', () => {
  const entry = mailboxEntry(doctor, BASE);
  assert.equal(entry.dn, `uid=1,ou=people,${BASE}`);
  assert.deepEqual(entry.attributes, {
    objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson', 'hygieMailbox'],
    uid: ['1'],
    cn: ['Hélène Dupont'],
    sn: ['Dupont'],
    givenName: ['Hélène'],
    displayName: ['Hélène Dupont'],
    mail: ['helene.dupont@esante-demo.test', 'helene.dupont@demo.mssante.test', 'helene.dupont.demo@medical.apicrypt.test'],
    employeeNumber: ['99700218896'],
    title: ['Médecin'],
    hygieMailboxType: ['PER'],
    hygieRpps: ['99700218896'],
    hygieRegionalMail: ['helene.dupont@esante-demo.test'],
    hygieMssanteMail: ['helene.dupont@demo.mssante.test'],
    hygieApicryptMail: ['helene.dupont.demo@medical.apicrypt.test'],
  });
  const plain = mailboxEntry(worker, BASE).attributes;
  assert.equal(plain.employeeNumber, undefined, 'no identifier, no attribute (never an empty value)');
  assert.equal(plain.hygieMssanteMail, undefined);
  assert.equal(plain.title, undefined);
});

test('an ADELI number is the employeeNumber when there is no RPPS; an organisational box gets sn = its name', () => {
  const nurse = mailboxEntry({ ...worker, mailboxId: 3, adeli: '751234567' }, BASE).attributes;
  assert.deepEqual(nurse.employeeNumber, ['751234567']);
  assert.deepEqual(nurse.hygieAdeli, ['751234567']);
  const service = mailboxEntry({ ...worker, mailboxId: 4, type: 'ORG', displayName: 'Cardiologie', firstName: null, lastName: null }, BASE).attributes;
  assert.deepEqual(service.sn, ['Cardiologie']);
  assert.equal(service.givenName, undefined);
  assert.deepEqual(service.hygieMailboxType, ['ORG']);
});

test('scopes: base, one and sub, from the suffix, ou=people, an entry and the root', () => {
  const people = `ou=people,${BASE}`;
  assert.deepEqual(dns({ scope: 'base' }), [BASE]);
  assert.deepEqual(dns({ scope: 'one' }), [people]);
  assert.deepEqual(dns({ scope: 'sub' }), [BASE, people, `uid=1,${people}`, `uid=2,${people}`]);
  assert.deepEqual(dns({ baseDn: people, scope: 'one' }), [`uid=1,${people}`, `uid=2,${people}`]);
  assert.deepEqual(dns({ baseDn: `UID=2, OU=People,${BASE.toUpperCase()}`, scope: 'base' }), [`uid=2,${people}`]);
  assert.deepEqual(dns({ baseDn: `uid=2,${people}`, scope: 'one' }), []);
  assert.deepEqual(dns({ baseDn: '', scope: 'base' }), ['']);
  assert.deepEqual(dns({ baseDn: '', scope: 'one' }), [BASE]);
  assert.equal(dns({ baseDn: '', scope: 'sub' }).includes(''), false, 'the root DSE is never in a subtree search');
});

test('the root DSE names the naming context; the suffix entry carries the operator name', () => {
  const [dse] = runSearch(tree, query({ baseDn: '', scope: 'base' }), 500).entries;
  assert.deepEqual(dse?.attributes.namingContexts, [BASE]);
  assert.deepEqual(dse?.attributes.supportedLDAPVersion, ['3']);
  const [suffix] = runSearch(tree, query({ scope: 'base' }), 500).entries;
  assert.deepEqual(suffix?.attributes, { objectClass: ['top', 'dcObject', 'organization'], dc: ['esante-demo'], o: ['Plateforme de démo'] });
});

test('a base outside the tree (or an unpublished entry) is noSuchObject, with the deepest existing ancestor', () => {
  const outside = runSearch(tree, query({ baseDn: 'dc=elsewhere,dc=test' }), 500);
  assert.equal(outside.resultCode, LdapResultCode.noSuchObject);
  assert.equal(outside.matchedDn, '');
  const missing = runSearch(tree, query({ baseDn: `uid=99,ou=people,${BASE}` }), 500);
  assert.equal(missing.resultCode, LdapResultCode.noSuchObject);
  assert.equal(missing.matchedDn, `ou=people,${BASE}`);
  assert.equal(runSearch(tree, query({ baseDn: 'not a dn' }), 500).resultCode, LdapResultCode.invalidDNSyntax);
});

test('attribute selection: names in any case, aliases, 1.1, *, typesOnly', () => {
  const one = (attributes: string[], typesOnly = false) =>
    runSearch(tree, query({ baseDn: `uid=1,ou=people,${BASE}`, scope: 'base', attributes, typesOnly }), 500).entries[0]?.attributes;
  assert.deepEqual(one(['MAIL', 'surname']), {
    sn: ['Dupont'],
    mail: ['helene.dupont@esante-demo.test', 'helene.dupont@demo.mssante.test', 'helene.dupont.demo@medical.apicrypt.test'],
  });
  assert.deepEqual(one(['1.1']), {});
  assert.deepEqual(one(['nonsense']), {});
  assert.equal(Object.keys(one(['*', 'cn'])!).length, 14);
  assert.deepEqual(one(['cn', 'hygieRpps'], true), { cn: [], hygieRpps: [] });
});

test('size limits: the smaller of the client\'s and the server\'s, then sizeLimitExceeded', () => {
  const people = { baseDn: `ou=people,${BASE}`, scope: 'one' as const };
  const clientLimited = runSearch(tree, query({ ...people, sizeLimit: 1 }), 500);
  assert.equal(clientLimited.resultCode, LdapResultCode.sizeLimitExceeded);
  assert.equal(clientLimited.entries.length, 1);
  const serverLimited = runSearch(tree, query({ ...people, sizeLimit: 0 }), 1);
  assert.equal(serverLimited.resultCode, LdapResultCode.sizeLimitExceeded);
  assert.equal(serverLimited.entries.length, 1);
  const exact = runSearch(tree, query({ ...people, sizeLimit: 2 }), 500);
  assert.equal(exact.resultCode, LdapResultCode.success, 'exactly the limit is not exceeding it');
  assert.equal(exact.entries.length, 2);
});

test('compare reads the same tree', () => {
  const dn = `uid=1,ou=people,${BASE}`;
  assert.equal(runCompare(tree, { dn, attribute: 'mail', value: 'HELENE.DUPONT@demo.mssante.test' }).resultCode, LdapResultCode.compareTrue);
  assert.equal(runCompare(tree, { dn, attribute: 'sn', value: 'Martin' }).resultCode, LdapResultCode.compareFalse);
  assert.equal(runCompare(tree, { dn, attribute: 'hygieAdeli', value: 'x' }).resultCode, LdapResultCode.noSuchAttribute);
  assert.equal(runCompare(tree, { dn: `uid=9,ou=people,${BASE}`, attribute: 'sn', value: 'x' }).resultCode, LdapResultCode.noSuchObject);
});
