/**
 * Trust anchors: only certification authorities are accepted, per purpose (TLS peers,
 * S/MIME); adding and removing are audited with the operator's name.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after } from 'node:test';
import { isHygieError } from '../../core/errors.js';
import { isCertificateStoreError } from './errors.js';
import { describeOnEachEngine } from './testing-databases.js';
import { OpensslFixtures } from './testing-openssl.js';

const fx = new OpensslFixtures();
after(() => fx.cleanup());
fx.leaf({ name: 'leaf', subject: '/CN=mail.example.test', email: 'postmaster@example.test', keyUsage: 'digitalSignature,keyEncipherment', fromDays: -1, toDays: 365 });
fx.selfSigned('no-constraints', '/CN=Old style root', []);
fx.selfSigned('ca-without-certsign', '/CN=Odd CA', ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,digitalSignature']);

const der = (name: string): Uint8Array => new Uint8Array(new X509Certificate(fx.bytes(`${name}.pem`)).raw);

describeOnEachEngine('trust anchors', (storeTest) => {
  storeTest('a CA is added per purpose, listed, removed; each change audited', async (env) => {
    const store = env.store();
    const anchor = await store.addTrustAnchor(der('ca'), 'smime', 'operator:claire');
    assert.equal(anchor.certificate.subject, 'CN=Test Root CA,O=Hygie Test,C=FR');
    assert.equal(anchor.addedBy, 'operator:claire');
    assert.equal(anchor.purpose, 'smime');
    assert.deepEqual((await store.listTrustAnchors('smime')).map((a) => a.certificate.id), [anchor.certificate.id]);
    assert.deepEqual(await store.listTrustAnchors('tls-peer'), []);

    await store.addTrustAnchor(der('ca'), 'smime', 'operator:claire'); // idempotent
    assert.equal((await store.listTrustAnchors('smime')).length, 1);
    const tls = await store.addTrustAnchor(anchor.certificate.id, 'tls-peer', 'operator:claire');
    assert.equal(tls.certificate.id, anchor.certificate.id, 'the same stored certificate, by id');

    assert.equal(await store.removeTrustAnchor(anchor.certificate.sha256, 'smime', 'operator:claire'), true);
    assert.equal(await store.removeTrustAnchor(anchor.certificate.sha256, 'smime', 'operator:claire'), false);
    assert.deepEqual(await store.listTrustAnchors('smime'), []);
    assert.equal((await store.listTrustAnchors('tls-peer')).length, 1);
    assert.ok(await store.getCertificate(anchor.certificate.id), 'the certificate itself stays');

    const added = await env.audit.list({ action: 'certs.trust-anchor.add' });
    assert.deepEqual(added.map((r) => [r.outcome, r.actor, r.details.purpose]), [
      ['success', 'operator:claire', 'tls-peer'], ['success', 'operator:claire', 'smime'], ['success', 'operator:claire', 'smime'],
    ]);
    const [removed] = await env.audit.list({ action: 'certs.trust-anchor.remove' });
    assert.equal(removed?.subject, anchor.certificate.sha256);

    assert.ok(await store.deleteCertificate(anchor.certificate.id, 'operator:claire'));
    assert.deepEqual(await store.listTrustAnchors('tls-peer'), [], 'deleting the certificate removes its anchors');
    const [deleted] = await env.audit.list({ action: 'certs.delete' });
    assert.deepEqual(deleted?.details.trustAnchorFor, ['tls-peer']);
  });

  storeTest('a certificate that is not a CA is refused as a trust anchor, and the refusal audited', async (env) => {
    const store = env.store();
    for (const [name, why] of [['leaf', /not a certification authority/], ['no-constraints', /not a certification authority/], ['ca-without-certsign', /keyCertSign/]] as const) {
      await assert.rejects(store.addTrustAnchor(der(name), 'tls-peer', 'operator:claire'), (error: unknown) => {
        assert.ok(isCertificateStoreError(error, 'not-a-ca'), String(error));
        assert.match(error.message, why);
        return true;
      });
    }
    assert.deepEqual(await store.listTrustAnchors('tls-peer'), []);
    assert.deepEqual(await store.listCertificates(), [], 'a refused anchor is not stored either');
    const refusals = await env.audit.list({ action: 'certs.trust-anchor.add' });
    assert.deepEqual(refusals.map((r) => [r.outcome, r.details.reason]), [['failure', 'not-a-ca'], ['failure', 'not-a-ca'], ['failure', 'not-a-ca']]);
  });

  storeTest('an unknown purpose is invalid input', async (env) => {
    const store = env.store();
    await assert.rejects(store.addTrustAnchor(der('ca'), 'web' as 'smime', 'operator:claire'), (error: unknown) => isHygieError(error, 'INVALID_INPUT'));
    await assert.rejects(store.listTrustAnchors('web' as 'smime'), /unknown trust purpose/);
  });
});
