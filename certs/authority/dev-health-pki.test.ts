import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { isHygieError } from '../../core/errors.js';
import { generateKeyPair, KEY_ALGORITHMS, type KeyAlgorithm, type KeyPairInfo } from '../keys.js';
import { openssl, tempDir } from '../testing.js';
import { createDevHealthPki, type DevHealthPki, type IssuedCredential, type SubCaName } from './dev-health-pki.js';
import { extensionValue, verifyLeaf, writeCredential, x509Text } from './fixtures.js';

const BASE_URL = 'http://127.0.0.1:8080/pki/';
const ALGORITHMS = Object.keys(KEY_ALGORITHMS) as KeyAlgorithm[];
const PURPOSES = ['sslserver', 'sslclient', 'smimesign', 'smimeencrypt'] as const;
type Purpose = (typeof PURPOSES)[number];
const mode = (file: string) => fs.statSync(file).mode & 0o777;

interface LeafKind {
  name: string;
  issue: (pki: DevHealthPki, keys: KeyPairInfo) => Promise<IssuedCredential>;
  ca: SubCaName;
  caName: string;
  /** The openssl purposes the leaf must pass; it must fail every other one. */
  purposes: readonly Purpose[];
  keyUsage: { rsa: string; ec: string };
  extendedKeyUsage: string;
  subjectAltName: string;
  subject: string;
}

const SMIME_SIGN = 'Digital Signature, Non Repudiation';
const KINDS: readonly LeafKind[] = [
  {
    name: 'TLS server',
    issue: (pki, keys) => pki.issueTlsServer(['mail.hygie.test', 'imap.hygie.test', '127.0.0.1'], { keys }),
    ca: 'servers', caName: 'AC HYGIE DEV SERVEURS',
    purposes: ['sslserver', 'sslclient'], // MSSanté operators relay with their server certificate
    keyUsage: { rsa: 'Digital Signature, Key Encipherment', ec: 'Digital Signature' },
    extendedKeyUsage: 'TLS Web Server Authentication, TLS Web Client Authentication',
    subjectAltName: 'DNS:mail.hygie.test, DNS:imap.hygie.test, IP Address:127.0.0.1',
    subject: 'C=FR, O=Opérateur Démo, CN=mail.hygie.test',
  },
  {
    name: 'TLS client of a peer operator',
    issue: (pki, keys) => pki.issueTlsClient('relay.operateur-pair.test', 'operator', { keys }),
    ca: 'servers', caName: 'AC HYGIE DEV SERVEURS',
    purposes: ['sslclient'],
    keyUsage: { rsa: 'Digital Signature', ec: 'Digital Signature' },
    extendedKeyUsage: 'TLS Web Client Authentication',
    subjectAltName: 'DNS:relay.operateur-pair.test',
    subject: 'C=FR, O=Opérateur Démo, CN=relay.operateur-pair.test',
  },
  {
    name: 'TLS client of an application',
    issue: (pki, keys) => pki.issueTlsClient('Laboratoire Démo – SIL', 'application', {
      keys, subjectAltNames: [{ email: 'noreply-biologie@labo-demo.hygie.test' }],
    }),
    ca: 'organisations', caName: 'AC HYGIE DEV ORGANISATIONS',
    purposes: ['sslclient'],
    keyUsage: { rsa: 'Digital Signature', ec: 'Digital Signature' },
    extendedKeyUsage: 'TLS Web Client Authentication',
    subjectAltName: 'email:noreply-biologie@labo-demo.hygie.test',
    subject: 'C=FR, O=Opérateur Démo, CN=Laboratoire Démo – SIL',
  },
  {
    name: 'S/MIME signing (personal mailbox)',
    issue: (pki, keys) => pki.issueSmime('jeanne.martin@hygie.test', { usage: 'signing', keys }),
    ca: 'persons', caName: 'AC HYGIE DEV PERSONNES',
    purposes: ['smimesign'],
    keyUsage: { rsa: SMIME_SIGN, ec: SMIME_SIGN },
    extendedKeyUsage: 'E-mail Protection',
    subjectAltName: 'email:jeanne.martin@hygie.test',
    subject: 'C=FR, O=Opérateur Démo, CN=jeanne.martin@hygie.test',
  },
  {
    name: 'S/MIME encryption (personal mailbox, IDN domain)',
    issue: (pki, keys) => pki.issueSmime('Jeanne.Martin@Médecins.Hygie.test', { usage: 'encryption', keys }),
    ca: 'persons', caName: 'AC HYGIE DEV PERSONNES',
    purposes: ['smimeencrypt'],
    keyUsage: { rsa: 'Key Encipherment', ec: 'Key Agreement' },
    extendedKeyUsage: 'E-mail Protection',
    subjectAltName: 'email:Jeanne.Martin@xn--mdecins-bya.hygie.test',
    subject: 'C=FR, O=Opérateur Démo, CN=Jeanne.Martin@xn--mdecins-bya.hygie.test',
  },
  {
    name: 'S/MIME dual-use (organisational mailbox)',
    issue: (pki, keys) => pki.issueSmime('cardiologie@ch-demo.hygie.test', { usage: 'dual', mailboxType: 'ORG', keys }),
    ca: 'organisations', caName: 'AC HYGIE DEV ORGANISATIONS',
    purposes: ['smimesign', 'smimeencrypt'],
    keyUsage: { rsa: `${SMIME_SIGN}, Key Encipherment`, ec: `${SMIME_SIGN}, Key Agreement` },
    extendedKeyUsage: 'E-mail Protection',
    subjectAltName: 'email:cardiologie@ch-demo.hygie.test',
    subject: 'C=FR, O=Opérateur Démo, CN=cardiologie@ch-demo.hygie.test',
  },
];

