#!/usr/bin/env node
// Runs every test file (`*.test.ts` under packages/*/src and packages/*/test) with node's test
// runner through tsx, against the packages' sources. Fails when it finds no test, when a test
// fails, and, with AGENTMON_REQUIRE_ALL=1 (CI), when any test was skipped.
// Usage: npm test [-- <path filter> ...]
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const filters = process.argv.slice(2);

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const files = walk(join(root, 'packages'), [])
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}

const args = ['--conditions=source', '--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files];
const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
let output = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  output += chunk.toString();
});
child.on('close', (code) => {
  // The summary lines come before the list of failures, so search the whole output.
  const count = (label) => Number([...output.matchAll(new RegExp(`^ℹ ${label} (\\d+)$`, 'gm'))].at(-1)?.[1] ?? NaN);
  const tests = count('tests');
  const passed = count('pass');
  const failed = count('fail');
  const skipped = count('skipped');
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  if (code !== 0) process.exit(code ?? 1);
  if (!(tests > 0)) {
    console.error('run-tests: no test was executed');
    process.exit(1);
  }
  if (process.env.AGENTMON_REQUIRE_ALL === '1' && skipped > 0) {
    console.error(`run-tests: ${skipped} test(s) skipped; CI requires every test to run (is AGENTMON_TEST_DATABASE_URL set?)`);
    process.exit(1);
  }
});
