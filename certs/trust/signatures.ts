/**
 * Signature algorithms as they appear in certificates, CRLs and CMS SignerInfos, mapped
 * to Node's crypto.verify. Verification is done here rather than through pkijs so that an
 * unknown or weak algorithm is a clear "unsupported" answer instead of an exception, and so
 * that the bytes checked are exactly the bytes received (tbsView, signed attributes).
 */
import { createPublicKey, constants, verify as nodeVerify, type KeyObject } from 'node:crypto';
import type * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

export type DigestName = 'SHA-256' | 'SHA-384' | 'SHA-512' | 'SHA-224';

/** Digest algorithm OIDs we accept (RFC 5754). */
export const DIGEST_OIDS: Readonly<Record<DigestName, string>> = {
  'SHA-256': '2.16.840.1.101.3.4.2.1',
  'SHA-384': '2.16.840.1.101.3.4.2.2',
  'SHA-512': '2.16.840.1.101.3.4.2.3',
  'SHA-224': '2.16.840.1.101.3.4.2.4',
};

/** Known but refused digests: named in messages so that the operator sees why. */
const WEAK_DIGEST_OIDS: Readonly<Record<string, string>> = {
  '1.2.840.113549.2.5': 'MD5',
  '1.2.840.113549.2.2': 'MD2',
  '1.3.14.3.2.26': 'SHA-1',
};

export const SIGNATURE_OIDS = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  sha384WithRSA: '1.2.840.113549.1.1.12',
  sha512WithRSA: '1.2.840.113549.1.1.13',
  sha224WithRSA: '1.2.840.113549.1.1.14',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha224: '1.2.840.10045.4.3.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  ed25519: '1.3.101.112',
} as const;

const WITH_HASH: Readonly<Record<string, { key: 'rsa' | 'ec'; hash: DigestName }>> = {
  [SIGNATURE_OIDS.sha256WithRSA]: { key: 'rsa', hash: 'SHA-256' },
  [SIGNATURE_OIDS.sha384WithRSA]: { key: 'rsa', hash: 'SHA-384' },
  [SIGNATURE_OIDS.sha512WithRSA]: { key: 'rsa', hash: 'SHA-512' },
  [SIGNATURE_OIDS.sha224WithRSA]: { key: 'rsa', hash: 'SHA-224' },
  [SIGNATURE_OIDS.ecdsaWithSha224]: { key: 'ec', hash: 'SHA-224' },
  [SIGNATURE_OIDS.ecdsaWithSha256]: { key: 'ec', hash: 'SHA-256' },
  [SIGNATURE_OIDS.ecdsaWithSha384]: { key: 'ec', hash: 'SHA-384' },
  [SIGNATURE_OIDS.ecdsaWithSha512]: { key: 'ec', hash: 'SHA-512' },
};

const WEAK_SIGNATURE_OIDS: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.2': 'md2WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.3.14.3.2.29': 'sha1WithRSAEncryption (OIW)',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
};

/** How to check one signature: which key type, which hash, which RSA padding. */
export interface SignatureScheme {
  readonly keyType: 'rsa' | 'ec' | 'ed25519';
  /** null for Ed25519, which hashes internally. */
  readonly hash: DigestName | null;
  readonly pss?: { readonly saltLength: number };
  /** For messages: "sha256WithRSAEncryption", "ecdsa-with-SHA256"… */
  readonly name: string;
}

export type SchemeLookup = { ok: true; scheme: SignatureScheme } | { ok: false; detail: string };

export function digestNameOf(oid: string): DigestName | undefined {
  return (Object.keys(DIGEST_OIDS) as DigestName[]).find((name) => DIGEST_OIDS[name] === oid);
}

/** Why a digest OID is refused ("MD5 is not accepted"), or undefined when it is fine. */
export function refusedDigest(oid: string): string | undefined {
  if (digestNameOf(oid)) return undefined;
  const weak = WEAK_DIGEST_OIDS[oid];
  return weak ? `digest ${weak} is not accepted` : `unknown digest algorithm ${oid}`;
}

/**
 * The scheme of a signature AlgorithmIdentifier. `bareDigest` is the digest to use with
 * the "bare" key OIDs (rsaEncryption, id-ecPublicKey) that CMS SignerInfos may carry, the
 * hash then coming from the SignerInfo's digestAlgorithm (RFC 5652 §5.3, RFC 5754 §3).
 */
