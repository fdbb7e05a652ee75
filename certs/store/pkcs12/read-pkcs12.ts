/**
 * Reading a PKCS#12 (.p12/.pfx) file into its certificates and private keys
 * (RFC 7292, password integrity and privacy modes). pkijs parses the structures; the
 * MAC and decryption are done here with Node's crypto so that each failure has its own
 * reason: wrong password, altered file (MAC), unsupported algorithm, garbage.
 */
import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { toArrayBuffer } from '../../pem.js';
import { CertificateStoreError } from '../errors.js';
import { readPrivateKeyPkcs8 } from '../private-keys.js';
import { bmpPassword, KDF_PURPOSE, pkcs12Kdf, type Pkcs12Hash } from './kdf.js';
import { algorithmName, checkIterations, decryptWithPassword, DecryptionFailed, type Pkcs12Password } from './password-based-encryption.js';

export interface Pkcs12Contents {
  /** DER certificates, in file order. */
  readonly certificates: Uint8Array[];
  readonly privateKeys: KeyObject[];
}

const CONTENT = { data: '1.2.840.113549.1.7.1', signedData: '1.2.840.113549.1.7.2', envelopedData: '1.2.840.113549.1.7.3', encryptedData: '1.2.840.113549.1.7.6' } as const;
const BAG = {
  key: '1.2.840.113549.1.12.10.1.1',
  shroudedKey: '1.2.840.113549.1.12.10.1.2',
  cert: '1.2.840.113549.1.12.10.1.3',
  safeContents: '1.2.840.113549.1.12.10.1.6',
} as const;
const X509_CERTIFICATE = '1.2.840.113549.1.9.22.1';

const MAC_DIGESTS: Readonly<Record<string, { hash: Pkcs12Hash; length: number }>> = {
  '1.3.14.3.2.26': { hash: 'sha1', length: 20 },
  '2.16.840.1.101.3.4.2.4': { hash: 'sha224', length: 28 },
  '2.16.840.1.101.3.4.2.1': { hash: 'sha256', length: 32 },
  '2.16.840.1.101.3.4.2.2': { hash: 'sha384', length: 48 },
  '2.16.840.1.101.3.4.2.3': { hash: 'sha512', length: 64 },
};

/** Whether bytes parse as a PFX (for callers that sniff a file's format). */
export function looksLikePkcs12(bytes: Uint8Array): boolean {
  try {
    return parsePfx(bytes).version === 3;
  } catch {
    return false;
  }
}

export async function readPkcs12(bytes: Uint8Array, password: string): Promise<Pkcs12Contents> {
  const pfx = parsePfx(bytes);
  if (pfx.authSafe.contentType !== CONTENT.data) {
    throw new CertificateStoreError('unsupported-algorithm', 'PKCS#12 files protected by a public-key signature (not a password) are not supported');
  }
  const authSafeBytes = octets(pfx.authSafe.content, 'the authenticated safe');
  let authSafe: pkijs.AuthenticatedSafe;
  try {
    authSafe = pkijs.AuthenticatedSafe.fromBER(toArrayBuffer(authSafeBytes));
  } catch (cause) {
    throw new CertificateStoreError('unreadable-input', 'malformed PKCS#12 file: unreadable authenticated safe', { cause });
  }

  let bmp = bmpPassword(password);
  let macVerified = false;
  if (pfx.macData) {
    // An empty password is encoded either as just the terminator or as nothing, depending on the writer.
    const candidates = password === '' ? [bmp, Buffer.alloc(0)] : [bmp];
    const match = candidates.find((candidate) => macMatches(pfx.macData!, authSafeBytes, candidate));
    macVerified = match !== undefined;
    if (match) bmp = match;
  }
  const macFailed = pfx.macData !== undefined && !macVerified;

  let opened: { contents: Pkcs12Contents; encrypted: boolean };
  try {
    opened = await openAuthenticatedSafe(authSafe, { utf8: Buffer.from(password, 'utf8'), bmp });
  } catch (error) {
    if (error instanceof DecryptionFailed) {
      throw new CertificateStoreError('wrong-password', macVerified
        ? 'the PKCS#12 contents cannot be decrypted with this password (although it opens the integrity check)'
        : 'wrong password for this PKCS#12 file');
    }
    // With a failed MAC, an algorithm we cannot try leaves the wrong password as the likely cause.
    if (macFailed) throw new CertificateStoreError('wrong-password', 'wrong password for this PKCS#12 file', { cause: error });
    throw error;
  }
  if (macFailed) {
    if (!opened.encrypted) throw new CertificateStoreError('wrong-password', 'wrong password for this PKCS#12 file, or the file was altered (its integrity check fails)');
    throw new CertificateStoreError('mac-invalid', 'the PKCS#12 integrity check (MAC) fails although the password decrypts the file: it is corrupted or was altered');
  }
  return opened.contents;
}

