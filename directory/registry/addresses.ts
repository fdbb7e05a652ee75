/**
 * Secure addresses of boxes hosted elsewhere, from two sources:
 *  - Extraction_Correspondance_MSSante (31 columns, PER and ORG boxes of the national
 *    space), network `mssante`, source `mssante-extraction`;
 *  - the regional list an operator holds of Apicrypt and S/MIME addresses, a simple CSV
 *    (format in directory/registry/README.md), source `regional-list`.
 * The address is the only key: lines repeating an address are merged (the first line's
 * values win, later lines fill what it left empty). A professional is linked by national
 * identifier when the directory has them.
 */
import { luhnValid } from '../identifiers.js';
import { checkAddress, readOptionalIdentity, type FieldReader } from './fields.js';
import { defineKind, type KindHandler, type PendingWrite } from './kind.js';
import { Rejected } from './rejections.js';
import type { SqlRunner } from './sql.js';
import { MSSANTE_ADDRESSES, REGIONAL_ADDRESSES, type TableSpec } from './tables.js';
import { detached, searchKey } from './text.js';
import type { ImportStamp } from './upsert.js';

type AddressValues = Readonly<Record<string, string | null>>;

/** A function making rows for `table` from values by column name (NULL for the others), columns resolved once. */
function rowMaker(table: TableSpec): (values: AddressValues) => unknown[] {
  const names = table.columns.filter((c) => !c.lookup).map((c) => c.name);
  return (values) => names.map((name) => values[name] ?? null);
}

const BOX_TYPES = new Set(['PER', 'ORG', 'APP']);

/** Rows keyed by address, duplicates merged within and across writes. */
class AddressRows {
  duplicates = 0;
  readonly row: (values: AddressValues) => unknown[];
  private rows = new Map<string, unknown[]>();
  /** Addresses already written by this import: a repeat fills in what they lack. */
  private fills = new Map<string, unknown[]>();
  private readonly written = new Set<string>();

  constructor(private readonly table: TableSpec) {
    this.row = rowMaker(table);
  }

  get pending(): number { return this.rows.size + this.fills.size; }

  add(address: string, row: unknown[]): void {
    const current = this.rows.get(address) ?? this.fills.get(address);
    if (current) {
      this.duplicates++;
      for (let i = 0; i < row.length; i++) if (current[i] === null) current[i] = row[i];
    } else if (this.written.has(address)) {
      this.duplicates++;
      this.fills.set(address, row);
    } else {
      this.rows.set(address, row);
    }
  }

  take(): PendingWrite {
    const rows = [...this.rows.values()];
    const fills = [...this.fills.values()];
    for (const address of this.rows.keys()) this.written.add(detached(address));
    this.rows = new Map();
    this.fills = new Map();
    return async (writer) => {
      await writer.upsert(this.table, rows);
      await writer.upsert(this.table, fills, 'fill');
      return [];
    };
  }
}

function boxType(f: FieldReader<'boxType'>, fallback?: string): string {
  const c = f.columns;
  const value = f.get(c.boxType)?.toUpperCase() ?? fallback;
  if (value === undefined) throw new Rejected('missing', { column: c.boxType.header });
  if (!BOX_TYPES.has(value)) throw new Rejected('invalid-value', { column: c.boxType.header, value, expected: 'box-type' });
  return value;
}

