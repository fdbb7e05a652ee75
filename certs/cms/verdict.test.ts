import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as pkijs from 'pkijs';
import { allLayersValid, formatAuthenticationResults, innermostContent, type InvalidReason, type SignatureVerdict, type SignerSummary } from './verdict.js';

const signer: SignerSummary = {
  subject: 'CN=Dr Hélène Lefèvre,O=Santé Test,C=FR',
  emails: ['helene.lefevre@chu-test.mssante.fr'],
  serial: '0A1B2C',
  issuer: 'CN=AC Personnes Santé,O=Santé Test,C=FR',
  notBefore: new Date('2026-01-01T00:00:00Z'),
  notAfter: new Date('2029-01-01T00:00:00Z'),
  fingerprint: 'AA:BB',
  certificate: {} as pkijs.Certificate,
};
const headerFrom = ['helene.lefevre@chu-test.mssante.fr'];
const content = Buffer.from('Subject: x\r\n\r\nbody\r\n');

test('a valid signature: smime=pass with the RFC 7281 properties, ASCII only', () => {
  const verdict: SignatureVerdict = { status: 'valid', signer, headerFrom, content, revocation: 'good', warnings: [], form: 'detached' };
  assert.equal(
    formatAuthenticationResults(verdict, 'mx.hygie.test'),
    'mx.hygie.test;\r\n\tsmime=pass header.from=helene.lefevre@chu-test.mssante.fr body.smime-identifier=helene.lefevre@chu-test.mssante.fr ' +
      'body.smime-serial=0A1B2C body.smime-issuer="CN=AC Personnes Sant\\\\C3\\\\A9,O=Sant\\\\C3\\\\A9 Test,C=FR"',
  );
});

test('each verdict maps to its RFC 7281 result', () => {
  const expected: Record<InvalidReason, string> = {
    'bad-signature': 'fail', 'content-altered': 'fail', 'untrusted-chain': 'policy', expired: 'policy', 'not-yet-valid': 'policy',
    revoked: 'policy', 'wrong-key-usage': 'policy', 'from-mismatch': 'policy', 'unsupported-algorithm': 'neutral', malformed: 'neutral',
  };
  for (const [reason, result] of Object.entries(expected)) {
    const header = formatAuthenticationResults({ status: 'invalid', reason: reason as InvalidReason, detail: 'why', headerFrom, signer }, 'mx');
    assert.match(header, new RegExp(`smime=${result} reason="${reason}: why"`));
  }
  assert.match(formatAuthenticationResults({ status: 'unknown-signer', detail: 'no certificate', headerFrom }, 'mx'), /smime=neutral reason="no certificate" header\.from=/);
  assert.match(formatAuthenticationResults({ status: 'revocation-unknown', detail: 'no CRL', headerFrom, signer }, 'mx'), /smime=temperror reason="no CRL"/);
  assert.match(formatAuthenticationResults({ status: 'unsigned', detail: 'plain', headerFrom }, 'mx'), /^mx;\r\n\tsmime=none /);
});

test('nothing from the message can break out of the header value', () => {
  const verdict: SignatureVerdict = {
    status: 'invalid', reason: 'from-mismatch', headerFrom: ['"evil\r\nX-Injected: 1"@example.test'],
    detail: 'From x\r\nAuthentication-Results: forged; smime=pass "quoted" \\ back',
  };
  const header = formatAuthenticationResults(verdict, 'mx.hygie.test');
  assert.equal(header.split('\r\n\t').length, 2, 'only our own folding');
  assert.doesNotMatch(header.replace(/\r\n\t/g, ''), /[\r\n]/);
  assert.match(header, /reason="from-mismatch: From x Authentication-Results: forged; smime=pass \\"quoted\\" \\\\ back"/);
  assert.match(header, /header\.from="\\"evil X-Injected: 1\\"@example\.test"/);
  assert.throws(() => formatAuthenticationResults(verdict, 'mx; smime=pass'), /not a host name/);
});

test('innermostContent and allLayersValid follow nested verdicts', () => {
  const inner: SignatureVerdict = { status: 'invalid', reason: 'content-altered', detail: 'd', headerFrom, content: Buffer.from('inner') };
  const outer: SignatureVerdict = { status: 'valid', signer, headerFrom, content, revocation: 'not-checked', warnings: [], nested: inner };
  assert.equal(innermostContent(outer)?.toString(), 'inner');
  assert.equal(allLayersValid(outer), false);
  assert.equal(allLayersValid({ ...outer, nested: { status: 'unsigned', detail: 'plain', headerFrom } }), true);
});
