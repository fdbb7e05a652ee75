/**
 * A development PKI shaped like the French health PKI (IGC Santé): one root and three
 * issuing sub-CAs, each with its own key, register and CRL, and the leaf certificates an
 * operator needs in dev and tests, each from the sub-CA that issues that kind:
 *
 *   AC RACINE HYGIE DEV                 (like "AC RACINE IGC-SANTE ELEMENTAIRE")
 *   ├── AC HYGIE DEV SERVEURS           TLS servers; TLS clients of peer operators
 *   ├── AC HYGIE DEV PERSONNES          S/MIME of personal (PER) mailboxes
 *   └── AC HYGIE DEV ORGANISATIONS      S/MIME of organisational (ORG) and applicative (APP)
 *                                       mailboxes; TLS clients of applications
 *
 * With `dir`, the CAs and their registers persist there (<dir>/<ca>/ca.crt, ca.key,
 * register.json) and are reloaded by the next call; without it, everything lives in
 * memory (tests). Leaf keys are returned to the caller, never written here.
 */
import path from 'node:path';
import { HygieError } from '../../core/errors.js';
import { cryptoEngine, type CryptoKey } from '../engine.js';
import { DEFAULT_KEY_ALGORITHM, exportPrivateKeyPem, generateKeyPair, type KeyAlgorithm, type KeyPairInfo } from '../keys.js';
import {
  hostSubjectAltName, mailboxSubjectAltName, subjectAltNameKey, type DistinguishedName, type SubjectAltName,
} from '../names.js';
import { PROFILES, SMIME_PROFILES, type CertificateProfile, type SmimeUsage } from '../profiles.js';
import type { IssuedCertificate } from '../x509.js';
import { CertificateAuthority, selfSignedRootCertificate, type AuthorityIssuedCertificate, type PublicationUrls } from './authority.js';
import { CA_FILES, loadCaFiles, saveCaFiles } from './ca-files.js';
import { JsonFileRevocationRegister } from './json-register.js';
import { MemoryRevocationRegister, type RevocationRegister } from './register.js';

export type DevHealthCaName = 'root' | 'servers' | 'persons' | 'organisations';
export type SubCaName = Exclude<DevHealthCaName, 'root'>;
/** MSSanté mailbox types: personal, organisational, applicative. */
export type MailboxType = 'PER' | 'ORG' | 'APP';
export type TlsClientKind = 'operator' | 'application';

const YEAR_DAYS = 365;
const ORGANISATIONAL_UNIT = 'IGC HYGIE DEV';

/** The hierarchy, root first; each CA's folder under `dir` is its name. */
const HIERARCHY: Readonly<Record<DevHealthCaName, { readonly commonName: string; readonly validityDays: number }>> = {
  root: { commonName: 'AC RACINE HYGIE DEV', validityDays: 20 * YEAR_DAYS },
  servers: { commonName: 'AC HYGIE DEV SERVEURS', validityDays: 10 * YEAR_DAYS },
  persons: { commonName: 'AC HYGIE DEV PERSONNES', validityDays: 10 * YEAR_DAYS },
  organisations: { commonName: 'AC HYGIE DEV ORGANISATIONS', validityDays: 10 * YEAR_DAYS },
};
const SUB_CAS: readonly SubCaName[] = ['servers', 'persons', 'organisations'];

/** Which sub-CA issues which kind of leaf. */
const ISSUER_OF = {
  tlsServer: 'servers',
  tlsClient: { operator: 'servers', application: 'organisations' },
  smime: { PER: 'persons', ORG: 'organisations', APP: 'organisations' },
} as const satisfies {
  tlsServer: SubCaName; tlsClient: Record<TlsClientKind, SubCaName>; smime: Record<MailboxType, SubCaName>;
};

export interface DevHealthPkiOptions {
  /** Where the CAs and registers persist; in memory only when absent. */
  readonly dir?: string;
  /** O= of every certificate (the operator's name), 1 to 64 characters. */
  readonly organisation: string;
  /** Injectable clock: a fixed date or a function (tests). */
  readonly now?: Date | (() => Date);
  /** For keys generated here: new CAs, and leaves unless a call says otherwise. RSA-2048 by default. */
  readonly keyAlgorithm?: KeyAlgorithm;
  /**
   * Base URL where CRLs and CA certificates are published, e.g. "http://127.0.0.1:8080/pki/"
   * (a file: URL will do in dev). Certificates issued by CA x then carry
   * cRLDistributionPoints <base>x.crl and authorityInfoAccess caIssuers <base>x.crt.
   * No such extension when absent.
   */
  readonly publicationUrl?: string;
  /** The register of each CA; by default a JSON file under dir, or memory without dir. */
  readonly registers?: (ca: DevHealthCaName) => RevocationRegister | Promise<RevocationRegister>;
}

