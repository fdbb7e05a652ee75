/**
 * The certificate authority engine: CAs that issue from profiles, revoke and sign CRLs,
 * their registers, and the development PKI shaped like the health PKI.
 */
export {
  CertificateAuthority, normaliseSerial, selfSignedRootCertificate,
  type CertificateAuthorityOptions, type RootOptions, type IssueOptions, type AuthorityIssuedCertificate, type CrlOptions, type PublicationUrls,
} from './authority.js';
export { signCrl, crlNumberOf, crlEntriesOf, type CrlEntry, type IssuedCrl, type SignCrlOptions } from './crl.js';
export { REVOCATION_REASONS, isRevocationReason, revocationReasonOfCode, type RevocationReason } from './reasons.js';
export {
  MemoryRevocationRegister, EMPTY_REGISTER, withIssued, withRevocation, withNextCrlNumber,
  type RevocationRegister, type CertificateRecord, type Revocation, type RegisterState,
} from './register.js';
export { JsonFileRevocationRegister, encodeRegister, decodeRegister } from './json-register.js';
export { CA_FILES, loadCaFiles, saveCaFiles, type StoredCa } from './ca-files.js';
export {
  createDevHealthPki, DevHealthPki,
  type DevHealthPkiOptions, type DevHealthCaName, type SubCaName, type MailboxType, type TlsClientKind,
  type LeafOptions, type IssuedCredential,
} from './dev-health-pki.js';
