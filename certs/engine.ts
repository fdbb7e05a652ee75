/**
 * The one place where pkijs is bound to a WebCrypto implementation.
 *
 * pkijs keeps its engine in a process-wide global; we install Node's WebCrypto once and
 * hand the same engine explicitly to every sign/verify call, so that our certificates do
 * not depend on whatever another module might set globally later.
 */
import { webcrypto } from 'node:crypto';
import * as pkijs from 'pkijs';

let engine: pkijs.ICryptoEngine | undefined;

/** The pkijs crypto engine backed by Node's WebCrypto (installed on first use). */
export function cryptoEngine(): pkijs.ICryptoEngine {
  if (!engine) {
    engine = new pkijs.CryptoEngine({ name: 'node-webcrypto', crypto: webcrypto as unknown as pkijs.CryptoEngineParameters['crypto'] });
    pkijs.setEngine('node-webcrypto', engine);
  }
  return engine;
}

/** Node's WebCrypto `SubtleCrypto`, for key generation, import and export. */
export const subtle = webcrypto.subtle;

export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