const MSSANTE_COLUMNS = {
  boxType: { header: 'Type de BAL', required: true, max: 3 },
  address: { header: 'Adresse BAL', required: true, max: 320 },
  idType: { header: 'Type Identifiant PP', aliases: ['Type d\'identifiant PP'] },
  identifier: { header: 'Identifiant PP', max: 11 },
  nationalId: { header: 'Identification nationale PP', max: 12 },
  structureIdType: { header: 'Type identifiant structure', max: 8 },
  structureIdentifier: { header: 'Identification Structure', max: 64 },
  service: { header: 'Service de rattachement', max: 256 },
  civility: { header: 'Civilité d\'exercice', max: 32 },
  lastName: { header: 'Nom d\'exercice', max: 128 },
  firstName: { header: 'Prénom d\'exercice', max: 128 },
  categoryCode: { header: 'Catégorie profession', max: 8 },
  category: { header: 'Libellé de catégorie profession', max: 64 },
  professionCode: { header: 'Code Profession', max: 8 },
  profession: { header: 'Libellé Profession', max: 128 },
  skillCode: { header: 'Code savoir-faire', max: 16 },
  skill: { header: 'Libellé savoir-faire', max: 256 },
  dematerialisation: { header: 'Dématérialisation', max: 8 },
  structureName: { header: 'Raison Sociale structure BAL', max: 256 },
  structureTradeName: { header: 'Enseigne commerciale structure BAL', max: 256 },
  locationComplement: { header: 'L2COMPLEMENTLOCALISATION', max: 128 },
  distributionComplement: { header: 'L3COMPLEMENTDISTRIBUTION', max: 128 },
  streetNumber: { header: 'L4NUMEROVOIE', max: 16 },
  repetition: { header: 'L4COMPLEMENTNUMEROVOIE', max: 16 },
  streetType: { header: 'NL4TYPEVOIE', max: 64 },
  streetName: { header: 'L4LIBELLEVOIE', max: 128 },
  mention: { header: 'L5LIEUDITMENTION', max: 128 },
  deliveryLine: { header: 'L6LIGNEACHEMINEMENT', max: 128 },
  postalCode: { header: 'Code postal', max: 10 },
  department: { header: 'Département', max: 64 },
  country: { header: 'Pays', max: 64 },
} as const;

/** The 31 column names as published, in order. */
export const MSSANTE_HEADER: readonly string[] = Object.values(MSSANTE_COLUMNS).map((c) => c.header);

class MssanteHandler implements KindHandler {
  private readonly rows = new AddressRows(MSSANTE_ADDRESSES);

  constructor(private readonly f: FieldReader<keyof typeof MSSANTE_COLUMNS>) {}

  get pending(): number { return this.rows.pending; }

  line(): void {
    const f = this.f;
    const c = f.columns;
    const type = boxType(f);
    const address = checkAddress(f.required(c.address), c.address.header);
    const identity = readOptionalIdentity(f);
    const lastName = type === 'PER' ? f.required(c.lastName) : f.get(c.lastName);
    const firstName = f.get(c.firstName);
    const service = f.get(c.service);
    const structureName = f.get(c.structureName);
    // L6 is "postcode city[ CEDEX n]": the city is what follows the postcode.
    const deliveryLine = f.get(c.deliveryLine);
    const department = f.get(c.department);
    const isDepartmentCode = department !== null && /^(\d{2,3}|2[AB])$/.test(department);
    this.rows.add(address, this.rows.row({
      address, box_type: type, national_id: identity?.nationalId ?? null,
      structure_id_type: f.get(c.structureIdType), structure_identifier: f.get(c.structureIdentifier), service,
      civility: f.get(c.civility), last_name: lastName, first_name: firstName,
      category_code: f.get(c.categoryCode), category: f.get(c.category), profession_code: f.get(c.professionCode), profession: f.get(c.profession),
      skill_code: f.get(c.skillCode), skill: f.get(c.skill), dematerialisation: f.get(c.dematerialisation),
      structure_name: structureName, structure_trade_name: f.get(c.structureTradeName),
      search_name: type === 'PER' ? searchKey(lastName, firstName) : searchKey(service, structureName ?? f.get(c.structureTradeName)),
      address_recipient: f.get(c.locationComplement), address_point: f.get(c.distributionComplement),
      street_number: f.get(c.streetNumber), street_repetition: f.get(c.repetition), street_type: f.get(c.streetType), street_name: f.get(c.streetName),
      address_mention: f.get(c.mention), cedex: deliveryLine && /\bcedex\b/i.test(deliveryLine) ? deliveryLine.slice(0, 64) : null,
      postal_code: f.get(c.postalCode), city: deliveryLine ? deliveryLine.replace(/^\d{5}\s+/, '') : null, country: f.get(c.country),
      department_code: isDepartmentCode ? department : null, department: isDepartmentCode ? null : department,
    }));
  }

  take(): PendingWrite { return this.rows.take(); }

  notes(): Record<string, number> { return { duplicates: this.rows.duplicates }; }
}

export const mssante = defineKind({
  kind: 'mssante',
  title: 'Extraction_Correspondance_MSSante',
  separators: ['|'],
  columns: MSSANTE_COLUMNS,
  tables: [MSSANTE_ADDRESSES],
  createHandler: (fields) => new MssanteHandler(fields),
});

