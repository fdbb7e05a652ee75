import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isHygieError } from '../../core/errors.js';
import { rewriteIdentity } from './identity-rewrite.js';
import { domainMatches } from './networks.js';
import { parseTrustList } from './trust-list-xml.js';

test('trust list: namespace checked, prefixes, CDATA, entities, IDN domains in ASCII form, the generation date kept, junk set aside', () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<!-- liste de test -->
<lb:ListeBlanche xmlns:lb="https://listeblanche.mssante.fr/schema">
  <lb:DateGeneration>2026-11-20T06:00:00+01:00</lb:DateGeneration>
  <lb:Domaine><lb:Nom>ch-brest.mssante.fr</lb:Nom><lb:Operateur>CHU</lb:Operateur></lb:Domaine>
  <lb:Domaine><lb:Nom><![CDATA[Clinique-Éole.MSSANTE.fr]]></lb:Nom></lb:Domaine>
  <lb:Domaine><lb:Nom>ch-brest.mssante.fr</lb:Nom></lb:Domaine>
  <lb:Domaine><lb:Nom>pas un domaine &amp; autre</lb:Nom></lb:Domaine>
</lb:ListeBlanche>`;
  const parsed = parseTrustList(xml);
  assert.deepEqual(parsed.domains, ['ch-brest.mssante.fr', 'xn--clinique-ole-jeb.mssante.fr']);
  assert.equal(parsed.generatedAt, '2026-11-20T06:00:00+01:00');
  assert.deepEqual(parsed.rejected, [{ value: 'pas un domaine & autre', reason: 'not a domain name' }]);
  assert.throws(() => parseTrustList('<ListeBlanche><Domaine><Nom>a.fr</Nom></Domaine></ListeBlanche>'), (e: unknown) => isHygieError(e, 'INVALID_INPUT') && /namespace/.test(e.message));
  assert.throws(() => parseTrustList('<ListeBlanche xmlns="https://listeblanche.mssante.fr/schema"></ListeBlanche>'), /names no domain/);
});

test('domain patterns: exact names, and *.suffix for subdomains only', () => {
  assert.equal(domainMatches('ch-brest.mssante.fr', '*.mssante.fr'), true);
  assert.equal(domainMatches('mssante.fr', '*.mssante.fr'), false);
  assert.equal(domainMatches('evilmssante.fr', '*.mssante.fr'), false);
  assert.equal(domainMatches('apicrypt.org', 'APICRYPT.org'), true);
});

test('identity rewrite: the sender\'s own addresses in From, Sender and Reply-To become the network\'s; nothing else moves', () => {
  const raw = Buffer.from([
    'Return-Path: <anne@region.test>',
    'From: =?UTF-8?Q?Dr_Anne_K=C3=A9rjean?= <anne@region.test>',
    'Sender: anne@region.test',
    'Reply-To: "Secrétariat" <secretariat@region.test>, anne@REGION.test',
    'To: bruno@peer.mssante.fr, annex@region.test',
    'Subject: anne@region.test dans le sujet',
    '',
    'Corps: anne@region.test',
    '',
  ].join('\r\n'), 'utf8');
  const out = rewriteIdentity(raw, 'anne@region.mssante.test', ['anne@region.test', 'anne.ra@medical.apicrypt.test']).toString('utf8');
  assert.equal(out, [
    'From: =?UTF-8?Q?Dr_Anne_K=C3=A9rjean?= <anne@region.mssante.test>',
    'Sender: anne@region.mssante.test',
    'Reply-To: "Secrétariat" <secretariat@region.test>, anne@region.mssante.test',
    'To: bruno@peer.mssante.fr, annex@region.test',
    'Subject: anne@region.test dans le sujet',
    '',
    'Corps: anne@region.test',
    '',
  ].join('\r\n'));
});