export function signatureSchemeOf(algorithm: pkijs.AlgorithmIdentifier, bareDigest?: DigestName): SchemeLookup {
  const oid = algorithm.algorithmId;
  const withHash = WITH_HASH[oid];
  if (withHash) return { ok: true, scheme: { keyType: withHash.key, hash: withHash.hash, name: schemeName(withHash.key, withHash.hash) } };
  if ((oid === SIGNATURE_OIDS.rsaEncryption || oid === SIGNATURE_OIDS.ecPublicKey) && bareDigest) {
    const keyType = oid === SIGNATURE_OIDS.rsaEncryption ? 'rsa' : 'ec';
    return { ok: true, scheme: { keyType, hash: bareDigest, name: schemeName(keyType, bareDigest) } };
  }
  if (oid === SIGNATURE_OIDS.rsassaPss) return pssScheme(algorithm);
  if (oid === SIGNATURE_OIDS.ed25519) return { ok: true, scheme: { keyType: 'ed25519', hash: null, name: 'Ed25519' } };
  const weak = WEAK_SIGNATURE_OIDS[oid];
  return { ok: false, detail: weak ? `signature algorithm ${weak} is not accepted` : `unknown signature algorithm ${oid}` };
}

function schemeName(keyType: 'rsa' | 'ec', hash: DigestName): string {
  const bare = hash.replace('-', '');
  return keyType === 'rsa' ? `${bare.toLowerCase()}WithRSAEncryption` : `ecdsa-with-${bare}`;
}

/** RSASSA-PSS (RFC 4055): the hash, MGF1 with the same hash, and the salt length from the parameters. */
function pssScheme(algorithm: pkijs.AlgorithmIdentifier): SchemeLookup {
  let params: pkijs.RSASSAPSSParams;
  try {
    params = algorithm.algorithmParams
      ? new pkijs.RSASSAPSSParams({ schema: algorithm.algorithmParams })
      : new pkijs.RSASSAPSSParams();
  } catch {
    return { ok: false, detail: 'RSASSA-PSS parameters are malformed' };
  }
  const hashOid = params.hashAlgorithm.algorithmId;
  const hash = digestNameOf(hashOid);
  if (!hash) return { ok: false, detail: `RSASSA-PSS with ${refusedDigest(hashOid)}` };
  const mgfHashOid = mgf1HashOid(params.maskGenAlgorithm);
  if (mgfHashOid !== hashOid) return { ok: false, detail: 'RSASSA-PSS with an MGF1 hash different from the message hash is not supported' };
  return { ok: true, scheme: { keyType: 'rsa', hash, pss: { saltLength: params.saltLength }, name: `RSASSA-PSS/${hash}` } };
}

function mgf1HashOid(mgf: pkijs.AlgorithmIdentifier): string | undefined {
  if (mgf.algorithmId !== '1.2.840.113549.1.1.8') return undefined;
  try {
    return new pkijs.AlgorithmIdentifier({ schema: mgf.algorithmParams }).algorithmId;
  } catch {
    return undefined;
  }
}

const publicKeys = new WeakMap<pkijs.Certificate, KeyObject>();

/** The certificate's public key as a Node KeyObject (cached per parsed certificate). */
export function publicKeyOf(cert: pkijs.Certificate): KeyObject {
  let key = publicKeys.get(cert);
  if (!key) {
    const spki = Buffer.from(cert.subjectPublicKeyInfo.toSchema().toBER(false));
    key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    publicKeys.set(cert, key);
  }
  return key;
}

/** Node's name for a digest ("sha256"). */
export function nodeDigestName(hash: DigestName): string {
  return hash.replace('-', '').toLowerCase();
}

/**
 * Checks a signature. A key that cannot be used with the scheme (an EC key for an RSA
 * signature…) and a signature that cannot even be decoded both count as "does not verify".
 */
export function verifySignature(scheme: SignatureScheme, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  if (!keyFitsScheme(scheme, key)) return false;
  try {
    const hash = scheme.hash === null ? null : nodeDigestName(scheme.hash);
    if (scheme.pss) {
      return nodeVerify(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: scheme.pss.saltLength }, signature);
    }
    return nodeVerify(hash, data, key, signature);
  } catch {
    return false;
  }
}

/**
 * RFC 5280 §4.1.1.2 / §5.1.1.2: the outer signatureAlgorithm must be the very same
 * AlgorithmIdentifier as the signed one, parameters included; otherwise unsigned bytes of
 * a certificate or CRL could be changed (its fingerprint with them) without breaking it.
 */
export function sameAlgorithm(a: pkijs.AlgorithmIdentifier, b: pkijs.AlgorithmIdentifier): boolean {
  return Buffer.from(a.toSchema().toBER(false)).equals(Buffer.from(b.toSchema().toBER(false)));
}

/** The signature bytes of a certificate or CRL, or undefined when the BIT STRING is not whole octets. */
export function signatureBits(value: asn1js.BitString): Uint8Array | undefined {
  return value.valueBlock.unusedBits === 0 ? value.valueBlock.valueHexView : undefined;
}

/** Whether a key can be used with a scheme at all (for telling "wrong key" from "bad signature"). */
export function keyFitsScheme(scheme: SignatureScheme, key: KeyObject): boolean {
  const keyType = key.asymmetricKeyType;
  return scheme.keyType === 'rsa' ? keyType === 'rsa' || keyType === 'rsa-pss' : keyType === scheme.keyType;
}
