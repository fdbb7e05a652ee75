/**
 * The operator command line as an operator types it: a real `node dist/app/cli.js`
 * process per command, on a temporary data folder, checking output and exit codes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { samplePath } from '../directory/registry/testing.js';
import { CLI } from './harness.js';


describe('hygie command line', () => {
  let dataDir: string;
  const run = (args: string[], options: { input?: string; env?: Record<string, string> } = {}) => {
    const result = spawnSync(process.execPath, [CLI, ...args], {
      encoding: 'utf8',
      input: options.input ?? '',
      env: { PATH: process.env.PATH ?? '', HYGIE_SERVER_DATA_DIR: dataDir, ...options.env },
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  before(() => { dataDir = mkdtempSync(path.join(os.tmpdir(), 'hygie-cli-')); });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('mailbox create for a doctor prints three addresses', () => {
    const r = run(['mailbox', 'create', '--first-name', 'Hélène', '--last-name', "D'Aubigné", '--rpps', '99700218896', '--profession', 'Médecin', '--password', 'un mot de passe long']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /created for Hélène D'Aubigné \(RPPS 99700218896\)/);
    assert.match(r.stdout, /regional\s+helene\.d-aubigne@esante-demo\.test/);
    assert.match(r.stdout, /apicrypt\s+helene\.d-aubigne\.demo@medical\.apicrypt\.test/);
    assert.match(r.stdout, /mssante\s+helene\.d-aubigne@demo\.mssante\.test/);
  });

  test('mailbox create for a non-health professional prints two addresses, password from stdin', () => {
    const r = run(['mailbox', 'create', '--first-name', 'Paul', '--last-name', 'Martin', '--password-stdin'], { input: 'assistante sociale 2026\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /paul\.martin@esante-demo\.test/);
    assert.match(r.stdout, /paul\.martin\.demo@apicrypt\.test/);
    assert.doesNotMatch(r.stdout, /mssante/);
  });

  test('a duplicate RPPS, an invalid RPPS and a missing password are refused with clear errors', () => {
    const dup = run(['mailbox', 'create', '--first-name', 'X', '--last-name', 'Y', '--rpps', '99700218896', '--password', 'un mot de passe long']);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /already exists for RPPS 99700218896/);
    const bad = run(['mailbox', 'create', '--first-name', 'X', '--last-name', 'Y', '--rpps', '99700218897', '--password', 'un mot de passe long']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /wrong check digit/);
    const nopw = run(['mailbox', 'create', '--first-name', 'X', '--last-name', 'Y']);
    assert.equal(nopw.code, 2);
    assert.match(nopw.stderr, /password is required/);
  });

  test('the same names twice are refused unless --namesake is given', () => {
    const again = run(['mailbox', 'create', '--first-name', 'Paul', '--last-name', 'Martin', '--password', 'un mot de passe long']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /paul\.martin@esante-demo\.test already belongs to mailbox \d+/);
    const namesake = run(['mailbox', 'create', '--first-name', 'Paul', '--last-name', 'Martin', '--namesake', '--password', 'un mot de passe long']);
    assert.equal(namesake.code, 0, namesake.stderr);
    assert.match(namesake.stdout, /paul\.martin2@esante-demo\.test/);
  });

  test('mailbox list shows boxes, and passwd changes the password', () => {
    const list = run(['mailbox', 'list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    const boxes = JSON.parse(list.stdout) as Array<{ displayName: string; addresses: unknown[] }>;
    assert.deepEqual(boxes.map((b) => [b.displayName, b.addresses.length]), [["Hélène D'Aubigné", 3], ['Paul Martin', 2], ['Paul Martin', 2]]);
    const passwd = run(['mailbox', 'passwd', 'paul.martin@esante-demo.test', '--password', 'nouveau mot de passe']);
    assert.equal(passwd.code, 0, passwd.stderr);
    const unknown = run(['mailbox', 'passwd', 'personne@esante-demo.test', '--password', 'nouveau mot de passe']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no mailbox has the address or id "personne@esante-demo.test"/);
    const audit = run(['audit', '--action', 'mailbox.password-reset']);
    assert.match(audit.stdout, /mailbox\.password-reset\s+success/);
  });

  test('pki print-ca prints the development CA and its fingerprint', () => {
    const r = run(['pki', 'print-ca']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    assert.match(r.stderr, /SHA-256 fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
  });

  test('a malformed configuration exits with 78 and names the key', () => {
    const file = path.join(dataDir, 'bad.yaml');
    writeFileSync(file, 'smtp:\n  mxPort: deux-mille\n');
    const r = run(['--config', file, 'mailbox', 'list']);
    assert.equal(r.code, 78);
    assert.match(r.stderr, /configuration key "smtp\.mxPort" must be a number/);
    const env = run(['mailbox', 'list'], { env: { HYGIE_IMAP_PORT: 'x' } });
    assert.equal(env.code, 78);
    assert.match(env.stderr, /"imap\.port".*HYGIE_IMAP_PORT/);
  });

  test('registry import refuses a file that would make most of the directory vanish, unless --allow-vanish', () => {
    const full = samplePath('PS_LibreAcces_Personne_activite_202611240830.txt');
    assert.equal(run(['registry', 'import', full]).code, 0);
    const truncated = path.join(dataDir, 'PS_LibreAcces_Personne_activite_202612010830.txt');
    writeFileSync(truncated, readFileSync(full, 'utf8').split('\r\n').slice(0, 4).join('\r\n'));
    const guard = { HYGIE_REGISTRY_MAX_VANISHED_PERCENT: '50', HYGIE_REGISTRY_VANISHED_ALWAYS_ACCEPTED: '2' };
    const refused = run(['registry', 'import', truncated], { env: guard });
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stdout, /ÉCHEC\n.*6 professionnels sur 8 \(75 %\).*--allow-vanish/);
    assert.match(run(['registry', 'show', '10007890121']).stdout, /MÉNEZ/);
    assert.doesNotMatch(run(['registry', 'show', '10007890121']).stdout, /disparu le/);
    const allowed = run(['registry', 'import', '--allow-vanish', truncated], { env: guard });
    assert.equal(allowed.code, 0, allowed.stdout);
    assert.match(allowed.stdout, /professionnels\s+\+0 ajoutés, ~0 modifiés, 2 inchangés, -6 disparus/);
    assert.match(run(['registry', 'show', '10007890121']).stdout, /disparu le/);
  });

  test('start on a port already in use stops at once, naming the setting to change', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const free = { HYGIE_SMTP_SUBMISSION_PORT: '0', HYGIE_IMAP_PORT: '0', HYGIE_LDAP_PORT: '0', HYGIE_WEBMAIL_PORT: '0', HYGIE_API_PORT: '0' };
      const r = run(['start'], { env: { ...free, HYGIE_SMTP_MX_PORT: String(port), HYGIE_LIFECYCLE_ENABLED: 'false' } });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`hygie: cannot listen on 127\\.0\\.0\\.1:${port} \\(smtp\\.mxPort\\): the port is already in use.*HYGIE_SMTP_MX_PORT`));
      assert.doesNotMatch(r.stderr, /unexpected failure|at Server\./);
    } finally {
      taken.close();
    }
  });

  test('an unknown command prints the usage with exit code 2', () => {
    const r = run(['mailbox', 'explode']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Usage: hygie/);
  });
});