test('every leaf kind, with every key algorithm, verifies with openssl and has the intended extensions and purposes', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const pki = await createDevHealthPki({ organisation: 'Opérateur Démo', publicationUrl: BASE_URL });
    // One key pair per algorithm, certified under every profile (RSA-4096 generation is slow).
    const keys = await Promise.all(ALGORITHMS.map((algorithm) => generateKeyPair(algorithm)));
    const issued = await Promise.all(KINDS.flatMap((kind) => ALGORITHMS.map(async (algorithm, i) => ({ kind, algorithm, credential: await kind.issue(pki, keys[i]!) }))));
    for (const [index, { kind, algorithm, credential }] of issued.entries()) {
      const label = `${kind.name} ${algorithm}`;
      const files = writeCredential(dir, String(index), credential);
      assert.equal(credential.issuer, kind.ca, label);
      assert.equal(credential.chain[0]!.pem, pki[kind.ca].pem, label);
      assert.equal(credential.chain[1]!.pem, pki.root.pem, label);

      const plain = verifyLeaf(files);
      assert.ok(plain.ok, `${label}: ${plain.output}`);
      assert.notEqual(openssl(['verify', '-CAfile', files.root, files.cert]).status, 0, `${label} must not verify without its sub-CA`);
      for (const purpose of PURPOSES) {
        // OpenSSL's smimeencrypt purpose asks for keyEncipherment, which an EC key may not
        // have (RFC 5480 §3): EC encryption certificates are proven by `openssl cms -encrypt`
        // in interop.test.ts instead.
        if (purpose === 'smimeencrypt' && algorithm === 'ECDSA-P256' && kind.purposes.includes(purpose)) continue;
        const result = verifyLeaf(files, '-purpose', purpose);
        assert.equal(result.ok, kind.purposes.includes(purpose), `${label} -purpose ${purpose}: ${result.output}`);
      }

      const dump = x509Text(files.cert);
      const family = KEY_ALGORITHMS[algorithm].family;
      assert.match(dump, family === 'rsa' ? new RegExp(`Public-Key: \\(${algorithm.slice(4)} bit\\)`) : /NIST CURVE: P-256/, label);
      assert.match(dump, /Signature Algorithm: sha256WithRSAEncryption/, label);
      assert.match(dump, new RegExp(`Issuer: C=FR, O=Opérateur Démo, OU=IGC HYGIE DEV, CN=${kind.caName}\\n`), label);
      assert.match(dump, new RegExp(`Subject: ${kind.subject}\\n`), label);
      assert.doesNotMatch(dump, /emailAddress/, `${label}: the address is in subjectAltName only`);
      assert.deepEqual(extensionValue(dump, 'X509v3 Basic Constraints'), { critical: true, value: 'CA:FALSE' }, label);
      assert.deepEqual(extensionValue(dump, 'X509v3 Key Usage'), { critical: true, value: kind.keyUsage[family] }, label);
      assert.deepEqual(extensionValue(dump, 'X509v3 Extended Key Usage'), { critical: false, value: kind.extendedKeyUsage }, label);
      assert.deepEqual(extensionValue(dump, 'X509v3 Subject Alternative Name'), { critical: false, value: kind.subjectAltName }, label);
      assert.match(dump, new RegExp(`X509v3 CRL Distribution Points: *\\n\\s*Full Name:\\n\\s*URI:${BASE_URL}${kind.ca}\\.crl\\n`), label);
      assert.match(dump, new RegExp(`Authority Information Access: *\\n\\s*CA Issuers - URI:${BASE_URL}${kind.ca}\\.crt\\n`), label);
    }
    // Every leaf is in the register of the sub-CA that issued it.
    for (const ca of ['servers', 'persons', 'organisations'] as const) {
      const serials = (await pki[ca].register.list()).map((r) => r.serialHex).sort();
      assert.deepEqual(serials, issued.filter((i) => i.credential.issuer === ca).map((i) => i.credential.certificate.serialHex).sort());
    }
  } finally {
    cleanup();
  }
});

