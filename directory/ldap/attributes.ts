/**
 * Which attributes go back to the client (RFC 4511 §4.5.1.8: all when none or `*` is
 * asked, none for `1.1`, unknown names ignored), and the certificates of the entries'
 * addresses as `userCertificate;binary` and `userSMIMECertificate`, looked up only when
 * the client asked for them or for everything.
 */
import { certificatesOnlyPkcs7 } from './ber.js';
import { TextMemo } from './text-memo.js';
import { CERTIFICATE_ATTRIBUTES, canonicalAttribute, certificateAttribute, type LdapAttributes, type LdapEntry } from './schema.js';

/** The encryption certificates (DER) of each address that has some. */
export type CertificateLookup = (addresses: string[]) => Promise<Map<string, Buffer[]>>;

export interface AttributeSelection {
  all: boolean;
  /** Canonical names asked for (when not all). */
  names: ReadonlySet<string>;
  /** Certificate attributes asked for (both when all). */
  certificates: ReadonlySet<string>;
}

/** Selections by the list asked for: clients send the same few (short) lists again and again. */
const selections = new TextMemo<AttributeSelection>(1024);

export function attributeSelection(requested: readonly string[]): AttributeSelection {
  const usual = requested.length <= 32 && requested.every((name) => name.length <= 64);
  return usual ? selections.get(requested, () => selectionOf(requested)) : selectionOf(requested);
}

function selectionOf(requested: readonly string[]): AttributeSelection {
  const names = requested.map((n) => n.trim()).filter((n) => n !== '');
  if (names.length === 0 || names.includes('*')) {
    return { all: true, names: new Set(), certificates: new Set(Object.values(CERTIFICATE_ATTRIBUTES)) };
  }
  // `1.1` means "no attributes"; `+` asks for operational attributes, of which we have none to add.
  return {
    all: false,
    names: new Set(names.map(canonicalAttribute).filter((n): n is string => n !== undefined)),
    certificates: new Set(names.map(certificateAttribute).filter((n): n is string => n !== undefined)),
  };
}

/** The entries as the client asked for them, certificates included when asked for. */
export async function presentEntries(entries: readonly LdapEntry[], selection: AttributeSelection, typesOnly: boolean,
  lookup: CertificateLookup | undefined): Promise<LdapEntry[]> {
  const certificates = lookup && selection.certificates.size > 0 ? await certificatesOf(entries, lookup) : undefined;
  return entries.map((entry) => {
    // The values are shared, not copied: answers are only encoded, never changed.
    const attributes: LdapAttributes = {};
    for (const name in entry.attributes) {
      if (selection.all || selection.names.has(name)) attributes[name] = typesOnly ? [] : entry.attributes[name]!;
    }
    const presented: LdapEntry = { dn: entry.dn, attributes };
    const ders = certificates?.get(entry.dn);
    if (ders && ders.length > 0) {
      presented.binary = {};
      for (const name of selection.certificates) {
        const values = name === CERTIFICATE_ATTRIBUTES.userCertificate ? ders : [certificatesOnlyPkcs7(ders)];
        presented.binary[name] = typesOnly ? [] : values;
      }
    }
    return presented;
  });
}

/** Certificates of each entry's addresses, by DN, each certificate once; one lookup for all entries. */
async function certificatesOf(entries: readonly LdapEntry[], lookup: CertificateLookup): Promise<Map<string, Buffer[]>> {
  const addresses = [...new Set(entries.flatMap((e) => e.attributes.mail ?? []))];
  const byAddress = addresses.length > 0 ? await lookup(addresses) : new Map<string, Buffer[]>();
  const byDn = new Map<string, Buffer[]>();
  for (const entry of entries) {
    const seen = new Set<string>();
    const ders = (entry.attributes.mail ?? []).flatMap((a) => byAddress.get(a) ?? [])
      .filter((der) => !seen.has(der.toString('base64')) && !!seen.add(der.toString('base64')));
    if (ders.length > 0) byDn.set(entry.dn, ders);
  }
  return byDn;
}