export interface LeafOptions {
  /** This leaf's key algorithm; the PKI's default otherwise. */
  readonly keyAlgorithm?: KeyAlgorithm;
  /**
   * Certify this key pair instead of generating one (a renewal that keeps the key). The
   * private key must be extractable, as generateKeyPair makes it, to be returned as PEM.
   */
  readonly keys?: KeyPairInfo;
  /** The profile's maximum by default, never beyond the issuing CA. */
  readonly validityDays?: number;
}

export interface IssuedCredential {
  readonly certificate: AuthorityIssuedCertificate;
  /** WebCrypto signing key (extractable). Decryption re-imports privateKeyPem for its algorithm. */
  readonly privateKey: CryptoKey;
  /** Unencrypted PKCS#8 PEM: the caller stores it (mode 0600 or encrypted), it is never written here. */
  readonly privateKeyPem: string;
  /** The issuing sub-CA first, the root last. */
  readonly chain: readonly IssuedCertificate[];
  readonly issuer: SubCaName;
}

export class DevHealthPki {
  readonly root: CertificateAuthority;
  readonly servers: CertificateAuthority;
  readonly persons: CertificateAuthority;
  readonly organisations: CertificateAuthority;
  /** True when this call created the root (users must import the new root certificate). */
  readonly created: boolean;
  readonly #organisation: string;
  readonly #keyAlgorithm: KeyAlgorithm;

  /** @internal use createDevHealthPki */
  constructor(authorities: Readonly<Record<DevHealthCaName, CertificateAuthority>>, created: boolean, organisation: string, keyAlgorithm: KeyAlgorithm) {
    ({ root: this.root, servers: this.servers, persons: this.persons, organisations: this.organisations } = authorities);
    this.created = created;
    this.#organisation = organisation;
    this.#keyAlgorithm = keyAlgorithm;
  }

  authority(name: DevHealthCaName): CertificateAuthority {
    return this[name];
  }

  /** The certificates above a sub-CA's leaves: that sub-CA, then the root. */
  chain(name: SubCaName): IssuedCertificate[] {
    return [this[name], this.root].map(({ certificate, der, pem }) => ({ certificate, der, pem }));
  }

  /** A TLS server certificate for host names or IP literals (IDNs become A-labels). */
  async issueTlsServer(hostnames: readonly string[], options: LeafOptions = {}): Promise<IssuedCredential> {
    const sans = unique(hostnames.map(hostSubjectAltName));
    if (sans.length === 0) throw new HygieError('INVALID_INPUT', 'a TLS server certificate needs at least one host name');
    const commonName = sans.flatMap((s) => ('dns' in s && s.dns.length <= 64 ? [s.dns] : []))[0];
    return this.#issue(ISSUER_OF.tlsServer, PROFILES.tlsServer, commonName, sans, options);
  }

  /**
   * A TLS client certificate. For a peer 'operator', `name` is the host name of its relay,
   * also written as dNSName; for an 'application', `name` is free text (the software and
   * structure) and the SAN entries are those given (the applicative mailbox address…).
   */
  async issueTlsClient(
    name: string, kind: TlsClientKind, options: LeafOptions & { readonly subjectAltNames?: readonly SubjectAltName[] } = {},
  ): Promise<IssuedCredential> {
    const host = kind === 'operator' ? hostSubjectAltName(name) : undefined;
    if (host && !('dns' in host)) throw new HygieError('INVALID_INPUT', `an operator client certificate names a host, not "${name}"`);
    const sans = unique([...(host ? [host] : []), ...(options.subjectAltNames ?? [])]);
    return this.#issue(ISSUER_OF.tlsClient[kind], PROFILES.tlsClient, host?.dns ?? name, sans, options);
  }

  /**
   * An S/MIME certificate for one mailbox address: for signing, for encryption (separate
   * keys, as the health PKI issues them) or dual-use. The address is in subjectAltName
   * and, when it fits in 64 characters and no `commonName` is given, in the CN.
   */
  async issueSmime(address: string, options: LeafOptions & {
    readonly usage: SmimeUsage;
    readonly mailboxType?: MailboxType;
    readonly commonName?: string;
  }): Promise<IssuedCredential> {
    const san = mailboxSubjectAltName(address);
    const commonName = options.commonName ?? (san.email.length <= 64 ? san.email : undefined);
    return this.#issue(ISSUER_OF.smime[options.mailboxType ?? 'PER'], SMIME_PROFILES[options.usage], commonName, [san], options);
  }

