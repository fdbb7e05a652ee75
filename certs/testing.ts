/**
 * Helpers shared by the certs tests only: a throw-away directory and openssl as an
 * independent verifier (openssl is never used to generate anything).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

export interface OpensslResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function openssl(args: readonly string[], input?: string): OpensslResult {
  const run = spawnSync('openssl', args, { encoding: 'utf8', ...(input !== undefined ? { input } : {}) });
  if (run.error) throw run.error;
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** A fresh temporary directory, removed by the returned cleanup function. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(os.tmpdir() + '/hygie-');
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
