import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHygieError } from '../core/errors.js';
import { generateKeyPair } from './keys.js';
import { hostSubjectAltName, mailboxSubjectAltName } from './names.js';
import { keyUsagesFor, PROFILES, SMIME_PROFILES, type CertificateProfile } from './profiles.js';
import { issueCertificate } from './x509.js';

test('key usages follow the key family: keyEncipherment for RSA, keyAgreement for EC', () => {
  assert.deepEqual(keyUsagesFor(PROFILES.tlsServer, 'rsa'), ['digitalSignature', 'keyEncipherment']);
  assert.deepEqual(keyUsagesFor(PROFILES.tlsServer, 'ec'), ['digitalSignature']);
  assert.deepEqual(keyUsagesFor(SMIME_PROFILES.signing, 'ec'), ['digitalSignature', 'nonRepudiation']);
  assert.deepEqual(keyUsagesFor(SMIME_PROFILES.encryption, 'rsa'), ['keyEncipherment']);
  assert.deepEqual(keyUsagesFor(SMIME_PROFILES.encryption, 'ec'), ['keyAgreement']);
  assert.deepEqual(keyUsagesFor(SMIME_PROFILES.dual, 'ec'), ['digitalSignature', 'nonRepudiation', 'keyAgreement']);
});

test('issueCertificate refuses SAN kinds a profile does not take and usages a key cannot have', async () => {
  const keys = await generateKeyPair('ECDSA-P256');
  const now = Date.now();
  const request = (profile: CertificateProfile, subjectAltNames: { email: string }[] | { dns: string }[]) => issueCertificate({
    profile, subject: { commonName: 'x' }, issuer: { selfSigned: true, privateKey: keys.privateKey }, publicKey: keys.publicKey,
    validity: { notBefore: new Date(now), notAfter: new Date(now + 86_400_000) }, subjectAltNames,
  });
  const invalid = (pattern: RegExp) => (e: unknown) => isHygieError(e, 'INVALID_INPUT') && pattern.test(e.message);
  const caLike = (profile: CertificateProfile): CertificateProfile => ({ ...profile, basicConstraints: { critical: true, ca: true } });
  await assert.rejects(request(caLike(PROFILES.smimeSigning), [{ dns: 'mail.hygie.test' }]), invalid(/takes only email names/));
  await assert.rejects(request(caLike(PROFILES.tlsServer), [{ email: 'a@hygie.test' }]), invalid(/takes only dns\/ip names/));
  const broken = caLike({ ...PROFILES.smimeEncryption, keyUsage: { critical: true, usages: ['keyEncipherment'] } });
  await assert.rejects(request(broken, [{ email: 'a@hygie.test' }]), invalid(/gives an EC key the usages \[keyEncipherment\]/));
});

test('host and mailbox names are normalised for certificates', () => {
  assert.deepEqual(hostSubjectAltName(' [::1] '), { ip: '::1' });
  assert.deepEqual(hostSubjectAltName('Médecins.Example.'), { dns: 'xn--mdecins-bya.example' });
  assert.deepEqual(mailboxSubjectAltName(' Jean.Dupont@CHU-Démo.fr '), { email: 'Jean.Dupont@xn--chu-dmo-fya.fr' });
  assert.throws(() => mailboxSubjectAltName('@hygie.test'), /not a valid e-mail address/);
  assert.throws(() => mailboxSubjectAltName('a b@hygie.test'), /SmtpUTF8Mailbox|not a valid/);
});
