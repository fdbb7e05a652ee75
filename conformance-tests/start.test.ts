/**
 * `hygie start` as a real process, as `npm start` runs it: first start creates the data
 * folder, every port answers its protocol, and SIGTERM stops it cleanly — a transaction
 * in flight finishes and is stored, a new one on an open session gets 421.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { spawnOperator, type SpawnedOperator } from './harness.js';
import { CLI } from './harness.js';
import { SmtpDialog } from './smtp-dialog.js';


function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
  });
}

/** Connects, waits for the greeting, sends one command and waits for `expect`; returns the whole exchange. */
async function greeting(port: number, expect: RegExp, command: string): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  let text = '';
  let sent = false;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no match for ${expect} in ${JSON.stringify(text)}`)), 5000);
      socket.on('data', (chunk) => {
        text += chunk.toString('utf8');
        if (!sent && text.endsWith('\r\n')) {
          sent = true;
          socket.write(command + '\r\n');
        }
        if (sent && expect.test(text)) {
          clearTimeout(timer);
          resolve();
        }
      });
      socket.once('error', reject);
    });
  } finally {
    socket.destroy();
  }
  return text;
}

describe('hygie start (a real process)', () => {
  let dataDir: string;
  let started: SpawnedOperator;

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'hygie-start-'));
    rmSync(dataDir, { recursive: true });
    started = await spawnOperator(dataDir, { HYGIE_SMTP_SHUTDOWN_GRACE_SECONDS: '5' });
  });
  after(() => {
    if (started?.child.exitCode === null) started.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('first start creates the data folder, database and development PKI, and logs where they are', () => {
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    assert.ok(existsSync(path.join(dataDir, 'hygie.sqlite')));
    assert.match(readFileSync(path.join(dataDir, 'pki', 'ca.crt'), 'utf8'), /BEGIN CERTIFICATE/);
    const text = started.output.join('');
    assert.ok(text.includes(`Data folder              ${dataDir}`), text);
    assert.ok(text.includes(path.join(dataDir, 'hygie.sqlite')));
    assert.deepEqual(Object.keys(started.ports).sort(), ['api', 'imap', 'ldap', 'smtp', 'submission', 'webmail']);
  });

  test('every port answers its protocol: SMTP and IMAP offer STARTTLS, LDAP and HTTP answer', async () => {
    const submission = await greeting(started.ports.submission as number, /250[ -]STARTTLS/, 'EHLO probe.test');
    assert.match(submission, /^220 /);
    assert.match(await greeting(started.ports.smtp as number, /250[ -]STARTTLS/, 'EHLO probe.test'), /^220 /);
    assert.match(await greeting(started.ports.imap as number, /a OK/, 'a CAPABILITY'), /STARTTLS/);
    const response = await fetch(`http://127.0.0.1:${started.ports.webmail}/login`);
    assert.equal(response.status, 200);
    const ldapBind = await new Promise<Buffer>((resolve, reject) => {
      const socket = net.connect(started.ports.ldap as number, '127.0.0.1', () => {
        // An anonymous LDAPv3 simple bind request (message id 1).
        socket.write(Buffer.from([0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0x80, 0x00]));
      });
      socket.once('data', (data) => { socket.destroy(); resolve(data); });
      socket.once('error', reject);
    });
    // BindResponse (0x61) with resultCode success (0x0a 0x01 0x00).
    assert.ok(ldapBind.includes(0x61) && ldapBind.includes(Buffer.from([0x0a, 0x01, 0x00])), ldapBind.toString('hex'));
  });

  test('SIGTERM lets a transaction in flight finish, refuses a new one with 421, and exits 0', async () => {
    const { spawnSync } = await import('node:child_process');
    const create = spawnSync(process.execPath, [CLI, 'mailbox', 'create', '--first-name', 'Jeanne', '--last-name', 'Petit', '--adeli', '751234567', '--password', 'un mot de passe long'], {
      env: { PATH: process.env.PATH ?? '', HYGIE_SERVER_DATA_DIR: dataDir }, encoding: 'utf8',
    });
    assert.equal(create.status, 0, create.stderr);

    const inFlight = (await SmtpDialog.connect(started.ports.smtp as number)).dialog;
    const idle = (await SmtpDialog.connect(started.ports.smtp as number)).dialog;
    await inFlight.command('EHLO peer.test');
    await idle.command('EHLO peer.test');
    assert.equal((await inFlight.command('MAIL FROM:<dr.x@other.test>')).code, 250);
    assert.equal((await inFlight.command('RCPT TO:<jeanne.petit@esante-demo.test>')).code, 250);
    assert.equal((await inFlight.command('DATA')).code, 354);

    started.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const refused = await idle.command('MAIL FROM:<late@other.test>');
    assert.equal(refused.code, 421);
    const done = await inFlight.data('From: dr.x@other.test\nSubject: Envoyé pendant l\'arrêt\n\nLe message arrive quand même.\n');
    assert.equal(done.code, 250, done.text);
    inFlight.close();
    assert.equal(await exited(started.child), 0);
    assert.match(started.output.join(''), /SIGTERM received[\s\S]*stopped cleanly/);

    // After the stop, the message is in the store: list it with the CLI on the same data.
    const audit = spawnSync(process.execPath, [CLI, 'audit', '--action', 'smtp.accept'], {
      env: { PATH: process.env.PATH ?? '', HYGIE_SERVER_DATA_DIR: dataDir }, encoding: 'utf8',
    });
    assert.match(audit.stdout, /smtp\.accept\s+success.*jeanne\.petit@esante-demo\.test/);
  });
});
