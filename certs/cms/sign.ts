/**
 * S/MIME signing (RFC 8551 §3.5) of whole RFC 5322 messages, over CMS SignedData
 * (RFC 5652 §5). The outer header (From, To, Subject…) stays as it is; the MIME entity is
 * made 7-bit clean (seven-bit.ts), canonicalised, and signed either detached
 * (multipart/signed, readable by clients without S/MIME) or opaque (pkcs7-mime).
 *
 * The private-key operation is done by OpenSSL through Node: the WebCrypto key is turned
 * into its KeyObject, which lets one RSA key sign with SHA-256, -384 or -512 (a WebCrypto
 * RSA key is bound to one hash) and gives DER ECDSA signatures as CMS wants them.
 */
import { createHash, createPublicKey, KeyObject, sign as nodeSign } from 'node:crypto';
import type * as pkijs from 'pkijs';
import { HygieError } from '../../core/errors.js';
import type { CryptoKey } from '../engine.js';
import { certificateDerOf, sameCertificate } from '../trust/certificate-facts.js';
import { DIGEST_OIDS, nodeDigestName, SIGNATURE_OIDS } from '../trust/signatures.js';
import {
  algorithmIdentifier, contextTag, joinPieces, objectIdentifier, octetString, sequence, setOf, smallInteger, tlvPieces,
} from './der-writer.js';
import { joinMessage, multipartSignedEntity, pkcs7MimeEntity, splitMessageParts, type Allocate, type HeaderField } from './mime.js';
import { freshRandomBytes } from './random-pool.js';
import { sevenBitCanonical } from './seven-bit.js';
import { CMS_OIDS, encodeSignedAttributes } from './signed-attributes.js';

export type SignatureMode = 'detached' | 'opaque';
export type SignatureHash = 'SHA-256' | 'SHA-384' | 'SHA-512';

export interface Signer {
  readonly certificate: pkijs.Certificate;
  /** RSA (PKCS#1 v1.5 signatures) or ECDSA private key; a CryptoKey must allow 'sign'. */
  readonly privateKey: CryptoKey | KeyObject;
  /** Intermediate CAs to include so that recipients can build the path. */
  readonly chain?: readonly pkijs.Certificate[];
  /**
   * A separate encryption certificate: included, and named in the
   * SMIMEEncryptionKeyPreference attribute so that replies are encrypted to it.
   */
  readonly encryptionCertificate?: pkijs.Certificate;
}

export interface SignOptions {
  /** Default 'detached'. */
  readonly mode?: SignatureMode;
  /** Default 'SHA-256'. */
  readonly hash?: SignatureHash;
  /** Default now. */
  readonly signingTime?: Date;
  /**
   * Make the private-key operation on this thread instead of libuv's pool. For worker
   * threads (certs/workers/), where blocking is the point and the pool hop only costs.
   */
  readonly inline?: boolean;
}

/** micalg values of RFC 8551 §3.5.3.2. */
const MICALG: Readonly<Record<SignatureHash, string>> = { 'SHA-256': 'sha-256', 'SHA-384': 'sha-384', 'SHA-512': 'sha-512' };

/**
 * Signs a whole message. Detached gives
 * `multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256`, opaque gives
 * `application/pkcs7-mime; smime-type=signed-data`.
 */
export async function signMessage(message: Buffer, signer: Signer, options: SignOptions = {}): Promise<Buffer> {
  const signed = await signParts(message, signer, options);
  return joinMessage(signed.outer, signedEntity(signed));
}

/** A message signed, before its signed MIME entity is written. */
export interface SignedParts {
  /** The outer header, left as it was. */
  readonly outer: HeaderField[];
  /** The signed MIME entity: 7-bit, canonical. */
  readonly content: Buffer;
  /** The SignedData ContentInfo. */
  readonly der: Uint8Array;
  readonly mode: SignatureMode;
  readonly hash: SignatureHash;
}

/**
 * Signs a message and stops before writing its signed entity: sign-then-encrypt
 * (sign-encrypt.ts) writes the entity where it encrypts it, instead of putting a message
 * together and taking it apart again.
 */
export async function signParts(message: Buffer, signer: Signer, options: SignOptions = {}): Promise<SignedParts> {
  const mode = options.mode ?? 'detached';
  const hash = options.hash ?? 'SHA-256';
  // Raw split: a binary body is base64-encoded as is, then everything is 7-bit and canonicalised.
  const { outer, entityFields, body } = splitMessageParts(message, { canonicalize: false });
  const content = sevenBitCanonical(entityFields, body);
  const der = await signCms(content, signer, { ...options, mode, hash });
  return { outer, content, der, mode, hash };
}

