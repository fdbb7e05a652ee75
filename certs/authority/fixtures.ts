/**
 * Helpers shared by the authority tests only: credentials written to files for openssl,
 * and the few questions asked of `openssl x509 -text` and `openssl verify`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openssl } from '../testing.js';
import type { IssuedCredential } from './dev-health-pki.js';

export interface CredentialFiles {
  cert: string;
  key: string;
  /** The issuing sub-CA alone (for -untrusted / -certfile). */
  subCa: string;
  root: string;
  /** Leaf then sub-CA: what a TLS peer sends. */
  certChain: string;
}

export function writeCredential(dir: string, name: string, credential: IssuedCredential): CredentialFiles {
  const file = (suffix: string, text: string) => {
    const full = path.join(dir, `${name}.${suffix}`);
    fs.writeFileSync(full, text, { mode: 0o600 });
    return full;
  };
  return {
    cert: file('crt', credential.certificate.pem),
    key: file('key', credential.privateKeyPem),
    subCa: file('subca.crt', credential.chain[0]!.pem),
    root: file('root.crt', credential.chain.at(-1)!.pem),
    certChain: file('chain.crt', credential.certificate.pem + credential.chain[0]!.pem),
  };
}

export function x509Text(file: string): string {
  const out = openssl(['x509', '-in', file, '-noout', '-text', '-nameopt', 'utf8,sep_comma_plus_space']);
  assert.equal(out.status, 0, out.stderr);
  return out.stdout;
}

/** The first line of an extension's value in `openssl x509 -text` output. */
export function extensionValue(dump: string, name: string): { critical: boolean; value: string } {
  const match = new RegExp(`${name}:( critical)?\\s*\\n\\s*(.*)`).exec(dump);
  assert.ok(match, `extension ${name} missing in:\n${dump}`);
  return { critical: match[1] !== undefined, value: match[2]!.trim() };
}

/** `openssl verify -x509_strict` of a leaf against a root with its sub-CA as untrusted intermediate. */
export function verifyLeaf(files: Pick<CredentialFiles, 'cert' | 'subCa' | 'root'>, ...extra: string[]): { ok: boolean; output: string } {
  const out = openssl(['verify', '-x509_strict', ...extra, '-CAfile', files.root, '-untrusted', files.subCa, files.cert]);
  return { ok: out.status === 0, output: out.stdout + out.stderr };
}
