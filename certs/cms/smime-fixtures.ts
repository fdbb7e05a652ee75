/**
 * Test-only: a health-PKI-like hierarchy made with openssl, signers loaded as our API
 * wants them, and realistic French messages (RFC 2047 subject, accented 8-bit body,
 * multipart/mixed with a PDF attachment) for the S/MIME tests.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../testing.js';
import { OpensslPki, signingKeyOf, type KeyKind, type TestCa, type TestCertificate } from '../trust/openssl-pki.js';
import { TrustStore } from '../trust/trust-store.js';
import type { Signer } from './sign.js';

export interface SmimeWorld {
  readonly dir: string;
  readonly pki: OpensslPki;
  readonly root: TestCa;
  /** Sub-CA for persons, as a health PKI has one. */
  readonly persons: TestCa;
  /** RSA signer: Dr Hélène Lefèvre. */
  readonly helene: TestCertificate;
  /** ECDSA P-256 signer. */
  readonly marc: TestCertificate;
  /** Trust store with the root only: the sub-CA comes with each message. */
  readonly trust: TrustStore;
  /** The root, as a file for `openssl -CAfile`. */
  readonly caFile: string;
  signer(cert: TestCertificate): Promise<Signer>;
  write(name: string, data: string | Uint8Array): string;
  cleanup(): void;
}

export const HELENE = 'helene.lefevre@chu-test.mssante.fr';
export const MARC = 'marc.dupre@labo-test.mssante.fr';

export function createSmimeWorld(): SmimeWorld {
  const { dir, cleanup } = tempDir();
  const pki = new OpensslPki(dir);
  const root = pki.root('root-ca', { commonName: 'AC Racine Santé Test' });
  const persons = pki.intermediate('persons-ca', root);
  const helene = pki.leaf('helene', persons, { email: HELENE, commonName: 'Dr Hélène Lefèvre' });
  const marc = pki.leaf('marc', persons, { email: MARC, commonName: 'Marc Dupré', key: 'ec', keyUsage: 'digitalSignature,nonRepudiation' });
  return {
    dir, pki, root, persons, helene, marc,
    trust: new TrustStore({ anchors: [root.certificate] }),
    caFile: root.certFile,
    signer: async (cert) => ({ certificate: cert.certificate, privateKey: await signingKeyOf(cert), chain: [persons.certificate] }),
    write: (name, data) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, data);
      return file;
    },
    cleanup,
  };
}

export function leafOf(world: SmimeWorld, name: string, options: { key?: KeyKind; email?: string } = {}): TestCertificate {
  return world.pki.leaf(name, world.persons, { ...options, email: options.email ?? `${name}@example.test` });
}

/** A single-part French text message with an 8-bit UTF-8 body and LF line ends (as a client might hand it over). */
export function frenchTextMessage(from = HELENE): Buffer {
  return Buffer.from([
    `From: =?UTF-8?Q?Dr_H=C3=A9l=C3=A8ne_Lef=C3=A8vre?= <${from}>`,
    'To: =?UTF-8?Q?Fran=C3=A7ois_B=C3=A9rang=C3=A8re?= <francois.berangere@cabinet-test.mssante.fr>',
    'Subject: =?UTF-8?Q?Compte-rendu_d=27=C3=A9chographie_=E2=80=93_r=C3=A9sultats?=',
    'Date: Tue, 24 Nov 2026 09:30:00 +0100',
    'Message-ID: <cr-echo-42@chu-test.mssante.fr>',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8; format=flowed',
    'Content-Transfer-Encoding: 8bit',
    '',
    'Cher confrère,',
    '',
    "Veuillez trouver ci-dessous le compte-rendu de l'échographie réalisée le 23/11.",
    'Résultat : pas d’anomalie décelée ; contrôle à prévoir dans 6 mois.',
    'From the desk of the radiology department — à bientôt.',
    '',
    'Dr Hélène Lefèvre',
    '',
  ].join('\n'), 'utf8');
}

/** multipart/mixed: a quoted-printable French text part and a base64 PDF attachment with an RFC 2231 file name. */
export function frenchMultipartMessage(from = HELENE): Buffer {
  const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj\n<< /Type /Catalog >>\nendobj\n', 'latin1'), randomBytes(3000), Buffer.from('\n%%EOF\n')]);
  const base64 = (pdf.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
  return Buffer.from([
    `From: =?UTF-8?Q?Dr_H=C3=A9l=C3=A8ne_Lef=C3=A8vre?= <${from}>`,
    'To: secretariat@cabinet-test.mssante.fr',
    'Subject: =?UTF-8?B?UsOpc3VsdGF0cyBkZSBiaW9sb2dpZSDigJMgTWFkYW1lIETDqWrDoA==?=',
    'Date: Tue, 24 Nov 2026 10:00:00 +0100',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="=_mixed_0001"',
    '',
    'This is a multi-part message in MIME format.',
    '--=_mixed_0001',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'Bonjour,',
    '',
    'Ci-joint les r=C3=A9sultats du bilan sanguin de Mme D=C3=A9j=C3=A0.',
    '',
    '--=_mixed_0001',
    'Content-Type: application/pdf; name="=?UTF-8?Q?r=C3=A9sultats.pdf?="',
    'Content-Transfer-Encoding: base64',
    "Content-Disposition: attachment; filename*=UTF-8''r%C3%A9sultats%20biologie.pdf",
    '',
    base64,
    '--=_mixed_0001--',
    '',
  ].join('\r\n'), 'utf8');
}

/** The MIME entity of a message as openssl should see it: header lines from Content-* on, CRLF. */
export function entityText(message: Buffer): string {
  const text = message.toString('latin1').replace(/\r?\n/g, '\r\n');
  const [header, ...body] = text.split('\r\n\r\n');
  const fields = header!.split(/\r\n(?![ \t])/).filter((f) => /^content-/i.test(f));
  return fields.join('\r\n') + '\r\n\r\n' + body.join('\r\n\r\n');
}
