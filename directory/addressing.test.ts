import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_CONFIG } from '../core/config.js';
import { localPartOf, networkOfDomain, personalAddresses } from './addressing.js';

const domains = DEFAULT_CONFIG.operator.domains;

test('local parts drop accents and turn spaces and apostrophes into hyphens', () => {
  assert.equal(localPartOf('Hélène', "D'Aubigné"), 'helene.d-aubigne');
  assert.equal(localPartOf('Jean Pierre', 'Le  Gall'), 'jean-pierre.le-gall');
  assert.equal(localPartOf('Zoë', 'Lætitia'), 'zoe.laetitia');
});

test('a health professional gets regional, Apicrypt and MSSanté addresses', () => {
  assert.deepEqual(personalAddresses({ firstName: 'Hélène', lastName: 'Durand', isHealthProfessional: true, domains }), [
    { address: 'helene.durand@esante-demo.test', network: 'regional' },
    { address: 'helene.durand.demo@medical.apicrypt.test', network: 'apicrypt' },
    { address: 'helene.durand@demo.mssante.test', network: 'mssante' },
  ]);
});

test('a non-health professional gets no MSSanté address and the non-medical Apicrypt domain', () => {
  assert.deepEqual(personalAddresses({ firstName: 'Paul', lastName: 'Martin', isHealthProfessional: false, domains, suffix: 2 }), [
    { address: 'paul.martin2@esante-demo.test', network: 'regional' },
    { address: 'paul.martin2.demo@apicrypt.test', network: 'apicrypt' },
  ]);
});

test('domains map to networks', () => {
  assert.equal(networkOfDomain('DEMO.MSSANTE.TEST', domains), 'mssante');
  assert.equal(networkOfDomain('apicrypt.test', domains), 'apicrypt');
  assert.equal(networkOfDomain('example.org', domains), undefined);
});
