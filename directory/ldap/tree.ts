/**
 * Where a search starts and what it covers: a base DN and a scope become an ordered
 * list of sections (fixed entries, one entry, or every entry of a kind), or the
 * reason there is nothing there. The tree is
 *
 *   ""                        root DSE
 *   <suffix>                  the operator
 *     ou=people               professionals, then hosted personal boxes of their own
 *     ou=structures           structures
 *     ou=mailboxes            hosted ORG/APP boxes, then listed mailboxes
 *
 * and the order of the sections is the order of the results, which paging relies on.
 */
import { leafRdn, parseDn, type DnKey } from './dn.js';
import type { Viewer } from './entries.js';
import type { EntrySource } from './entry-source.js';
import { LdapResultCode } from './result-codes.js';
import {
  HOSTED_UID_PREFIX, UNITS, rootDse, suffixEntry, unitDn, unitEntry, type EntryKind, type LdapEntry, type UnitName,
} from './schema.js';

export type SearchScope = 'base' | 'one' | 'sub';

/** Most DNs as written whose resolution is kept (a client may spell the suffix many ways). */
const MAX_FIXED = 64;

export type Section =
  | { type: 'entry'; entry: LdapEntry }
  | { type: 'kind'; kind: EntryKind };

export type Resolved =
  | { found: true; sections: Section[] }
  | { found: false; resultCode: LdapResultCode; message: string; matchedDn?: string };

export class DirectoryTree {
  private readonly suffixKey: DnKey;
  private readonly unitKeys: ReadonlyArray<{ ou: UnitName; key: DnKey; kinds: readonly EntryKind[] }>;

  constructor(
    private readonly baseDn: string,
    private readonly source: EntrySource,
    private readonly organisationName?: string,
    private readonly vendorVersion?: string,
  ) {
    this.suffixKey = parseDn(baseDn)!;
    this.unitKeys = UNITS.map((u) => ({ ou: u.ou, key: [`ou=${u.ou}`, ...this.suffixKey], kinds: u.kinds }));
  }

  /**
   * Resolutions of the root DSE, the suffix and the units (which need no database), by
   * scope and DN as the client wrote it: the same few bases come with nearly every search.
   */
  private readonly fixed = new Map<string, Resolved>();

  /** The sections a search of `dn` with `scope` covers, in result order. */
  async resolve(dn: string, scope: SearchScope, viewer: Viewer): Promise<Resolved> {
    const fixedKey = `${scope} ${dn}`;
    const known = this.fixed.get(fixedKey);
    if (known) return known;
    const key = parseDn(dn);
    if (!key) return { found: false, resultCode: LdapResultCode.invalidDNSyntax, message: `invalid DN "${dn}"` };
    const fixed = this.resolveFixed(key, scope);
    if (fixed) {
      if (this.fixed.size < MAX_FIXED) this.fixed.set(fixedKey, fixed);
      return fixed;
    }
    const parent = this.unitKeys.find((u) => key.length === u.key.length + 1 && sameKey(key.slice(1), u.key));
    const entry = parent ? await this.leaf(parent.ou, dn, viewer) : undefined;
    if (!entry) return { found: false, resultCode: LdapResultCode.noSuchObject, message: `no entry at "${dn}"`, matchedDn: this.deepestAncestor(key) };
    return found(scope === 'one' ? [] : [{ type: 'entry', entry }]);
  }

  /** The sections of the root DSE, the suffix or a unit; `undefined` for any other DN. */
  private resolveFixed(key: DnKey, scope: SearchScope): Resolved | undefined {
    const suffix = { type: 'entry', entry: suffixEntry(this.baseDn, this.organisationName) } as const;
    const everything = (): Section[] => [suffix, ...this.unitKeys.flatMap((u) => this.unitSections(u.ou, u.kinds))];

    if (key.length === 0) {
      // The root DSE is never part of a one-level or subtree search (RFC 4512 §5.1); below it
      // we hold one naming context, the suffix.
      if (scope === 'base') return found([{ type: 'entry', entry: rootDse(this.baseDn, this.vendorVersion) }]);
      return found(scope === 'one' ? [suffix] : everything());
    }
    if (sameKey(key, this.suffixKey)) {
      if (scope === 'base') return found([suffix]);
      if (scope === 'one') return found(this.unitKeys.map((u) => ({ type: 'entry', entry: unitEntry(u.ou, this.baseDn) })));
      return found(everything());
    }
    const unit = this.unitKeys.find((u) => sameKey(key, u.key));
    if (unit) {
      if (scope === 'base') return found([{ type: 'entry', entry: unitEntry(unit.ou, this.baseDn) }]);
      const kinds = unit.kinds.map((kind) => ({ type: 'kind', kind }) as const);
      return found(scope === 'one' ? kinds : [{ type: 'entry', entry: unitEntry(unit.ou, this.baseDn) }, ...kinds]);
    }
    return undefined;
  }

  /** The entry at exactly this DN, as this viewer sees it (the root DSE for ""). */
  async find(dn: string, viewer: Viewer): Promise<LdapEntry | undefined> {
    const resolved = await this.resolve(dn, 'base', viewer);
    const [section] = resolved.found ? resolved.sections : [];
    return section?.type === 'entry' ? section.entry : undefined;
  }

  private unitSections(ou: UnitName, kinds: readonly EntryKind[]): Section[] {
    return [{ type: 'entry', entry: unitEntry(ou, this.baseDn) }, ...kinds.map((kind) => ({ type: 'kind', kind }) as const)];
  }

  /** One directory entry named by its RDN under a unit. */
  private async leaf(ou: UnitName, dn: string, viewer: Viewer): Promise<LdapEntry | undefined> {
    const rdn = leafRdn(dn);
    const kind = rdn && kindOf(ou, rdn.type, rdn.value);
    if (!rdn || !kind) return undefined;
    const id = await this.source.findId(kind, rdn.value);
    return id === undefined ? undefined : (await this.source.load(kind, [id], viewer)).get(id);
  }

  /** The DN of the deepest existing entry above `key` (for noSuchObject's matchedDN). */
  private deepestAncestor(key: DnKey): string {
    const unit = this.unitKeys.find((u) => key.length > u.key.length && sameKey(key.slice(key.length - u.key.length), u.key));
    if (unit) return unitDn(unit.ou, this.baseDn);
    return key.length > this.suffixKey.length && sameKey(key.slice(key.length - this.suffixKey.length), this.suffixKey) ? this.baseDn : '';
  }
}

/** Which kind an RDN under a unit names: hosted boxes by `uid=box-<id>`, listed mailboxes by `mail=`. */
function kindOf(ou: UnitName, type: string, value: string): EntryKind | undefined {
  const hosted = value.toLowerCase().startsWith(HOSTED_UID_PREFIX);
  if (ou === 'people' && type === 'uid') return hosted ? 'hostedPerson' : 'professional';
  if (ou === 'structures' && type === 'uid') return 'structure';
  if (ou === 'mailboxes' && type === 'uid' && hosted) return 'hostedService';
  if (ou === 'mailboxes' && type === 'mail') return 'listedMailbox';
  return undefined;
}

function found(sections: Section[]): Resolved {
  return { found: true, sections };
}

function sameKey(a: DnKey, b: DnKey): boolean {
  return a.length === b.length && a.every((rdn, i) => rdn === b[i]);
}
