/**
 * A human-checkable summary of a certificate, for the operator CLI (`hygie pki print-ca`)
 * and logs: a user importing the dev CA into a mail client compares the SHA-256
 * fingerprint printed here with the one the client shows.
 */
import { createHash } from 'node:crypto';
import { parseCertificate, subjectAltNamesOf } from './x509.js';
import { formatName } from './names.js';
import { fromPem } from './pem.js';

export interface CertificateDescription {
  /** RFC 4514 form, most specific first: "CN=…,O=…". */
  subject: string;
  issuer: string;
  /** Uppercase hex without leading zero bytes, as `openssl x509 -serial` prints it. */
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 of the DER certificate, "AA:BB:…" uppercase, as mail clients display it. */
  sha256Fingerprint: string;
  dnsNames: string[];
  ipAddresses: string[];
}

/** Describes the first certificate of a PEM text (or DER bytes). */
export function describeCertificate(pem: string | Uint8Array): CertificateDescription {
  const der = typeof pem === 'string' ? fromPem(pem, 'CERTIFICATE') : pem;
  const cert = parseCertificate(der);
  const sans = subjectAltNamesOf(cert);
  let serial = Buffer.from(cert.serialNumber.valueBlock.valueHexView);
  while (serial.length > 1 && serial[0] === 0) serial = serial.subarray(1);
  return {
    subject: formatName(cert.subject),
    issuer: formatName(cert.issuer),
    serialHex: serial.toString('hex').toUpperCase(),
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    sha256Fingerprint: fingerprint(der),
    dnsNames: sans.flatMap((s) => ('dns' in s ? [s.dns] : [])),
    ipAddresses: sans.flatMap((s) => ('ip' in s ? [s.ip] : [])),
  };
}

/** SHA-256 fingerprint of DER bytes as colon-separated uppercase hex pairs. */
export function fingerprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':');
}
