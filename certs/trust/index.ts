/**
 * Certificate path validation and revocation, separate from CMS so that TLS peer checks
 * and S/MIME verification share one implementation.
 */
export { TrustStore, certificatesOfPem } from './trust-store.js';
export {
  StaticCrlSource, CachingCrlSource, parseCrl,
  type CrlSource, type CrlRequest, type CrlLoader, type CachingCrlSourceOptions,
} from './crl-source.js';
export { checkRevocation, distributionPointsOf, type RevocationCheck } from './revocation.js';
export {
  validateCertificatePath,
  type CertificateUsage, type PathFailureReason, type PathValidationOptions, type PathValidationResult, type RevocationOutcome,
} from './path-validation.js';
export { emailAddressesOf, serialHexOf } from './certificate-facts.js';
export { certificateFromDer } from './certificate-cache.js';