test('the hierarchy: a self-signed root and three sub-CAs with path length 0, named like IGC Santé, with ECDSA keys too', async () => {
  const { dir, cleanup } = tempDir();
  try {
    for (const keyAlgorithm of ['RSA-2048', 'ECDSA-P256'] as const) {
      const pki = await createDevHealthPki({ organisation: 'Opérateur Démo', keyAlgorithm, publicationUrl: 'file:///var/lib/hygie/pki' });
      const root = path.join(dir, `root-${keyAlgorithm}.crt`);
      fs.writeFileSync(root, pki.root.pem);
      const rootText = x509Text(root);
      assert.match(rootText, /Subject: C=FR, O=Opérateur Démo, OU=IGC HYGIE DEV, CN=AC RACINE HYGIE DEV\n/);
      assert.deepEqual(extensionValue(rootText, 'X509v3 Basic Constraints'), { critical: true, value: 'CA:TRUE' });
      assert.deepEqual(extensionValue(rootText, 'X509v3 Key Usage'), { critical: true, value: 'Certificate Sign, CRL Sign' });
      assert.doesNotMatch(rootText, /CRL Distribution Points|Authority Information Access|Authority Key Identifier/);
      assert.equal(openssl(['verify', '-x509_strict', '-CAfile', root, root]).status, 0);
      for (const [ca, name] of [['servers', 'SERVEURS'], ['persons', 'PERSONNES'], ['organisations', 'ORGANISATIONS']] as const) {
        const file = path.join(dir, `${ca}-${keyAlgorithm}.crt`);
        fs.writeFileSync(file, pki[ca].pem);
        const text = x509Text(file);
        assert.match(text, new RegExp(`Subject: C=FR, O=Opérateur Démo, OU=IGC HYGIE DEV, CN=AC HYGIE DEV ${name}\\n`));
        assert.match(text, keyAlgorithm === 'RSA-2048' ? /Signature Algorithm: sha256WithRSAEncryption/ : /Signature Algorithm: ecdsa-with-SHA256/);
        assert.deepEqual(extensionValue(text, 'X509v3 Basic Constraints'), { critical: true, value: 'CA:TRUE, pathlen:0' });
        assert.deepEqual(extensionValue(text, 'X509v3 Key Usage'), { critical: true, value: 'Certificate Sign, CRL Sign' });
        assert.match(text, /URI:file:\/\/\/var\/lib\/hygie\/pki\/root\.crl\n/, 'a sub-CA points to the root\'s CRL');
        const verify = openssl(['verify', '-x509_strict', '-CAfile', root, file]);
        assert.equal(verify.status, 0, verify.stderr);
      }
      assert.deepEqual((await pki.root.register.list()).map((r) => r.subject), [
        'CN=AC HYGIE DEV SERVEURS,OU=IGC HYGIE DEV,O=Opérateur Démo,C=FR',
        'CN=AC HYGIE DEV PERSONNES,OU=IGC HYGIE DEV,O=Opérateur Démo,C=FR',
        'CN=AC HYGIE DEV ORGANISATIONS,OU=IGC HYGIE DEV,O=Opérateur Démo,C=FR',
      ]);
      // A leaf under an ECDSA sub-CA: the chain still verifies.
      const leaf = writeCredential(dir, `leaf-${keyAlgorithm}`, await pki.issueSmime('a@hygie.test', { usage: 'dual' }));
      const verify = verifyLeaf(leaf, '-purpose', 'smimesign');
      assert.ok(verify.ok, verify.output);
    }
  } finally {
    cleanup();
  }
});

