/**
 * `npm test`: runs every compiled `*.test.js` under dist/ with Node's test runner, so its
 * summary line ends the output. Arguments narrow the run to paths containing them
 * (`npm test -- imap`). HYGIE_TEST_POSTGRES_URL selects the PostgreSQL server used by
 * the database tests (default: the local one, database `test`).
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const distRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function findTests(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : findTests(full);
    return entry.name.endsWith('.test.js') ? [full] : [];
  });
}

const filters = process.argv.slice(2);
const files = findTests(distRoot)
  .filter((file) => filters.length === 0 || filters.some((f) => path.relative(distRoot, file).includes(f)))
  .sort();
if (files.length === 0) {
  console.error(`no test file matches ${filters.join(' ')}`);
  process.exit(1);
}
const child = spawn(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