/**
 * The signed MIME entity: multipart/signed (detached) or pkcs7-mime (opaque), in a buffer
 * from `allocate`.
 */
export function signedEntity(signed: SignedParts, allocate?: Allocate): Buffer {
  return signed.mode === 'detached'
    ? multipartSignedEntity(signed.content, signed.der, MICALG[signed.hash], `----=_Hygie_signed_${freshRandomBytes(12).toString('hex')}`, allocate)
    : pkcs7MimeEntity(signed.der, 'signed-data', allocate);
}

/**
 * CMS SignedData (a ContentInfo, DER) over `content` as id-data: one SignerInfo identified
 * by issuerAndSerialNumber, with signed attributes contentType, signingTime,
 * messageDigest and SMIMECapabilities; the signer's certificate and chain included.
 * Written as pieces and joined once (the certificates and, when opaque, the content are
 * copied once).
 */
export async function signCms(content: Uint8Array, signer: Signer, options: SignOptions = {}): Promise<Uint8Array> {
  const mode = options.mode ?? 'detached';
  const hash = options.hash ?? 'SHA-256';
  if (!(hash in MICALG)) throw new HygieError('INVALID_INPUT', `unsupported signature hash ${hash}`);
  const prepared = preparedSigner(signer);
  const signatureAlgorithm = signatureAlgorithmFor(prepared.key, hash);

  const signedAttributes = encodeSignedAttributes({
    contentType: CMS_OIDS.data,
    messageDigest: createHash(nodeDigestName(hash)).update(content).digest(),
    signingTime: options.signingTime ?? new Date(),
    ...(prepared.encryptionKeyPreference ? { encryptionKeyPreference: prepared.encryptionKeyPreference } : {}),
  });
  const signature = options.inline
    ? nodeSign(nodeDigestName(hash), signedAttributes, prepared.key)
    : await signOnThreadPool(hash, signedAttributes, prepared.key);

  const digestAlgorithm = DIGEST_ALGORITHMS[hash];
  const signerInfo = tlvPieces(0x30,
    VERSION_1, // issuerAndSerialNumber
    prepared.sid,
    digestAlgorithm,
    // [0] IMPLICIT: the same bytes as the signed SET OF, with the context tag.
    [IMPLICIT_0, signedAttributes.subarray(1)],
    signatureAlgorithm,
    octetString(signature),
  );
  const encapsulated = mode === 'opaque'
    ? tlvPieces(0x30, DATA_OID, tlvPieces(0xa0, tlvPieces(0x04, content)))
    : DETACHED_CONTENT;
  const signedData = tlvPieces(0x30,
    VERSION_1, // no attribute certificates, id-data, issuerAndSerialNumber
    DIGEST_ALGORITHM_SETS[hash],
    encapsulated,
    prepared.certificates, // certificates [0] IMPLICIT SET OF, signer first
    tlvPieces(0x31, signerInfo),
  );
  return joinPieces(tlvPieces(0x30, SIGNED_DATA_OID, tlvPieces(0xa0, signedData)));
}

// The fixed parts of every SignedData, encoded once (pieces are only read, never written).
const VERSION_1 = smallInteger(1);
const IMPLICIT_0 = Buffer.from([0xa0]);
const DATA_OID = objectIdentifier(CMS_OIDS.data);
const SIGNED_DATA_OID = objectIdentifier(CMS_OIDS.signedData);
const DETACHED_CONTENT = sequence(DATA_OID);
const DIGEST_ALGORITHMS = Object.fromEntries(
  Object.keys(MICALG).map((hash) => [hash, algorithmIdentifier(DIGEST_OIDS[hash as SignatureHash])]),
) as Record<SignatureHash, Buffer>;
const DIGEST_ALGORITHM_SETS = Object.fromEntries(
  Object.entries(DIGEST_ALGORITHMS).map(([hash, identifier]) => [hash, setOf([identifier])]),
) as Record<SignatureHash, Buffer>;

/** What signing needs from a Signer, computed once: the checked key and the DER that goes in every SignedData. */
interface PreparedSigner {
  readonly key: KeyObject;
  /** IssuerAndSerialNumber of the signer certificate. */
  readonly sid: Buffer;
  /** certificates [0] IMPLICIT SET OF, signer first. */
  readonly certificates: Buffer;
  readonly encryptionKeyPreference: Buffer | undefined;
}

/** The last preparation per certificate, with what it was prepared from. */
const preparedSigners = new WeakMap<pkijs.Certificate, { signer: Signer; prepared: PreparedSigner }>();