/**
 * The regional list: `identifiant_national;adresse;reseau[;type_bal;nom;prenom;structure]`,
 * separated by `;` (or `,`). `identifiant_national` takes an RPPS (11 digits), an ADELI
 * (9 characters) or a national identifier (8+RPPS, 0+ADELI); `reseau` is `apicrypt` or
 * `smime` (regional S/MIME messaging).
 */
const REGIONAL_COLUMNS = {
  nationalId: { header: 'identifiant_national' },
  address: { header: 'adresse', required: true, max: 320 },
  network: { header: 'reseau', aliases: ['réseau'], required: true },
  boxType: { header: 'type_bal' },
  lastName: { header: 'nom', max: 128 },
  firstName: { header: 'prenom', aliases: ['prénom'], max: 128 },
  structureName: { header: 'structure', max: 256 },
} as const;

const NETWORKS: Readonly<Record<string, string>> = { 'apicrypt': 'apicrypt', 'smime': 'regional', 's/mime': 'regional', 'regional': 'regional' };

/** RPPS, ADELI or national identifier → national identifier, or the reason it is none. */
export function nationalIdOf(value: string, column: string): string {
  const v = value.replace(/\s+/g, '').toUpperCase();
  const rpps = /^8?(\d{11})$/.exec(v)?.[1];
  if (rpps !== undefined) {
    if (!luhnValid(rpps)) throw new Rejected('rpps', { value: rpps, why: 'key' });
    return `8${rpps}`;
  }
  const adeli = /^0?((?:\d{2}|2[AB])\d{7})$/.exec(v)?.[1];
  if (adeli !== undefined) return `0${adeli}`;
  throw new Rejected('invalid-value', { column, value, expected: 'identifier' });
}

class RegionalHandler implements KindHandler {
  private readonly rows = new AddressRows(REGIONAL_ADDRESSES);

  constructor(private readonly f: FieldReader<keyof typeof REGIONAL_COLUMNS>) {}

  get pending(): number { return this.rows.pending; }

  line(): void {
    const f = this.f;
    const c = f.columns;
    const address = checkAddress(f.required(c.address), c.address.header);
    const networkName = f.required(c.network).toLowerCase();
    const network = NETWORKS[networkName];
    if (network === undefined) throw new Rejected('invalid-value', { column: c.network.header, value: networkName, expected: 'network' });
    const type = boxType(f, 'PER');
    const identifier = f.get(c.nationalId);
    const nationalId = identifier === null ? null : nationalIdOf(identifier, c.nationalId.header);
    const lastName = f.get(c.lastName);
    const firstName = f.get(c.firstName);
    const structureName = f.get(c.structureName);
    if (type === 'PER' && nationalId === null && lastName === null) throw new Rejected('missing', { column: c.nationalId.header });
    this.rows.add(address, this.rows.row({
      address, network, box_type: type, national_id: nationalId, last_name: lastName, first_name: firstName,
      structure_name: structureName, search_name: type === 'PER' ? searchKey(lastName, firstName) : searchKey(structureName),
    }));
  }

  take(): PendingWrite { return this.rows.take(); }

  notes(): Record<string, number> { return { duplicates: this.rows.duplicates }; }

  /** Lines that gave only an identifier take their names from the directory. */
  async finish(runner: SqlRunner, stamp: ImportStamp): Promise<void> {
    await runner.run(`UPDATE registry_addresses SET
        last_name = (SELECT p.last_name FROM professionals p WHERE p.id = registry_addresses.professional_id),
        first_name = (SELECT p.first_name FROM professionals p WHERE p.id = registry_addresses.professional_id),
        search_name = (SELECT p.search_name FROM professionals p WHERE p.id = registry_addresses.professional_id)
      WHERE import_id = ? AND professional_id IS NOT NULL AND last_name IS NULL`, [stamp.importId]);
  }
}

export const regionalAddresses = defineKind({
  kind: 'regional-addresses',
  title: 'liste régionale Apicrypt / S/MIME',
  separators: [';', ','],
  columns: REGIONAL_COLUMNS,
  tables: [REGIONAL_ADDRESSES],
  createHandler: (fields) => new RegionalHandler(fields),
});
