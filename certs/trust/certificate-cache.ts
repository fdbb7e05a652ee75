/**
 * Parsed certificates by their exact DER bytes. The same few certificates (a signer, its
 * sub-CA) come with message after message; parsing them with pkijs costs more than
 * verifying the signature, and a reused object also keeps its cached public key, DER and
 * extension values. Identical bytes are the identical certificate, so sharing is safe.
 */
import type * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { rememberDer } from './certificate-facts.js';

const MAX_ENTRIES = 512;
const cache = new Map<string, pkijs.Certificate>();

/** The certificate for these DER bytes; `schema` is their asn1js form when already decoded. */
export function certificateFromDer(der: Uint8Array, schema?: asn1js.BaseBlock): pkijs.Certificate {
  const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const cached = cache.get(key);
  if (cached) {
    // Least recently used goes first: move this one to the end.
    cache.delete(key);
    cache.set(key, cached);
    return cached;
  }
  const cert = schema ? new pkijs.Certificate({ schema }) : pkijs.Certificate.fromBER(new Uint8Array(der));
  rememberDer(cert, new Uint8Array(der));
  cache.set(key, cert);
  if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  return cert;
}
