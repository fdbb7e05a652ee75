/**
 * Recipients of an envelope: choosing the key-management technique from the recipient
 * certificate's key when encrypting, and finding which RecipientInfo belongs to which of
 * our keys when decrypting (by issuer and serial number, or by subject key identifier).
 */
import { KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { HygieError } from '../../core/errors.js';
import type { CryptoKey } from '../engine.js';
import { formatName } from '../names.js';
import { toArrayBuffer } from '../pem.js';
import { findExtension, OID } from '../x509.js';
import { EC_PUBLIC_KEY_OID, RSA_OID } from './envelope-algorithms.js';
import type { RecipientId, RecipientInfo } from './envelope-asn1.js';
import { certificateIdentifiers, certificatePublicKey, describe } from './envelope-certificates.js';
import { EnvelopeFailure } from './envelope-failure.js';
import { decryptKeyAgree, keyAgreeRecipientInfo, keyAgreeScheme } from './envelope-key-agreement.js';
import { decryptKeyTrans, keyTransRecipientInfo, keyTransScheme, type RsaKeyTransport } from './envelope-key-transport.js';

/** One of our decryption keys with the certificate that names it. */
export interface RecipientKey {
  readonly certificate: pkijs.Certificate;
  readonly privateKey: CryptoKey | KeyObject;
}

export type KeyManagement = 'RSA-PKCS1-v1_5' | 'RSA-OAEP' | 'ECDH';

// keyUsage bits (RFC 5280 §4.2.1.3) as they sit in the first byte of the BIT STRING.
const KEY_ENCIPHERMENT = 0x20;
const KEY_AGREEMENT = 0x08;

/** The RecipientInfo (DER) for one recipient certificate, by the type of its public key. */
export function recipientInfoFor(certificate: pkijs.Certificate, contentKey: Buffer, rsaKeyTransport: RsaKeyTransport): Buffer {
  const publicKey = certificatePublicKey(certificate);
  const { issuerAndSerial } = certificateIdentifiers(certificate);
  const algorithm = certificate.subjectPublicKeyInfo.algorithm.algorithmId;
  switch (algorithm) {
    case RSA_OID.rsaEncryption:
      requireKeyUsage(certificate, KEY_ENCIPHERMENT, 'keyEncipherment');
      return keyTransRecipientInfo(issuerAndSerial, publicKey, contentKey, rsaKeyTransport);
    case EC_PUBLIC_KEY_OID:
      requireKeyUsage(certificate, KEY_AGREEMENT, 'keyAgreement');
      return keyAgreeRecipientInfo(issuerAndSerial, publicKey, contentKey);
    default:
      throw new HygieError('INVALID_INPUT', `cannot encrypt for ${describe(certificate)}: key algorithm ${algorithm} is not RSA or EC`);
  }
}

/** A certificate whose keyUsage is present must allow the use (RFC 8551 §4.4.2); absent means any. */
function requireKeyUsage(certificate: pkijs.Certificate, bit: number, name: string): void {
  const usage = findExtension(certificate, OID.keyUsage)?.parsedValue;
  if (!(usage instanceof asn1js.BitString)) return;
  if (((usage.valueBlock.valueHexView[0] ?? 0) & bit) === 0) {
    throw new HygieError('INVALID_INPUT', `cannot encrypt for ${describe(certificate)}: its keyUsage does not allow ${name}`);
  }
}

/** A RecipientInfo addressed to one of our keys, ready to yield the content key. */
export interface Candidate {
  readonly key: RecipientKey;
  readonly keyManagement: KeyManagement;
  /** The content key, `keyLength` bytes; a random one when the unwrap fails (implicit rejection). */
  unwrap(keyLength: number): Buffer;
}

/**
 * Every (RecipientInfo, key) pair addressed to us, in message order. Algorithms are
 * checked here, before any private-key use; a pair we cannot use (unsupported scheme,
 * wrong key type) goes to `refused` with its reason, so that another pair can still serve.
 */
export function findCandidates(recipientInfos: readonly RecipientInfo[], keys: readonly RecipientKey[]): { candidates: Candidate[]; refused: EnvelopeFailure[] } {
  const candidates: Candidate[] = [];
  const refused: EnvelopeFailure[] = [];
  const add = (make: () => Candidate) => {
    try {
      candidates.push(make());
    } catch (error) {
      if (!(error instanceof EnvelopeFailure)) throw error;
      refused.push(error);
    }
  };
  for (const info of recipientInfos) {
    if (info.type === 'ktri') {
      for (const key of keys.filter((k) => names(info.rid, k.certificate))) {
        add(() => {
          const scheme = keyTransScheme(info);
          const privateKey = privateKeyObject(key, 'rsa');
          return {
            key,
            keyManagement: scheme.padding === 'RSA-OAEP' ? 'RSA-OAEP' : 'RSA-PKCS1-v1_5',
            unwrap: (length) => decryptKeyTrans(info, scheme, privateKey, length),
          };
        });
      }
    } else if (info.type === 'kari') {
      for (const { rid, encryptedKey } of info.recipientEncryptedKeys) {
        for (const key of keys.filter((k) => names(rid, k.certificate))) {
          add(() => {
            const scheme = keyAgreeScheme(info);
            const privateKey = privateKeyObject(key, 'ec');
            return { key, keyManagement: 'ECDH', unwrap: (length) => decryptKeyAgree(scheme, encryptedKey, privateKey, length) };
          });
        }
      }
    }
    // KEK, password and other RecipientInfos are never ours: we hold certificate keys only.
  }
  return { candidates, refused };
}

/** Whether a RecipientIdentifier names this certificate. */
function names(rid: RecipientId, certificate: pkijs.Certificate): boolean {
  const own = certificateIdentifiers(certificate);
  if (rid.kind === 'subjectKeyIdentifier') return rid.keyIdentifier.equals(own.subjectKeyIdentifier);
  if (!rid.serial.equals(own.serial)) return false;
  if (rid.issuer.equals(own.issuer)) return true;
  // Same serial, differently encoded issuer (rare): compare the names as RFC 5280 §7.1 does.
  try {
    return pkijs.RelativeDistinguishedNames.fromBER(toArrayBuffer(rid.issuer)).isEqual(certificate.issuer);
  } catch {
    return false;
  }
}

/**
 * The node:crypto view of a private key (a KeyObject is used as is). For a WebCrypto key
 * it works whatever algorithm and usages the CryptoKey was imported with (RSASSA for
 * signing, ECDSA…) and even when it is not extractable, so one stored key serves signing
 * and decryption alike.
 */
function privateKeyObject(key: RecipientKey, expected: 'rsa' | 'ec'): KeyObject {
  let keyObject: KeyObject;
  try {
    keyObject = key.privateKey instanceof KeyObject ? key.privateKey : KeyObject.from(key.privateKey);
  } catch {
    throw new EnvelopeFailure('unsupported-algorithm', `the key of ${describe(key.certificate)} is not a usable private key`);
  }
  if (keyObject.type !== 'private' || keyObject.asymmetricKeyType !== expected) {
    throw new EnvelopeFailure('unsupported-algorithm', `the key of ${describe(key.certificate)} is not an ${expected.toUpperCase()} private key`);
  }
  return keyObject;
}

/** Who a message is encrypted for, for the operator reading a no-matching-key failure. */
export function describeRecipients(recipientInfos: readonly RecipientInfo[]): string {
  const rids = recipientInfos.flatMap((info) =>
    info.type === 'ktri' ? [info.rid] : info.type === 'kari' ? info.recipientEncryptedKeys.map((k) => k.rid) : []);
  const described = rids.slice(0, 5).map((rid) => {
    if (rid.kind === 'subjectKeyIdentifier') return `key ${rid.keyIdentifier.toString('hex').toUpperCase()}`;
    let issuer = '?';
    try {
      issuer = formatName(pkijs.RelativeDistinguishedNames.fromBER(toArrayBuffer(rid.issuer)));
    } catch {
      // an unreadable name is shown as '?'
    }
    return `serial ${rid.serial.toString('hex').toUpperCase().replace(/^(00)+(?=.)/, '')} of ${issuer}`;
  });
  const others = recipientInfos.length - recipientInfos.filter((i) => i.type !== 'other').length;
  return [...described, ...(rids.length > 5 ? [`${rids.length - 5} more`] : []), ...(others ? [`${others} non-certificate recipient(s)`] : [])].join('; ');
}
