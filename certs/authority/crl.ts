/**
 * X.509 v2 CRLs (RFC 5280 §5): signing one from a CA's revoked entries, and reading one
 * back. The CRL carries cRLNumber and authorityKeyIdentifier; each entry its reasonCode
 * (left out for "unspecified", as RFC 5280 §5.3.1 asks). Signed like certificates:
 * SHA-256 with the CA's RSA or ECDSA key, and the signature checked before returning.
 */
import { parseCrl } from '../trust/crl-source.js';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { HygieError } from '../../core/errors.js';
import { cryptoEngine, type CryptoKey } from '../engine.js';
import { toArrayBuffer, toPem } from '../pem.js';
import { authorityKeyIdentifierExtension, encodeTime, extension, OID, serialNumberHex } from '../x509.js';
import { REVOCATION_REASONS, revocationReasonOfCode, type RevocationReason } from './reasons.js';

export interface CrlEntry {
  readonly serialHex: string;
  readonly date: Date;
  readonly reason: RevocationReason;
}

export interface SignCrlOptions {
  readonly issuer: pkijs.Certificate;
  readonly privateKey: CryptoKey;
  readonly number: bigint;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly entries: readonly CrlEntry[];
}

export interface IssuedCrl {
  readonly crl: pkijs.CertificateRevocationList;
  readonly der: Uint8Array;
  /** PEM with the "X509 CRL" label, as openssl crl reads it. */
  readonly pem: string;
  readonly number: bigint;
}

export async function signCrl(options: SignCrlOptions): Promise<IssuedCrl> {
  const { issuer, thisUpdate, nextUpdate } = options;
  if (!(nextUpdate > thisUpdate)) throw new HygieError('INVALID_INPUT', 'a CRL\'s nextUpdate must be later than its thisUpdate');
  if (options.number < 1n) throw new HygieError('INVALID_INPUT', 'CRL numbers start at 1');
  const engine = cryptoEngine();
  const crl = new pkijs.CertificateRevocationList({
    version: 1, // v2: needed for extensions
    issuer: issuer.subject,
    thisUpdate: encodeTime(thisUpdate),
    nextUpdate: encodeTime(nextUpdate),
    crlExtensions: new pkijs.Extensions({
      extensions: [
        authorityKeyIdentifierExtension(issuer),
        extension(OID.cRLNumber, false, asn1js.Integer.fromBigInt(options.number)),
      ],
    }),
  });
  // An empty list is left out altogether (RFC 5280 §5.1.2.6).
  const entries = [...options.entries].sort((a, b) => compareSerials(a.serialHex, b.serialHex));
  if (entries.length > 0) crl.revokedCertificates = entries.map(revokedCertificate);
  await crl.sign(options.privateKey, 'SHA-256', engine);

  const der = new Uint8Array(crl.toSchema().toBER(false)); // exactly the signed tbsView
  const signed = parseCrl(der);
  if (!(await signed.verify({ issuerCertificate: issuer }, engine))) {
    throw new HygieError('INVALID_INPUT', 'the CRL signing key does not match the CA certificate');
  }
  return { crl: signed, der, pem: toPem(der, 'X509 CRL'), number: options.number };
}

function revokedCertificate(entry: CrlEntry): pkijs.RevokedCertificate {
  const code = REVOCATION_REASONS[entry.reason];
  return new pkijs.RevokedCertificate({
    userCertificate: new asn1js.Integer({ valueHex: serialBytes(entry.serialHex) }),
    revocationDate: encodeTime(entry.date),
    ...(code === REVOCATION_REASONS.unspecified ? {} : {
      crlEntryExtensions: new pkijs.Extensions({
        extensions: [extension(OID.cRLReason, false, new asn1js.Enumerated({ value: code }))],
      }),
    }),
  });
}

/** DER INTEGER content of a positive serial given in hex (a 00 byte added when the top bit is set). */
function serialBytes(serialHex: string): ArrayBuffer {
  const bytes = Buffer.from(serialHex.length % 2 ? '0' + serialHex : serialHex, 'hex');
  return toArrayBuffer(bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

function compareSerials(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}


/** The cRLNumber of a CRL, if it has one. */
export function crlNumberOf(crl: pkijs.CertificateRevocationList): bigint | undefined {
  const ext = crl.crlExtensions?.extensions.find((e) => e.extnID === OID.cRLNumber);
  if (!ext) return undefined;
  const parsed = asn1js.fromBER(ext.extnValue.valueBlock.valueHexView).result;
  return parsed instanceof asn1js.Integer ? parsed.toBigInt() : undefined;
}

/** The entries of a CRL as serials, dates and reasons (reasonCode absent: "unspecified"). */
export function crlEntriesOf(crl: pkijs.CertificateRevocationList): CrlEntry[] {
  return (crl.revokedCertificates ?? []).map((entry) => {
    const ext = entry.crlEntryExtensions?.extensions.find((e) => e.extnID === OID.cRLReason);
    const parsed = ext ? asn1js.fromBER(ext.extnValue.valueBlock.valueHexView).result : undefined;
    const reason = parsed instanceof asn1js.Enumerated ? revocationReasonOfCode(parsed.valueBlock.valueDec) : 'unspecified';
    return { serialHex: serialNumberHex(entry.userCertificate), date: entry.revocationDate.value, reason };
  });
}

