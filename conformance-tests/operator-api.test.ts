import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { callApi, type ApiClientOptions } from './api-client.js';
import { startTestOperator, type TestOperator } from './harness.js';

describe('operator API over HTTPS', () => {
  let operator: TestOperator;
  let client: ApiClientOptions;
  let token: string;

  before(async () => {
    operator = await startTestOperator();
    ({ token } = await operator.context.operatorCredentials.createToken('alice', 'operator:test'));
    client = { port: operator.ports.api, ca: operator.caCertPem as string, token };
    const updated_at = '2026-11-01T00:00:00.000Z';
    await operator.context.db('professionals').insert({
      national_id: '899700218896', id_type: '8', identifier: '99700218896', last_name: 'KERVELLA', first_name: 'Yann',
      profession: 'Médecin', search_name: 'kervella yann', source: 'registry', updated_at,
    });
    await operator.context.db('structures').insert({ technical_id: 'R10000000099999', finess_site: '290000017', name: 'CHU de Brest', source: 'registry', updated_at });
  });
  after(() => operator.dispose());

  test('no credential, an unknown token: 401 with the reason', async () => {
    const none = await callApi({ ...client, token: undefined }, 'GET', '/api/v1/mailboxes');
    assert.equal(none.status, 401);
    assert.equal(none.body.error, 'OPERATOR_AUTH_REQUIRED');
    const bad = await callApi({ ...client, token: 'hyg_not-a-real-token' }, 'GET', '/api/v1/mailboxes');
    assert.equal(bad.status, 401);
    assert.match(bad.body.message, /unknown or revoked token/);
  });

  test('a box from the registry, an organisational box, a member, unpublish/publish/delete with reasons, the history', async () => {
    const per = await callApi(client, 'POST', '/api/v1/mailboxes', { type: 'PER', professional: '99700218896', password: 'correct horse battery' });
    assert.equal(per.status, 201, JSON.stringify(per.body));
    assert.equal(per.body.displayName, 'Yann KERVELLA');
    const again = await callApi(client, 'POST', '/api/v1/mailboxes', { type: 'PER', professional: '99700218896', password: 'correct horse battery' });
    assert.equal(again.status, 409);
    assert.equal(again.body.error, 'MAILBOX_DUPLICATE');

    const org = await callApi(client, 'POST', '/api/v1/mailboxes', {
      type: 'ORG', localPart: 'urgences.chu-brest', displayName: 'Urgences — CHU de Brest', structure: '290000017', responsible: '99700218896',
    });
    assert.equal(org.status, 201, JSON.stringify(org.body));
    const member = await callApi(client, 'POST', `/api/v1/mailboxes/${org.body.id}/delegations`, {
      delegate: 'yann.kervella@esante-demo.test', role: 'member', rights: ['read', 'send'],
    });
    assert.equal(member.status, 201, JSON.stringify(member.body));
    const listed = await callApi(client, 'GET', '/api/v1/mailboxes/urgences.chu-brest@demo.mssante.test/delegations');
    assert.deepEqual(listed.body.map((d: { rights: string[] }) => d.rights), [['read', 'send']]);

    const noReason = await callApi(client, 'POST', `/api/v1/mailboxes/${per.body.id}/unpublish`, {});
    assert.equal(noReason.status, 400);
    assert.match(noReason.body.message, /field "reason" is required/);
    const unpublished = await callApi(client, 'POST', `/api/v1/mailboxes/${per.body.id}/unpublish`, { reason: 'liste rouge demandée', unlisted: true });
    assert.equal(unpublished.body.published, false);
    const published = await callApi(client, 'POST', `/api/v1/mailboxes/${per.body.id}/publish`, { reason: 'accord du titulaire' });
    assert.equal(published.body.published, true);
    const deleted = await callApi(client, 'POST', `/api/v1/mailboxes/${org.body.id}/delete`, { reason: 'service fermé' });
    assert.equal(deleted.body.status, 'deleted');
    const history = await callApi(client, 'GET', `/api/v1/mailboxes/${per.body.id}/history`);
    assert.deepEqual(history.body.events.map((e: { kind: string }) => e.kind), ['created', 'unpublished', 'published']);
    assert.equal(history.body.events[1].actor, 'operator:alice');
    const audit = await operator.context.audit.list({ action: 'mailbox.unpublish' });
    assert.equal(audit[0]?.actor, 'operator:alice');
    assert.equal(audit[0]?.channel, 'api');
  });

  test('directory search through the API: a published professional by name prefix; bad parameters refused', async () => {
    const found = await callApi(client, 'GET', '/api/v1/directory/search?text=kerv');
    assert.equal(found.status, 200, JSON.stringify(found.body));
    assert.equal(found.body.total, 1);
    assert.ok(JSON.stringify(found.body.results[0]).includes('yann.kervella@demo.mssante.test'));
    const bad = await callApi(client, 'GET', '/api/v1/directory/search?text=kerv&page=abc');
    assert.equal(bad.status, 400);
    const far = await callApi(client, 'GET', '/api/v1/directory/search?near=' + encodeURIComponent('Brest, 500 km'));
    assert.equal(far.status, 400);
  });

  test('bad requests: malformed JSON, unknown box, unknown route, wrong method', async () => {
    const malformed = await callApi(client, 'POST', '/api/v1/mailboxes', undefined, '{"type": ');
    assert.equal(malformed.status, 400);
    assert.match(malformed.body.message, /malformed JSON/);
    const unknown = await callApi(client, 'GET', '/api/v1/mailboxes/nobody@esante-demo.test');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error, 'MAILBOX_NOT_FOUND');
    assert.equal((await callApi(client, 'GET', '/api/v1/nothing')).status, 404);
    const wrongMethod = await callApi(client, 'PUT', '/api/v1/mailboxes');
    assert.equal(wrongMethod.status, 405);
  });

  test('networks and the queue: profiles, a trust list loaded by URL-less file, retry and purge requests checked', async () => {
    const networks = await callApi(client, 'GET', '/api/v1/networks');
    assert.deepEqual(networks.body.profiles.map((p: { name: string }) => p.name), ['mssante', 'apicrypt', 'regional', 'external']);
    assert.equal(networks.body.trustList, null);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hygie-api-tl-'));
    try {
      const file = path.join(dir, 'listeblanche.xml');
      writeFileSync(file, '<?xml version="1.0"?><ListeBlanche xmlns="https://listeblanche.mssante.fr/schema"><Domaine><Nom>ch-exemple.mssante.fr</Nom></Domaine><Domaine><Nom>clinique-éole.mssante.fr</Nom></Domaine></ListeBlanche>');
      const loaded = await callApi(client, 'POST', '/api/v1/networks/trust-list', { source: file });
      assert.equal(loaded.status, 200, JSON.stringify(loaded.body));
      assert.equal(loaded.body.domains, 2);
      assert.equal(await operator.context.trustList.contains('clinique-éole.mssante.fr'), true, 'IDN domains kept in ASCII form and found in either form');
      assert.equal(await operator.context.trustList.contains('xn--clinique-ole-jeb.mssante.fr'), true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const queue = await callApi(client, 'GET', '/api/v1/queue?status=queued');
    assert.deepEqual(queue.body, []);
    const badRetry = await callApi(client, 'POST', '/api/v1/queue/retry', {});
    assert.equal(badRetry.status, 400);
    const purge = await callApi(client, 'POST', '/api/v1/queue/999/purge');
    assert.equal(purge.status, 404);
  });

  test('a pinned client certificate authenticates; an unpinned one and a revoked token do not', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hygie-api-cert-'));
    try {
      for (const name of ['pinned', 'stranger']) {
        execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
          '-subj', `/CN=${name}`, '-keyout', path.join(dir, `${name}.key`), '-out', path.join(dir, `${name}.pem`)], { stdio: 'ignore' });
      }
      const cert = (name: string) => ({ cert: readFileSync(path.join(dir, `${name}.pem`), 'utf8'), key: readFileSync(path.join(dir, `${name}.key`), 'utf8') });
      await operator.context.operatorCredentials.addCertificate('robot', readFileSync(path.join(dir, 'pinned.pem')), 'operator:test');
      const ok = await callApi({ ...client, token: undefined, ...cert('pinned') }, 'GET', '/api/v1/mailboxes');
      assert.equal(ok.status, 200);
      const refused = await callApi({ ...client, token: undefined, ...cert('stranger') }, 'GET', '/api/v1/mailboxes');
      assert.equal(refused.status, 401);
      assert.match(refused.body.message, /not pinned/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await operator.context.operatorCredentials.revoke('alice', 'operator:test');
    assert.equal((await callApi(client, 'GET', '/api/v1/mailboxes')).status, 401);
  });
});