function preparedSigner(signer: Signer): PreparedSigner {
  const cached = preparedSigners.get(signer.certificate);
  if (cached && sameSigner(cached.signer, signer)) return cached.prepared;
  const prepared: PreparedSigner = {
    key: signingKeyObject(signer),
    sid: issuerAndSerialNumber(signer.certificate),
    certificates: contextTag(0, ...includedCertificates(signer).map(certificateDerOf)),
    encryptionKeyPreference: signer.encryptionCertificate ? issuerAndSerialNumber(signer.encryptionCertificate) : undefined,
  };
  preparedSigners.set(signer.certificate, { signer: { ...signer, chain: [...(signer.chain ?? [])] }, prepared });
  return prepared;
}

/** The same key, certificate, chain and encryption certificate (objects compared by identity). */
function sameSigner(a: Signer, b: Signer): boolean {
  const chainA = a.chain ?? [];
  const chainB = b.chain ?? [];
  return a.privateKey === b.privateKey && a.certificate === b.certificate && a.encryptionCertificate === b.encryptionCertificate
    && chainA.length === chainB.length && chainA.every((cert, i) => cert === chainB[i]);
}

/** Keys already checked against certificates: the check costs as much as the rest of signing. */
const checkedKeys = new WeakMap<CryptoKey | KeyObject, { key: KeyObject; certificates: WeakSet<pkijs.Certificate> }>();

/** The signing key as a KeyObject, checked (once per key and certificate) against the certificate's public key. */
function signingKeyObject(signer: Signer): KeyObject {
  const { privateKey, certificate } = signer;
  const checked = checkedKeys.get(privateKey);
  if (checked?.certificates.has(certificate)) return checked.key;
  const usable = privateKey instanceof KeyObject ? privateKey.type === 'private' : privateKey.type === 'private' && privateKey.usages.includes('sign');
  if (!usable) throw new HygieError('INVALID_INPUT', 'the signer key is not a private signing key');
  const key = checked?.key ?? (privateKey instanceof KeyObject ? privateKey : KeyObject.from(privateKey));
  const fromKey = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const fromCertificate = Buffer.from(certificate.subjectPublicKeyInfo.toSchema().toBER(false));
  if (!fromKey.equals(fromCertificate)) {
    throw new HygieError('INVALID_INPUT', 'the signer private key does not belong to the signer certificate');
  }
  const entry = checked ?? { key, certificates: new WeakSet<pkijs.Certificate>() };
  entry.certificates.add(certificate);
  checkedKeys.set(privateKey, entry);
  return key;
}

const RSA_SIGNATURE_ALGORITHM = algorithmIdentifier(SIGNATURE_OIDS.rsaEncryption, true);

/** RSA keys sign with PKCS#1 v1.5 and are named rsaEncryption, as OpenSSL and most clients do (RFC 3370 §3.2). */
function signatureAlgorithmFor(key: KeyObject, hash: SignatureHash): Buffer {
  if (key.asymmetricKeyType === 'rsa') return RSA_SIGNATURE_ALGORITHM;
  if (key.asymmetricKeyType === 'ec') {
    const oid = { 'SHA-256': SIGNATURE_OIDS.ecdsaWithSha256, 'SHA-384': SIGNATURE_OIDS.ecdsaWithSha384, 'SHA-512': SIGNATURE_OIDS.ecdsaWithSha512 }[hash];
    return algorithmIdentifier(oid); // RFC 5758 §3.2: parameters absent
  }
  throw new HygieError('INVALID_INPUT', `unsupported signer key type ${key.asymmetricKeyType}`);
}

/** Signs on libuv's thread pool, so that concurrent messages use several cores. */
function signOnThreadPool(hash: SignatureHash, data: Uint8Array, key: KeyObject): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    nodeSign(nodeDigestName(hash), data, key, (error, signature) => (error ? reject(error) : resolve(signature)));
  });
}

/** IssuerAndSerialNumber with the issuer name exactly as encoded in the certificate. */
export function issuerAndSerialNumber(cert: pkijs.Certificate): Buffer {
  const issuer = Buffer.from(cert.issuer.valueBeforeDecode);
  const name = issuer.length > 0 ? issuer : Buffer.from(cert.issuer.toSchema().toBER(false));
  return sequence(name, Buffer.from(cert.serialNumber.toBER(false)));
}

function includedCertificates(signer: Signer): pkijs.Certificate[] {
  const all = [signer.certificate, ...(signer.encryptionCertificate ? [signer.encryptionCertificate] : []), ...(signer.chain ?? [])];
  return all.filter((cert, i) => all.findIndex((other) => sameCertificate(other, cert)) === i);
}
