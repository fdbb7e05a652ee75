/**
 * Public surface of the certs module. Other modules import from here only, so that the
 * internal split (names, keys, profiles, x509, files) can change freely.
 */
export { cryptoEngine } from './engine.js';
export type { CryptoKey, CryptoKeyPair } from './engine.js';
export { toPem, fromPem, pemBlocks, type PemBlock } from './pem.js';
export {
  DEFAULT_KEY_ALGORITHM, generateKeyPair, exportPrivateKeyPem, importPrivateKeyPem, keyAlgorithmOf,
  type KeyAlgorithm, type KeyPairInfo,
} from './keys.js';
export { encodeName, formatName, type DistinguishedName, type SubjectAltName } from './names.js';
export {
  PROFILES, KEY_USAGE_BITS, EXTENDED_KEY_USAGE_OIDS,
  type CertificateProfile, type ProfileName, type KeyUsageName, type ExtendedKeyUsageName,
} from './profiles.js';
export {
  issueCertificate, randomSerial, parseCertificate, certificateDer, findExtension, isCa,
  subjectAltNamesOf, subjectKeyIdentifierOf, keyIdentifier, OID,
  type IssueCertificateOptions, type IssuedCertificate, type IssuerSpec, type Validity,
} from './x509.js';
export { describeCertificate, fingerprint, type CertificateDescription } from './describe.js';
export { ensureDevPki, type DevPki, type DevPkiOptions } from './dev-pki.js';
export * from './authority/index.js';
export * from './trust/index.js';
export { signMessage, signCms, type Signer, type SignOptions, type SignatureMode, type SignatureHash } from './cms/sign.js';
export { verifyMessage, verifyCms, type VerifyOptions } from './cms/verify.js';
export { encryptMessage, encryptCms, type EncryptOptions } from './cms/encrypt.js';
export { decryptMessage, decryptCms, type DecryptResult, type RecipientKey } from './cms/decrypt.js';
export { signAndEncryptMessage, type SignAndEncryptOptions } from './cms/sign-encrypt.js';
export { IN_PROCESS, type SmimeOperations } from './cms/operations.js';
export { SmimePool, type SmimePoolOptions } from './workers/smime-pool.js';
export * from './cms/verdict.js';
export {
  CertificateStore, CertificateStoreError, isCertificateStoreError,
  type StoredCertificate, type ImportResult, type TrustAnchor, type TrustPurpose,
} from './store/index.js';
export {
  SmimeService, type SmimeServiceOptions, type SignedAs, type EncryptedFor, type SignedAndEncrypted, type SignAndEncryptForOptions,
} from './smime-service.js';
export { DevHealthPkiService, SUB_CAS, CRL_FILE, type Revocation } from './dev-health-pki-service.js';