test('without a publication URL, no CRL distribution point or AIA is written', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const pki = await createDevHealthPki({ organisation: 'Demo', keyAlgorithm: 'ECDSA-P256' });
    const files = writeCredential(dir, 'leaf', await pki.issueTlsServer(['mail.hygie.test']));
    assert.doesNotMatch(x509Text(files.cert), /CRL Distribution Points|Authority Information Access/);
    assert.ok(verifyLeaf(files).ok);
  } finally {
    cleanup();
  }
});

test('with a directory, CAs and registers persist with tight modes; a reload continues serials and CRL numbers', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const pkiDir = path.join(dir, 'pki');
    const options = { dir: pkiDir, organisation: 'Demo', keyAlgorithm: 'ECDSA-P256' as const };
    const first = await createDevHealthPki(options);
    assert.equal(first.created, true);
    assert.deepEqual(fs.readdirSync(pkiDir).sort(), ['organisations', 'persons', 'root', 'servers']);
    for (const ca of ['root', 'servers', 'persons', 'organisations']) {
      const caDir = path.join(pkiDir, ca);
      assert.equal(mode(caDir), 0o700, caDir);
      assert.equal(mode(path.join(caDir, 'ca.key')), 0o600);
      assert.equal(mode(path.join(caDir, 'ca.crt')), 0o644);
    }
    assert.deepEqual(fs.readdirSync(path.join(pkiDir, 'root')).sort(), ['ca.crt', 'ca.key', 'register.json'], 'no temp file left behind');
    assert.equal(mode(path.join(pkiDir, 'root', 'register.json')), 0o600);

    const revoked = await first.issueSmime('a@hygie.test', { usage: 'signing' });
    await first.persons.revoke(revoked.certificate.serialHex, 'affiliationChanged');
    assert.equal((await first.persons.crl()).number, 1n);
    assert.equal(mode(path.join(pkiDir, 'persons', 'register.json')), 0o600);

    const second = await createDevHealthPki(options);
    assert.equal(second.created, false);
    for (const ca of ['root', 'servers', 'persons', 'organisations'] as const) assert.equal(second[ca].pem, first[ca].pem);
    const crl = await second.persons.crl();
    assert.equal(crl.number, 2n, 'CRL numbers continue after a reload');
    const record = await second.persons.register.find(revoked.certificate.serialHex);
    assert.equal(record?.revocation?.reason, 'affiliationChanged');
    await assert.rejects(second.persons.revoke(revoked.certificate.serialHex, 'keyCompromise'), /already revoked/);
    const later = writeCredential(dir, 'later', await second.issueSmime('b@hygie.test', { usage: 'dual' }));
    fs.writeFileSync(path.join(dir, 'root.crt'), first.root.pem);
    assert.ok(verifyLeaf({ ...later, root: path.join(dir, 'root.crt') }).ok, 'a leaf issued after a reload chains to the first root');
    assert.equal((await second.persons.register.list()).length, 2);

    // A missing sub-CA is re-created under the existing root; a foreign or broken one is refused.
    fs.rmSync(path.join(pkiDir, 'organisations'), { recursive: true });
    const third = await createDevHealthPki(options);
    assert.equal(third.created, false);
    assert.notEqual(third.organisations.pem, first.organisations.pem);
    assert.equal((await third.root.register.list()).length, 4);

    const other = await createDevHealthPki({ ...options, dir: path.join(dir, 'other') });
    fs.cpSync(path.join(dir, 'other', 'persons'), path.join(pkiDir, 'persons'), { recursive: true, force: true });
    await assert.rejects(createDevHealthPki(options), (e: unknown) => isHygieError(e, 'CONFIG_INVALID') && /was not issued by the root/.test(e.message));
    assert.ok(other.created);
    fs.rmSync(path.join(pkiDir, 'persons', 'ca.key'));
    await assert.rejects(createDevHealthPki(options), (e: unknown) => isHygieError(e, 'CONFIG_INVALID') && /ca\.key is missing/.test(e.message));
    const serversRegister = path.join(pkiDir, 'servers', 'register.json');
    fs.writeFileSync(serversRegister, '{"format":"something else"}');
    await assert.rejects(createDevHealthPki(options), (e: unknown) => isHygieError(e, 'CONFIG_INVALID') && /not a readable revocation register/.test(e.message));
    fs.rmSync(serversRegister); // (nothing was issued there)
    // A lost root is not silently re-created under sub-CAs (and registers) that belong to the old one.
    fs.rmSync(path.join(pkiDir, 'root', 'ca.crt'));
    await assert.rejects(createDevHealthPki(options), (e: unknown) => isHygieError(e, 'CONFIG_INVALID') && /register\.json is left from a CA/.test(e.message));
    fs.rmSync(path.join(pkiDir, 'root'), { recursive: true });
    await assert.rejects(createDevHealthPki(options), (e: unknown) => isHygieError(e, 'CONFIG_INVALID') && /was not issued by the root/.test(e.message));
  } finally {
    cleanup();
  }
});