function parsePfx(bytes: Uint8Array): pkijs.PFX {
  try {
    return pkijs.PFX.fromBER(toArrayBuffer(bytes));
  } catch (cause) {
    throw new CertificateStoreError('unreadable-input', 'not a PKCS#12 file', { cause });
  }
}

function macMatches(macData: pkijs.MacData, content: Uint8Array, bmp: Buffer): boolean {
  const oid = macData.mac.digestAlgorithm.algorithmId;
  const digest = MAC_DIGESTS[oid];
  if (!digest) throw new CertificateStoreError('unsupported-algorithm', `unsupported MAC algorithm in the PKCS#12 file: ${algorithmName(oid)}`);
  const iterations = macData.iterations ?? 1;
  checkIterations(iterations);
  const key = pkcs12Kdf(digest.hash, bmp, macData.macSalt.valueBlock.valueHexView, iterations, KDF_PURPOSE.mac, digest.length);
  const actual = createHmac(digest.hash, key).update(content).digest();
  const expected = macData.mac.digest.valueBlock.valueHexView;
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** The contents, and whether anything was decrypted with the password (which then proves it right). */
async function openAuthenticatedSafe(authSafe: pkijs.AuthenticatedSafe, password: Pkcs12Password): Promise<{ contents: Pkcs12Contents; encrypted: boolean }> {
  const opened = { contents: { certificates: [], privateKeys: [] } as Pkcs12Contents, encrypted: false };
  for (const info of authSafe.safeContents) {
    if (info.contentType === CONTENT.data) {
      await collectBags(parseSafeContents(octets(info.content, 'a safe'), false), password, opened);
    } else if (info.contentType === CONTENT.encryptedData) {
      const data = readEncryptedData(info.content);
      const plain = await decryptWithPassword(data.encryptedContentInfo.contentEncryptionAlgorithm, new Uint8Array(data.encryptedContentInfo.getEncryptedContent()), password);
      opened.encrypted = true;
      await collectBags(parseSafeContents(plain, true), password, opened);
    } else if (info.contentType === CONTENT.envelopedData) {
      throw new CertificateStoreError('unsupported-algorithm', 'PKCS#12 safes encrypted to a public key (EnvelopedData) are not supported');
    } else {
      throw new CertificateStoreError('unreadable-input', `malformed PKCS#12 file: unexpected safe of type ${info.contentType}`);
    }
  }
  return opened;
}

async function collectBags(safe: pkijs.SafeContents, password: Pkcs12Password, opened: { contents: Pkcs12Contents; encrypted: boolean }): Promise<void> {
  const into = opened.contents;
  for (const bag of safe.safeBags) {
    switch (bag.bagId) {
      case BAG.cert: {
        const certBag = bag.bagValue as pkijs.CertBag;
        if (certBag.certId === X509_CERTIFICATE) into.certificates.push(octets(certBag.certValue, 'a certificate bag'));
        break; // SDSI certificates: not X.509, nothing to store
      }
      case BAG.key:
        into.privateKeys.push(readPrivateKeyPkcs8(new Uint8Array((bag.bagValue as pkijs.PrivateKeyInfo).toSchema().toBER(false))));
        break;
      case BAG.shroudedKey: {
        const shrouded = bag.bagValue as pkijs.PKCS8ShroudedKeyBag;
        const pkcs8 = await decryptWithPassword(shrouded.encryptionAlgorithm, octets(shrouded.encryptedData, 'a shrouded key bag'), password);
        try {
          into.privateKeys.push(readPrivateKeyPkcs8(pkcs8));
          opened.encrypted = true;
        } catch {
          throw new DecryptionFailed(); // stream ciphers decrypt to garbage under a wrong password
        } finally {
          pkcs8.fill(0);
        }
        break;
      }
      case BAG.safeContents:
        await collectBags(bag.bagValue as pkijs.SafeContents, password, opened);
        break;
      default:
        break; // CRL and secret bags: not for this store
    }
  }
}

function parseSafeContents(bytes: Uint8Array, decrypted: boolean): pkijs.SafeContents {
  try {
    return pkijs.SafeContents.fromBER(toArrayBuffer(bytes));
  } catch (cause) {
    if (decrypted) throw new DecryptionFailed();
    throw new CertificateStoreError('unreadable-input', 'malformed PKCS#12 file: unreadable safe contents', { cause });
  }
}

function readEncryptedData(content: unknown): pkijs.EncryptedData {
  try {
    return new pkijs.EncryptedData({ schema: content });
  } catch (cause) {
    throw new CertificateStoreError('unreadable-input', 'malformed PKCS#12 file: unreadable encrypted safe', { cause });
  }
}

/** The bytes of an OCTET STRING, whether primitive or constructed (BER, as Windows writes). */
function octets(value: unknown, what: string): Uint8Array {
  if (!(value instanceof asn1js.OctetString)) throw new CertificateStoreError('unreadable-input', `malformed PKCS#12 file: ${what} is not an OCTET STRING`);
  return new Uint8Array(value.getValue());
}
