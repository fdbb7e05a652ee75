/**
 * The development health PKI as the operator uses it: opened from its folder and kept in
 * step with the certificate store (root trusted for S/MIME and TLS peers, sub-CAs stored
 * so that signatures carry their chain, a CRL per CA on disk from the start), issuing
 * certificates straight into the store, and revoking with a fresh CRL. Audited.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AuditTrail } from '../core/audit.js';
import { HygieError } from '../core/errors.js';
import { normaliseSerial } from './authority/authority.js';
import { createDevHealthPki, type DevHealthPki, type SubCaName } from './authority/dev-health-pki.js';
import type { RevocationReason } from './authority/reasons.js';
import type { KeyAlgorithm } from './keys.js';
import type { SmimeUsage } from './profiles.js';
import type { CertificateStore } from './store/certificate-store.js';
import type { StoredCertificate, TrustPurpose } from './store/types.js';
import { parseCrl, StaticCrlSource } from './trust/crl-source.js';

export const SUB_CAS: readonly SubCaName[] = ['servers', 'persons', 'organisations'];
const ALL_CAS = ['root', ...SUB_CAS] as const;
const TRUSTED_FOR: readonly TrustPurpose[] = ['smime', 'tls-peer'];
/** The CRL each CA last issued, next to its ca.crt. */
export const CRL_FILE = 'ca.crl';

export interface DevHealthPkiServiceOptions {
  /** Folder of the PKI: <dataDir>/pki/health. */
  dir: string;
  organisation: string;
  certificates: CertificateStore;
  audit: AuditTrail;
}

export interface Revocation {
  serial: string;
  authority: string;
  date: Date;
  crlNumber: bigint;
  crlFile: string;
}

export class DevHealthPkiService {
  private opened: Promise<DevHealthPki> | undefined;

  constructor(private readonly options: DevHealthPkiServiceOptions) {}

  get dir(): string {
    return this.options.dir;
  }

  get trustedFor(): readonly TrustPurpose[] {
    return TRUSTED_FOR;
  }

  /** Opens (creating it the first time) and brings the store in step; safe to repeat. */
  async open(actor: string): Promise<{ pki: DevHealthPki; created: boolean }> {
    const pki = await (this.opened ??= createDevHealthPki({ dir: this.options.dir, organisation: this.options.organisation }));
    const { certificates } = this.options;
    for (const purpose of TRUSTED_FOR) await certificates.addTrustAnchor(pki.root.certificate, purpose, actor);
    for (const name of SUB_CAS) await certificates.addCertificate(pki[name].der, { source: 'issued', actor });
    for (const name of ALL_CAS) {
      const file = this.crlFile(name);
      if (!existsSync(file)) writeFileSync(file, (await pki[name].crl()).pem, { mode: 0o644 });
    }
    return { pki, created: pki.created };
  }

  /** An S/MIME certificate for a mailbox address, stored with its private key. */
  async issueSmime(address: string, options: { usage: SmimeUsage; keyAlgorithm: KeyAlgorithm; actor: string }): Promise<{ stored: StoredCertificate; issuer: string }> {
    const { pki } = await this.open(options.actor);
    const issued = await pki.issueSmime(address, { usage: options.usage, keyAlgorithm: options.keyAlgorithm });
    const stored = await this.options.certificates.addCertificate(issued.certificate.der, { source: 'issued', privateKey: issued.privateKey, actor: options.actor });
    return { stored, issuer: issued.issuer };
  }

  /** A TLS client certificate for a peer operator's relay or an application, stored with its key. */
  async issueTlsClient(name: string, kind: 'operator' | 'application', actor: string): Promise<{ stored: StoredCertificate; issuer: string; pem: string }> {
    const { pki } = await this.open(actor);
    const issued = await pki.issueTlsClient(name, kind);
    const stored = await this.options.certificates.addCertificate(issued.certificate.der, { source: 'issued', privateKey: issued.privateKey, actor });
    return { stored, issuer: issued.issuer, pem: issued.certificate.pem };
  }

  /** Revokes a certificate the PKI issued and writes its CA's new CRL. */
  async revoke(serialText: string, reason: RevocationReason, actor: string): Promise<Revocation> {
    const serial = normaliseSerial(serialText);
    const { pki } = await this.open(actor);
    for (const name of SUB_CAS) {
      const ca = pki[name];
      if (!(await ca.register.find(serial))) continue;
      const record = await ca.revoke(serial, reason);
      const crl = await ca.crl();
      const crlFile = this.crlFile(name);
      writeFileSync(crlFile, crl.pem, { mode: 0o644 });
      await this.options.audit.record({
        action: 'certs.revoke', outcome: 'success', actor, channel: 'cli', subject: serial,
        details: { ca: name, reason, crlNumber: crl.number.toString() },
      });
      return { serial, authority: ca.name, date: record.revocation?.date ?? new Date(), crlNumber: crl.number, crlFile };
    }
    throw new HygieError('INVALID_INPUT', `no CA of the development PKI issued serial ${serial}`);
  }

  /** The CRLs on disk, for verification. */
  crlSource(): StaticCrlSource {
    const source = new StaticCrlSource();
    for (const name of ALL_CAS) {
      const file = this.crlFile(name);
      if (existsSync(file)) source.add(parseCrl(readFileSync(file, 'utf8')));
    }
    return source;
  }

  private crlFile(name: (typeof ALL_CAS)[number]): string {
    return path.join(this.options.dir, name, CRL_FILE);
  }
}
