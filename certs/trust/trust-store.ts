/**
 * The authorities an operator trusts for one purpose (S/MIME, or TLS peers): trust anchors,
 * whose certificates end a path and are not themselves checked for a signature, and
 * intermediates that help build a path but are trusted only through an anchor.
 */
import type * as pkijs from 'pkijs';
import { pemBlocks } from '../pem.js';
import { parseCertificate } from '../x509.js';
import { sameCertificate, sameName, subjectKeyIdOf, sameBytes } from './certificate-facts.js';

export class TrustStore {
  readonly anchors: readonly pkijs.Certificate[];
  readonly intermediates: readonly pkijs.Certificate[];

  constructor(options: { anchors: readonly pkijs.Certificate[]; intermediates?: readonly pkijs.Certificate[] }) {
    this.anchors = [...options.anchors];
    this.intermediates = [...(options.intermediates ?? [])];
  }

  /** From PEM texts holding any number of CERTIFICATE blocks. */
  static fromPem(anchorsPem: string, intermediatesPem = ''): TrustStore {
    return new TrustStore({ anchors: certificatesOfPem(anchorsPem), intermediates: certificatesOfPem(intermediatesPem) });
  }

  /**
   * The configured anchor this certificate stands for: the same certificate, or one with
   * the same subject and key (a re-issued or cross-signed copy carried in a message).
   */
  anchorFor(cert: pkijs.Certificate): pkijs.Certificate | undefined {
    return this.anchors.find((anchor) => sameCertificate(anchor, cert) || (sameName(anchor.subject, cert.subject) && sameKey(anchor, cert)));
  }
}

function sameKey(a: pkijs.Certificate, b: pkijs.Certificate): boolean {
  const left = subjectKeyIdOf(a);
  const right = subjectKeyIdOf(b);
  if (left && right && !sameBytes(left, right)) return false;
  return sameBytes(new Uint8Array(a.subjectPublicKeyInfo.toSchema().toBER(false)), new Uint8Array(b.subjectPublicKeyInfo.toSchema().toBER(false)));
}

export function certificatesOfPem(text: string): pkijs.Certificate[] {
  return pemBlocks(text).filter((b) => b.label === 'CERTIFICATE').map((b) => parseCertificate(b.der));
}
