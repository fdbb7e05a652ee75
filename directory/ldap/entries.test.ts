import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostedBoxEntry, listedMailboxEntry, professionalEntry, structureEntry, type AddressRow, type ProfessionalRow, type StructureRow } from './entries.js';
import { KIND_ATTRIBUTES, type EntryKind, type LdapEntry } from './schema.js';

const BASE = 'dc=esante-demo,dc=test';
const postal = {
  address_recipient: null, address_point: 'Bâtiment B', street_number: '2', street_repetition: 'bis', street_type: 'rue',
  street_name: 'de la Paix', address_mention: null, cedex: null, postal_code: '29200', city: 'Brest',
};
const structure: StructureRow = {
  id: 7, technical_id: 'R10100000012345', name: 'Centre $anté', trade_name: null, finess_site: '290000017', finess_legal: null,
  siret: null, siren: null, phone: '0298000000', phone2: null, fax: null, vanished_at: null, ...postal,
};
const professional: ProfessionalRow = {
  id: 1, national_id: '810003456786', id_type: '8', identifier: '10003456786', civility: 'Madame', exercise_civility: 'Docteur',
  last_name: 'LE GALL', first_name: 'Maïwenn', profession: 'Médecin', vanished_at: null,
};
const address = (value: string, network: AddressRow['network'], visible: boolean, mailbox_status: string | null): AddressRow =>
  ({ address: value, network, visible, mailbox_status });

function assertKnownAttributes(entry: LdapEntry | undefined, kind: EntryKind): void {
  for (const name of Object.keys(entry?.attributes ?? {})) assert.ok(KIND_ATTRIBUTES[kind].has(name), `${kind}: ${name} is in KIND_ATTRIBUTES`);
}

test('a professional shows visible addresses, regional first and hosted before the extraction\'s, and practice places', () => {
  const parts = {
    activities: [{ vanished: false, structure }, { vanished: true, structure: { ...structure, id: 8, technical_id: 'R2' } }],
    skills: [{ label: 'Cardiologie', vanished: false }],
    addresses: [
      address('z@x.mssante.fr', 'mssante', true, null), address('a@demo.mssante.test', 'mssante', true, 'active'),
      address('m@esante-demo.test', 'regional', true, 'active'), address('old@x.mssante.fr', 'mssante', false, null),
    ],
  };
  const entry = professionalEntry(professional, parts, BASE, 'public')!;
  assert.equal(entry.dn, `uid=810003456786,ou=people,${BASE}`);
  assert.deepEqual(entry.attributes.mail, ['m@esante-demo.test', 'a@demo.mssante.test', 'z@x.mssante.fr']);
  assert.deepEqual(entry.attributes.hcPracticeLocation, [`uid=R10100000012345,ou=structures,${BASE}`], 'vanished activity left out');
  assert.deepEqual(entry.attributes.postalAddress, ['Bâtiment B$2 bis rue de la Paix$29200 Brest']);
  assert.deepEqual(entry.attributes.hcRegisteredName, ['Docteur Maïwenn LE GALL']);
  assert.equal(entry.attributes.hygieState, undefined, 'no state for the public');
  assertKnownAttributes(entry, 'professional');

  const operator = professionalEntry(professional, parts, BASE, 'operator')!;
  assert.deepEqual(operator.attributes.hygieAddressState, ['old@x.mssante.fr vanished']);
  assert.equal(operator.attributes.mail?.length, 4);
  assertKnownAttributes(operator, 'professional');
});

test('a professional gone from the registry stays visible while a box of theirs is published here', () => {
  const gone = { ...professional, vanished_at: '2026-11-10T00:00:00.000Z' };
  const withBox = { activities: [], skills: [], addresses: [address('m@esante-demo.test', 'regional', true, 'active')] };
  assert.ok(professionalEntry(gone, withBox, BASE, 'public'));
  const withoutBox = { activities: [], skills: [], addresses: [address('m@esante-demo.test', 'regional', false, 'active')] };
  assert.equal(professionalEntry(gone, withoutBox, BASE, 'public'), undefined);
  assert.deepEqual(professionalEntry(gone, withoutBox, BASE, 'operator')?.attributes.hygieState, ['vanished']);
  assert.deepEqual(professionalEntry(gone, withoutBox, BASE, 'operator')?.attributes.hygieAddressState, ['m@esante-demo.test unpublished']);
});

test('hosted boxes, listed mailboxes and structures: states for operators only, $ escaped in postal addresses', () => {
  const box = {
    id: 3, type: 'ORG' as const, display_name: 'Cardiologie', first_name: null, last_name: null, rpps: null, adeli: null,
    profession: null, description: 'Secrétariat', status: 'deleted', structure_name: 'CHU',
  };
  assert.equal(hostedBoxEntry(box, [address('c@x', 'regional', false, 'deleted')], BASE, 'public'), undefined);
  const deleted = hostedBoxEntry(box, [address('c@x', 'regional', false, 'deleted')], BASE, 'operator')!;
  assert.equal(deleted.dn, `uid=box-3,ou=mailboxes,${BASE}`);
  assert.deepEqual([deleted.attributes.hygieState, deleted.attributes.sn], [['deleted'], ['Cardiologie']]);
  assertKnownAttributes(deleted, 'hostedService');

  const listed = listedMailboxEntry({
    id: 4, address: 'secretariat+radio@ch.mssante.fr', network: 'mssante', box_type: 'ORG', national_id: null, civility: null,
    last_name: null, first_name: null, service: 'Radiologie', profession: null, structure_name: 'CH', visible: true, ...postal,
  }, BASE, 'public')!;
  assert.equal(listed.dn, `mail=secretariat\\+radio@ch.mssante.fr,ou=mailboxes,${BASE}`, 'RFC 4514 escaping');
  assert.deepEqual(listed.attributes.cn, ['Radiologie']);
  assertKnownAttributes(listed, 'listedMailbox');

  const place = structureEntry({ ...structure, address_mention: 'BP 12 $ 3' }, BASE, 'public')!;
  assert.deepEqual(place.attributes.postalAddress, ['Bâtiment B$2 bis rue de la Paix$BP 12 \\24 3$29200 Brest']);
  assert.deepEqual(place.attributes.objectClass, ['top', 'organization', 'uidObject', 'hygieStructure']);
  assertKnownAttributes(place, 'structure');
  assert.equal(structureEntry({ ...structure, vanished_at: '2026-01-01' }, BASE, 'public'), undefined);
});
