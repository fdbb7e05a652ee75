import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { isHygieError } from '../../core/errors.js';
import { tempDir } from '../testing.js';
import { JsonFileRevocationRegister } from './json-register.js';
import { MemoryRevocationRegister, type CertificateRecord, type RegisterState, type RevocationRegister } from './register.js';

const record = (serialHex: string): CertificateRecord => ({
  serialHex, subject: `CN=${serialHex}`, profile: 'S/MIME signing',
  notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2028-01-01T00:00:00Z'),
  certificatePem: '-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n',
});
const invalid = (pattern: RegExp) => (e: unknown) => isHygieError(e, 'INVALID_INPUT') && pattern.test(e.message);

/** The behaviour every RevocationRegister must have (certs/store's will be run through it too). */
async function registerContract(register: RevocationRegister): Promise<void> {
  assert.deepEqual(await register.list(), []);
  await register.recordIssued(record('0A'));
  await register.recordIssued(record('0B'));
  await assert.rejects(register.recordIssued(record('0A')), invalid(/already issued/));
  const date = new Date('2026-06-01T12:00:00Z');
  const revoked = await register.recordRevocation('0B', { reason: 'keyCompromise', date });
  assert.deepEqual(revoked, { ...record('0B'), revocation: { reason: 'keyCompromise', date } });
  await assert.rejects(register.recordRevocation('0B', { reason: 'superseded', date }), invalid(/already revoked/));
  await assert.rejects(register.recordRevocation('0C', { reason: 'superseded', date }), invalid(/not issued by this CA/));
  assert.deepEqual((await register.list()).map((r) => r.serialHex), ['0A', '0B']);
  assert.deepEqual((await register.revoked()).map((r) => r.serialHex), ['0B']);
  assert.deepEqual(await register.find('0A'), record('0A'));
  assert.equal(await register.find('0C'), undefined);
  // CRL numbers: 1, 2, 3… even when asked for at the same time.
  const numbers = await Promise.all([register.nextCrlNumber(), register.nextCrlNumber(), register.nextCrlNumber()]);
  assert.deepEqual(numbers.sort(), [1n, 2n, 3n]);
}

test('the in-memory register keeps the contract', async () => {
  await registerContract(new MemoryRevocationRegister());
});

test('the JSON-file register keeps the contract, persists every change atomically with mode 0600, and reopens', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, 'register.json');
    const register = await JsonFileRevocationRegister.open(file);
    assert.equal(fs.existsSync(file), false, 'nothing written before the first change');
    await registerContract(register);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(dir), ['register.json'], 'no temp file left behind');
    const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(saved.format, 'hygie-revocation-register/1');
    assert.equal(saved.lastCrlNumber, '3');
    assert.deepEqual(saved.certificates[1].revocation, { reason: 'keyCompromise', date: '2026-06-01T12:00:00.000Z' });

    const reopened = await JsonFileRevocationRegister.open(file);
    assert.deepEqual(await reopened.list(), await register.list());
    assert.equal(await reopened.nextCrlNumber(), 4n);
    await assert.rejects(reopened.recordIssued(record('0A')), invalid(/already issued/));
  } finally {
    cleanup();
  }
});

test('a damaged register file is refused, never silently emptied', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, 'register.json');
    const register = await JsonFileRevocationRegister.open(file);
    await register.recordIssued(record('0A'));
    const good = fs.readFileSync(file, 'utf8');
    const refused = async (text: string, pattern: RegExp) => {
      fs.writeFileSync(file, text);
      await assert.rejects(JsonFileRevocationRegister.open(file), (e: unknown) => isHygieError(e, 'CONFIG_INVALID') && pattern.test(e.message));
    };
    await refused(good.slice(0, good.length / 2), /invalid JSON/);
    await refused(good.replace('"lastCrlNumber": "0"', '"lastCrlNumber": -1'), /lastCrlNumber/);
    await refused(good.replace('"serialHex": "0A"', '"serialHex": "zz"'), /certificate #0/);
    await refused(good.replace('"notAfter": "2028', '"notAfter": "soon'), /certificate #0/);
    const twice = JSON.parse(good);
    twice.certificates.push(twice.certificates[0]);
    await refused(JSON.stringify(twice), /listed twice/);
    await refused(JSON.stringify({ ...JSON.parse(good), certificates: [{ ...JSON.parse(good).certificates[0], revocation: { reason: 'certificateHold', date: '2026-01-01T00:00:00Z' } }] }), /certificate #0/);
  } finally {
    cleanup();
  }
});

test('a change whose write fails is not applied', async () => {
  class FailingOnce extends MemoryRevocationRegister {
    fail = true;
    protected override async persist(_next: RegisterState): Promise<void> {
      if (this.fail) {
        this.fail = false;
        throw new Error('disk full');
      }
    }
  }
  const register = new FailingOnce();
  await assert.rejects(register.recordIssued(record('0A')), /disk full/);
  assert.deepEqual(await register.list(), []);
  await register.recordIssued(record('0A'));
  assert.equal((await register.list()).length, 1);
});
