/**
 * Starts the real operator for end-to-end tests: every server on a free loopback port,
 * a temporary data folder, SQLite by default or a fresh PostgreSQL database
 * (`engine: 'postgres'`, server from HYGIE_TEST_POSTGRES_URL). Tests then talk to it
 * with real clients only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOperator, type RunningOperator } from '../app/operator.js';
import type { Clock } from '../core/clock.js';
import { loadConfig, type DeepPartial, type Config } from '../core/config.js';
import { Logger } from '../core/logger.js';
import { createTestPostgresDatabase } from '../core/testing-postgres.js';
import type { MailboxSummary } from '../directory/types.js';

/** The compiled command line, as `npm start` and `npm run hygie` run it. */
export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../app/cli.js');

export interface TestOperator extends RunningOperator {
  dataDir: string;
  config: Readonly<Config>;
  /** Log lines written while running (warnings and errors, plus info when verbose). */
  logs: string[];
  createUser(firstName: string, lastName: string, options?: { rpps?: string; adeli?: string; password?: string }): Promise<MailboxSummary & { password: string }>;
  /** Stops the operator and removes its data. */
  dispose(): Promise<void>;
}

export async function startTestOperator(options: { engine?: 'sqlite' | 'postgres'; overrides?: DeepPartial<Config>; dataDir?: string; clock?: Clock } = {}): Promise<TestOperator> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'hygie-e2e-'));
  const database = options.engine === 'postgres' ? await createTestPostgresDatabase('hygie_e2e') : undefined;
  const overrides = options.overrides ?? {};
  const { config } = loadConfig({
    file: undefined,
    env: {},
    overrides: {
      ...overrides,
      // Merged key by key: a test that sets one SMTP setting still listens on free ports.
      smtp: { mxPort: 0, submissionPort: 0, shutdownGraceSeconds: 2, ...overrides.smtp },
      imap: { port: 0, ...overrides.imap },
      ldap: { port: 0, ...overrides.ldap },
      webmail: { port: 0, ...overrides.webmail },
      api: { port: 0, ...overrides.api },
      database: { url: database?.url ?? '', ...overrides.database },
      server: { dataDir, ...overrides.server },
    },
  });
  const logs: string[] = [];
  const logger = new Logger({ level: 'info', format: 'text', write: (line) => logs.push(line) });
  let running: RunningOperator;
  try {
    running = await startOperator(config, logger, options.clock);
  } catch (error) {
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    ...running,
    dataDir,
    config,
    logs,
    async createUser(firstName, lastName, extra = {}) {
      const password = extra.password ?? `pw-${randomBytes(8).toString('hex')}`;
      const box = await running.context.mailboxes.createPersonalMailbox({
        firstName, lastName, password, actor: 'operator:test',
        ...(extra.rpps ? { rpps: extra.rpps } : {}), ...(extra.adeli ? { adeli: extra.adeli } : {}),
      });
      return { ...box, password };
    },
    async dispose() {
      await running.stop();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Valid RPPS numbers (Luhn key) for test professionals. */
export const TEST_RPPS = ['99700218896', '10003456786', '10101010105'];

export interface SpawnedOperator {
  child: ChildProcess;
  output: string[];
  ports: Record<string, number>;
}

/**
 * Runs `hygie start` as its own process (as `npm start` does) on free ports, and waits
 * until it logs where it listens; the ports are read from that log.
 */
export async function spawnOperator(dataDir: string, env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<SpawnedOperator> {
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'start'], {
    env: {
      PATH: process.env.PATH ?? '', HYGIE_SERVER_DATA_DIR: dataDir, HYGIE_SMTP_MX_PORT: '0', HYGIE_SMTP_SUBMISSION_PORT: '0',
      HYGIE_IMAP_PORT: '0', HYGIE_LDAP_PORT: '0', HYGIE_WEBMAIL_PORT: '0', HYGIE_API_PORT: '0', ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const ports: Record<string, number> = {};
  const patterns: Array<[string, RegExp]> = [
    ['smtp', /SMTP \(MX, inbound\)\s+smtp:\/\/127\.0\.0\.1:(\d+)/], ['submission', /SMTP submission\s+smtp:\/\/127\.0\.0\.1:(\d+)/],
    ['imap', /IMAP\s+imap:\/\/127\.0\.0\.1:(\d+)/], ['ldap', /LDAP directory\s+ldap:\/\/127\.0\.0\.1:(\d+)/],
    ['webmail', /Webmail\s+http:\/\/127\.0\.0\.1:(\d+)/], ['api', /Operator API\s+https:\/\/127\.0\.0\.1:(\d+)/],
  ];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not started in time:\n${output.join('')}`)), 30_000);
    const onData = (chunk: Buffer): void => {
      output.push(chunk.toString('utf8'));
      const text = output.join('');
      for (const [name, pattern] of patterns) {
        const match = pattern.exec(text);
        if (match) ports[name] = Number(match[1]);
      }
      if (/Domains\s/.test(text)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${output.join('')}`));
    });
  });
  return { child, output, ports };
}


/** A port free at the time of asking (for instances that must know each other's ports before starting). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