test('bad requests are refused with a clear error', async () => {
  const pki = await createDevHealthPki({ organisation: 'Demo', keyAlgorithm: 'ECDSA-P256' });
  const invalid = (pattern: RegExp) => (e: unknown) => isHygieError(e, 'INVALID_INPUT') && pattern.test(e.message);
  await assert.rejects(pki.issueSmime('not-an-address', { usage: 'signing' }), invalid(/not a valid e-mail address/));
  await assert.rejects(pki.issueSmime('élise@hygie.test', { usage: 'signing' }), invalid(/SmtpUTF8Mailbox/));
  await assert.rejects(pki.issueTlsServer([]), invalid(/at least one host name/));
  await assert.rejects(pki.issueTlsServer(['bad host']), invalid(/not a valid DNS name/));
  await assert.rejects(pki.issueTlsClient('192.0.2.1', 'operator'), invalid(/names a host/));
  await assert.rejects(pki.issueTlsServer(['mail.hygie.test'], { validityDays: 400 }), invalid(/longer than 398 days/));
  await assert.rejects(createDevHealthPki({ organisation: ' ' }), (e: unknown) => isHygieError(e, 'CONFIG_INVALID'));
  await assert.rejects(createDevHealthPki({ organisation: 'Demo', publicationUrl: 'not a url' }), (e: unknown) => isHygieError(e, 'CONFIG_INVALID'));
  // A long address still gets its certificate, without a CN (64 characters at most).
  const long = `${'x'.repeat(60)}@hygie.test`;
  const credential = await pki.issueSmime(long, { usage: 'signing' });
  assert.doesNotMatch(credential.certificate.pem, /^$/);
  assert.equal(credential.certificate.certificate.subject.typesAndValues.some((tv) => tv.type === '2.5.4.3'), false);
});
