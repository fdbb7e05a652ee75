import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, DEFAULT_CONFIG, envName, loadConfig } from './config.js';

function withFile(text: string, run: (file: string) => void): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hygie-config-'));
  try {
    const file = path.join(dir, 'hygie.yaml');
    writeFileSync(file, text);
    run(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('defaults load when no file is given', () => {
  const { config, file } = loadConfig({ env: {} , file: undefined });
  assert.equal(file, undefined);
  assert.equal(config.smtp.mxPort, 2525);
  assert.equal(config.smtp.submissionPort, 2587);
  assert.equal(config.imap.port, 1143);
  assert.equal(config.ldap.port, 1389);
  assert.equal(config.webmail.port, 8080);
  assert.ok(Object.isFrozen(config.smtp));
});

test('the file overrides defaults and environment variables override the file', () => {
  withFile('smtp:\n  mxPort: 2600\noperator:\n  domains:\n    regional: sante-bzh.test\n', (file) => {
    const { config } = loadConfig({ file, env: { HYGIE_SMTP_MX_PORT: '2700', DATABASE_URL: 'postgres://x@127.0.0.1/db' } });
    assert.equal(config.smtp.mxPort, 2700);
    assert.equal(config.operator.domains.regional, 'sante-bzh.test');
    assert.equal(config.operator.domains.mssante, DEFAULT_CONFIG.operator.domains.mssante);
    assert.equal(config.database.url, 'postgres://x@127.0.0.1/db');
  });
});

test('environment variable names follow the key path', () => {
  assert.equal(envName('smtp.mxPort'), 'HYGIE_SMTP_MX_PORT');
  assert.equal(envName('operator.domains.apicryptHealth'), 'HYGIE_OPERATOR_DOMAINS_APICRYPT_HEALTH');
  const { config } = loadConfig({ file: undefined, env: { HYGIE_SERVER_HOSTNAMES: 'mx1.example.test, mx2.example.test' } });
  assert.deepEqual(config.server.hostnames, ['mx1.example.test', 'mx2.example.test']);
});

test('an unknown key is refused and named', () => {
  withFile('smtp:\n  mxPrt: 25\n', (file) => {
    assert.throws(() => loadConfig({ file, env: {} }), (error: unknown) =>
      error instanceof ConfigError && error.key === 'smtp.mxPrt' && /not a known setting/.test(error.message));
  });
});

test('a value of the wrong type or out of range is refused and named', () => {
  withFile('imap:\n  port: "imap"\n', (file) => {
    assert.throws(() => loadConfig({ file, env: {} }), (e: unknown) => e instanceof ConfigError && e.key === 'imap.port' && /must be a number/.test(e.message));
  });
  withFile('ldap:\n  port: 70000\n', (file) => {
    assert.throws(() => loadConfig({ file, env: {} }), (e: unknown) => e instanceof ConfigError && e.key === 'ldap.port');
  });
  assert.throws(() => loadConfig({ file: undefined, env: { HYGIE_WEBMAIL_PORT: 'eighty' } }),
    (e: unknown) => e instanceof ConfigError && e.key === 'webmail.port' && /HYGIE_WEBMAIL_PORT/.test(e.message));
  assert.throws(() => loadConfig({ file: undefined, env: { HYGIE_OPERATOR_DOMAINS_MSSANTE: 'not a domain' } }),
    (e: unknown) => e instanceof ConfigError && e.key === 'operator.domains.mssante');
  assert.throws(() => loadConfig({ file: undefined, env: { HYGIE_QUEUE_PER_DOMAIN_CONCURRENCY: '0' } }),
    (e: unknown) => e instanceof ConfigError && e.key === 'queue.perDomainConcurrency' && /at least 1/.test(e.message));
  assert.throws(() => loadConfig({ file: undefined, env: { HYGIE_QUEUE_CONCURRENCY: '2.5' } }),
    (e: unknown) => e instanceof ConfigError && e.key === 'queue.concurrency' && /whole number/.test(e.message));
  assert.equal(loadConfig({ file: undefined, env: { HYGIE_QUEUE_LIFETIME_HOURS: '48' } }).config.queue.lifetimeHours, 48);
});

test('malformed YAML and a missing file are refused with the file named', () => {
  withFile('smtp: [unclosed\n', (file) => {
    assert.throws(() => loadConfig({ file, env: {} }), (e: unknown) => e instanceof ConfigError && e.message.includes(file) && /not valid YAML/.test(e.message));
  });
  assert.throws(() => loadConfig({ file: '/nonexistent/hygie.yaml', env: {} }), /does not exist/);
});

test('a certificate file without its key is refused', () => {
  assert.throws(() => loadConfig({ file: undefined, env: { HYGIE_TLS_CERT_FILE: '/etc/cert.pem' } }),
    (e: unknown) => e instanceof ConfigError && e.key === 'tls.keyFile');
});

test('the commented example file in the repository is valid and documents the defaults', () => {
  const example = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../hygie.example.yaml');
  const { config } = loadConfig({ file: example, env: {} });
  assert.deepEqual(JSON.parse(JSON.stringify(config)), JSON.parse(JSON.stringify(DEFAULT_CONFIG)));
});
