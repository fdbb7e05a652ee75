/**
 * What envelopes need to know about a certificate: the identifiers that name it in a
 * RecipientInfo, its public key, and how to show it to people. Cached per certificate.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type * as pkijs from 'pkijs';
import { HygieError } from '../../core/errors.js';
import { formatName } from '../names.js';
import { subjectAltNamesOf, subjectKeyIdentifierOf } from '../x509.js';
import { writeIssuerAndSerialNumber } from './envelope-asn1.js';

/** The certificate we decrypted with, as the gateway records and shows it. */
export interface RecipientIdentity {
  /** Uppercase hex without leading zero bytes, as `openssl x509 -serial` prints it. */
  serial: string;
  /** RFC 4514 form of the issuer name. */
  issuer: string;
  /** First e-mail address of the certificate (subjectAltName, else the subject's emailAddress). */
  email: string | null;
}

/** How envelopes name a certificate, in the encodings they use. */
export interface CertificateIdentifiers {
  issuer: Buffer;
  serial: Buffer;
  /** IssuerAndSerialNumber DER, the RecipientIdentifier we write. */
  issuerAndSerial: Buffer;
  subjectKeyIdentifier: Buffer;
  /** SubjectPublicKeyInfo DER. */
  spki: Buffer;
}

// Computed once per certificate object (certificates are never modified once parsed):
// re-encoding names through pkijs and decoding an RSA key in OpenSSL 3 each cost more than
// the RSA encryption itself, and the gateway encrypts to the same certificates again and again.
const identifiers = new WeakMap<pkijs.Certificate, CertificateIdentifiers>();
const publicKeys = new WeakMap<pkijs.Certificate, KeyObject>();

export function certificateIdentifiers(certificate: pkijs.Certificate): CertificateIdentifiers {
  let entry = identifiers.get(certificate);
  if (!entry) {
    // A parsed certificate keeps its issuer name as received: reuse those exact bytes.
    const issuer = certificate.issuer.valueBeforeDecode.byteLength > 0
      ? Buffer.from(certificate.issuer.valueBeforeDecode)
      : Buffer.from(certificate.issuer.toSchema().toBER(false));
    const serial = Buffer.from(certificate.serialNumber.valueBlock.valueHexView);
    entry = {
      issuer, serial, issuerAndSerial: writeIssuerAndSerialNumber(issuer, serial),
      subjectKeyIdentifier: Buffer.from(subjectKeyIdentifierOf(certificate)),
      spki: Buffer.from(certificate.subjectPublicKeyInfo.toSchema().toBER(false)),
    };
    identifiers.set(certificate, entry);
  }
  return entry;
}

/** The certificate's public key for node:crypto. */
export function certificatePublicKey(certificate: pkijs.Certificate): KeyObject {
  let publicKey = publicKeys.get(certificate);
  if (!publicKey) {
    try {
      publicKey = createPublicKey({ key: certificateIdentifiers(certificate).spki, format: 'der', type: 'spki' });
    } catch (cause) {
      throw new HygieError('INVALID_INPUT', `cannot encrypt for ${describe(certificate)}: unreadable public key`, { cause });
    }
    publicKeys.set(certificate, publicKey);
  }
  return publicKey;
}

export function recipientIdentity(certificate: pkijs.Certificate): RecipientIdentity {
  let serial = Buffer.from(certificate.serialNumber.valueBlock.valueHexView);
  while (serial.length > 1 && serial[0] === 0) serial = serial.subarray(1);
  const sanEmail = subjectAltNamesOf(certificate).find((san): san is { email: string } => 'email' in san)?.email;
  const subjectEmail = certificate.subject.typesAndValues.find((tv) => tv.type === '1.2.840.113549.1.9.1')?.value.valueBlock.value;
  return {
    serial: serial.toString('hex').toUpperCase(),
    issuer: formatName(certificate.issuer),
    email: sanEmail ?? (typeof subjectEmail === 'string' ? subjectEmail : null),
  };
}

export function describe(certificate: pkijs.Certificate): string {
  const { serial, issuer } = recipientIdentity(certificate);
  return `certificate ${serial} of ${issuer}`;
}
