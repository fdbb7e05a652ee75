/**
 * PEM text and DER bytes into a bundle of certificates and private keys, ready for the
 * store to match and save. PEM may mix certificates (a chain), PKCS#7 certificate
 * bundles and keys in any of the forms openssl writes; DER is one certificate or a
 * PKCS#7 "certs-only" bundle (.p7b/.p7c).
 */
import type { KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { toArrayBuffer } from '../pem.js';
import { CertificateStoreError } from './errors.js';
import { looksLikePkcs12 } from './pkcs12/read-pkcs12.js';
import { readPrivateKeyPem } from './private-keys.js';

export interface Bundle {
  /** DER certificates in input order. */
  readonly certificates: Uint8Array[];
  readonly privateKeys: KeyObject[];
  /** Labels of PEM blocks that hold nothing to store (EC PARAMETERS, X509 CRL, PUBLIC KEY…). */
  readonly ignored: string[];
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const CERTIFICATE_LABELS = new Set(['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE']);
const PKCS7_LABELS = new Set(['PKCS7', 'CMS']);
const KEY_LABELS = new Set(['PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']);
const SIGNED_DATA = '1.2.840.113549.1.7.2';

export function readPemBundle(text: string, password?: string): Bundle {
  const bundle: Bundle = { certificates: [], privateKeys: [], ignored: [] };
  let blocks = 0;
  for (const match of text.matchAll(BLOCK)) {
    blocks++;
    const label = match[1]!;
    // Keys go to OpenSSL whole: encrypted traditional keys carry Proc-Type/DEK-Info headers.
    if (KEY_LABELS.has(label)) bundle.privateKeys.push(readPrivateKeyPem(match[0], password));
    else if (CERTIFICATE_LABELS.has(label)) bundle.certificates.push(firstElement(decodeBase64(label, match[2]!)));
    else if (PKCS7_LABELS.has(label)) bundle.certificates.push(...certificatesOfPkcs7(decodeBase64(label, match[2]!)));
    else bundle.ignored.push(label);
  }
  if (blocks === 0) throw new CertificateStoreError('unreadable-input', 'not PEM text: no "-----BEGIN …-----" block found');
  return bundle;
}

/** One DER certificate, or a PKCS#7 certificate bundle. */
export function readDerBundle(bytes: Uint8Array): Bundle {
  if (bytes.length === 0 || bytes[0] !== 0x30) throw notDer(bytes);
  if (isPkcs7(bytes)) return { certificates: certificatesOfPkcs7(bytes), privateKeys: [], ignored: [] };
  if (looksLikePkcs12(bytes)) {
    throw new CertificateStoreError('unreadable-input', 'this is a PKCS#12 file, not a DER certificate: import it as PKCS#12 with its password');
  }
  return { certificates: [bytes], privateKeys: [], ignored: [] };
}

function notDer(bytes: Uint8Array): CertificateStoreError {
  const pem = Buffer.from(bytes.subarray(0, 64)).toString('latin1').includes('-----BEGIN');
  return new CertificateStoreError('unreadable-input', pem ? 'this is PEM text, not DER: import it as PEM' : 'not a DER certificate: the bytes are not an ASN.1 SEQUENCE');
}

function decodeBase64(label: string, body: string): Uint8Array {
  const compact = body.replace(/\s+/g, '');
  if (!BASE64.test(compact) || compact.length % 4 !== 0) {
    throw new CertificateStoreError('unreadable-input', `PEM block "${label}" is not valid base64`);
  }
  return new Uint8Array(Buffer.from(compact, 'base64'));
}

/** The first DER element: OpenSSL's TRUSTED CERTIFICATE appends trust settings after the certificate. */
function firstElement(der: Uint8Array): Uint8Array {
  const parsed = asn1js.fromBER(toArrayBuffer(der));
  if (parsed.offset === -1) throw new CertificateStoreError('unreadable-input', 'a PEM certificate block is not DER');
  return der.subarray(0, parsed.offset);
}

function isPkcs7(bytes: Uint8Array): boolean {
  try {
    return pkijs.ContentInfo.fromBER(toArrayBuffer(bytes)).contentType === SIGNED_DATA;
  } catch {
    return false;
  }
}

/**
 * The certificates of a SignedData, as the exact bytes found (re-encoding could change
 * a certificate that is not strict DER, and with it its fingerprint).
 */
function certificatesOfPkcs7(bytes: Uint8Array): Uint8Array[] {
  try {
    const info = pkijs.ContentInfo.fromBER(toArrayBuffer(bytes));
    if (info.contentType !== SIGNED_DATA) throw new Error(`content type ${info.contentType}`);
    const fields = (info.content as asn1js.Sequence).valueBlock.value;
    // SignedData: version, digestAlgorithms, encapContentInfo, [0] IMPLICIT certificates OPTIONAL, …
    const certificates = fields.find((f) => f.idBlock.tagClass === 3 && f.idBlock.tagNumber === 0) as asn1js.Constructed | undefined;
    return (certificates?.valueBlock.value ?? [])
      .filter((c) => c.idBlock.tagClass === 1 && c.idBlock.tagNumber === 16) // plain certificates, not attribute certificates
      .map((c) => Uint8Array.from(c.valueBeforeDecodeView));
  } catch (cause) {
    throw new CertificateStoreError('unreadable-input', 'not a readable PKCS#7 certificate bundle', { cause });
  }
}
