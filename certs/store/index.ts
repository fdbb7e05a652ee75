/**
 * Public surface of the certificate store: storing certificates, private keys (sealed at
 * rest when a secret is configured) and trust anchors; importing PEM, DER and PKCS#12;
 * finding a recipient's encryption certificates and a sender's signing identity.
 */
export { CertificateStore, type CertificateStoreOptions } from './certificate-store.js';
export { certStoreMigrations } from './migrations.js';
export { CertificateStoreError, isCertificateStoreError, type CertificateStoreErrorReason } from './errors.js';
export { PrivateKeyVault, type KeySecret, type KeyEncryption, type SealedKey } from './key-vault.js';
export { certificateFacts, type CertificateFacts } from './certificate-facts.js';
export { normaliseFingerprint } from './certificate-rows.js';
export { readPkcs12, looksLikePkcs12, type Pkcs12Contents } from './pkcs12/read-pkcs12.js';
export type { ImportAlgorithm } from './private-keys.js';
export {
  CERTIFICATE_SOURCES, TRUST_PURPOSES,
  type AuditContext, type CertificateFilter, type CertificateInput, type CertificateRef, type CertificateSource,
  type ImportedCertificate, type ImportOptions, type ImportResult, type SigningIdentity, type StoredCertificate,
  type TrustAnchor, type TrustPurpose,
} from './types.js';