  async #issue(
    ca: SubCaName, profile: CertificateProfile, commonName: string | undefined, sans: readonly SubjectAltName[], options: LeafOptions,
  ): Promise<IssuedCredential> {
    const keys = options.keys ?? await generateKeyPair(options.keyAlgorithm ?? this.#keyAlgorithm);
    const subject: DistinguishedName = { country: 'FR', organisation: this.#organisation, ...(commonName ? { commonName } : {}) };
    const certificate = await this[ca].issue(profile, subject, keys.publicKey, {
      subjectAltNames: sans,
      ...(options.validityDays !== undefined ? { validityDays: options.validityDays } : {}),
    });
    return { certificate, privateKey: keys.privateKey, privateKeyPem: await exportPrivateKeyPem(keys.privateKey), chain: this.chain(ca), issuer: ca };
  }
}

/** Loads the development health PKI from `dir`, creating what is missing (or all of it in memory). */
export async function createDevHealthPki(options: DevHealthPkiOptions): Promise<DevHealthPki> {
  const organisation = options.organisation.trim();
  if (organisation === '' || organisation.length > 64) {
    throw new HygieError('CONFIG_INVALID', 'the PKI organisation name must be 1 to 64 characters');
  }
  const fixed = options.now;
  const clock = fixed === undefined ? () => new Date() : typeof fixed === 'function' ? fixed : () => fixed;
  const keyAlgorithm = options.keyAlgorithm ?? DEFAULT_KEY_ALGORITHM;
  const caDir = (name: DevHealthCaName) => (options.dir === undefined ? undefined : path.join(options.dir, name));
  const registerOf = async (name: DevHealthCaName): Promise<RevocationRegister> => {
    if (options.registers) return options.registers(name);
    const dir = caDir(name);
    return dir === undefined ? new MemoryRevocationRegister() : JsonFileRevocationRegister.open(path.join(dir, CA_FILES.register));
  };
  const urls = (name: DevHealthCaName): PublicationUrls => publicationUrls(options.publicationUrl, name);
  const subject = (name: DevHealthCaName): DistinguishedName => ({
    country: 'FR', organisation, organisationalUnit: ORGANISATIONAL_UNIT, commonName: HIERARCHY[name].commonName,
  });

  /** CA `name` from its folder, or created by `create` with a new key (and saved there). */
  const openCa = async (name: DevHealthCaName, create: (keys: KeyPairInfo) => Promise<IssuedCertificate>) => {
    const dir = caDir(name);
    const stored = dir === undefined ? undefined : await loadCaFiles(dir, clock());
    const register = await registerOf(name); // after loadCaFiles, which refuses a register left alone
    let material = stored && { certificate: stored.certificate, privateKey: stored.keys.privateKey };
    if (!material) {
      const keys = await generateKeyPair(keyAlgorithm);
      const issued = await create(keys);
      if (dir !== undefined) await saveCaFiles(dir, issued, keys.privateKey);
      material = { certificate: issued.certificate, privateKey: keys.privateKey };
    }
    return { ca: new CertificateAuthority({ ...material, register, clock, ...urls(name) }), loaded: stored !== undefined, dir };
  };

  const { ca: root, loaded: rootLoaded, dir: rootDir } = await openCa('root', (keys) =>
    selfSignedRootCertificate({ subject: subject('root'), keys, validityDays: HIERARCHY.root.validityDays, now: clock() }));
  const authorities: Partial<Record<DevHealthCaName, CertificateAuthority>> = { root };
  for (const name of SUB_CAS) {
    const { ca, loaded, dir } = await openCa(name, (keys) =>
      root.issue(PROFILES.subordinateCa, subject(name), keys.publicKey, { validityDays: HIERARCHY[name].validityDays }));
    // A sub-CA left from another root (a root lost and re-created) is refused, not reused.
    if (loaded && !(ca.certificate.issuer.isEqual(root.certificate.subject) && await ca.certificate.verify(root.certificate, cryptoEngine()))) {
      throw new HygieError('CONFIG_INVALID', `the CA in ${dir!} was not issued by the root in ${rootDir!}; remove ${options.dir!} to start again`);
    }
    authorities[name] = ca;
  }
  return new DevHealthPki(authorities as Record<DevHealthCaName, CertificateAuthority>, !rootLoaded, organisation, keyAlgorithm);
}

function publicationUrls(base: string | undefined, name: DevHealthCaName): PublicationUrls {
  if (base === undefined) return {};
  const folder = base.endsWith('/') ? base : base + '/';
  if (!URL.canParse(folder)) throw new HygieError('CONFIG_INVALID', `the PKI publication URL is not an absolute URL: "${base}"`);
  return { crlUrl: new URL(`${name}.crl`, folder).href, caIssuersUrl: new URL(`${name}.crt`, folder).href };
}

function unique(sans: readonly SubjectAltName[]): SubjectAltName[] {
  return [...new Map(sans.map((san) => [subjectAltNameKey(san), san])).values()];
}
