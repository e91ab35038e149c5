#!/usr/bin/env node
// Runs every test: each `*.test.ts` under packages/ with node's test runner through tsx (against
// the packages' sources), then the Python client's unittest suite (clients/python/tests). Fails
// when it finds no test, when a test fails, and, with AGENTMON_REQUIRE_ALL=1 (CI), when any test
// was skipped. Prints one closing line: "N passed, N failed, N skipped".
// Usage: npm test [-- <part of a path> ...]   (e.g. `npm test -- packages/sdk clients/python`)
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const filters = process.argv.slice(2);
const wanted = (path) => filters.length === 0 || filters.some((x) => path.includes(x));

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

/** Runs a command, echoing its output; resolves to its exit code and what it printed. */
function run(command, args, stream) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (target) => (chunk) => {
      target.write(chunk);
      output += chunk.toString();
    };
    child.stdout.on('data', take(process.stdout));
    child.stderr.on('data', take(stream === 'both' ? process.stdout : process.stderr));
    child.on('error', (err) => resolve({ code: 127, output: String(err) }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

const totals = { tests: 0, passed: 0, failed: 0, skipped: 0 };
let failedRun = false;

const files = walk(join(root, 'packages'), []).filter(wanted).sort();
if (files.length > 0) {
  const args = ['--conditions=source', '--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files];
  const { code, output } = await run(process.execPath, args, 'stderr');
  // The summary lines come before the list of failures, so search the whole output.
  const count = (label) => Number([...output.matchAll(new RegExp(`^ℹ ${label} (\\d+)$`, 'gm'))].at(-1)?.[1] ?? 0);
  totals.tests += count('tests');
  totals.passed += count('pass');
  totals.failed += count('fail');
  totals.skipped += count('skipped') + count('todo');
  if (code !== 0) failedRun = true;
}

const python = join(root, 'clients', 'python', 'tests');
if (existsSync(python) && wanted('clients/python/tests/')) {
  const { code, output } = await run('python3', ['-m', 'unittest', 'discover', '-s', python, '-v'], 'both');
  const ran = Number(/^Ran (\d+) tests?/m.exec(output)?.[1] ?? 0);
  const failures = Number(/failures=(\d+)/.exec(output)?.[1] ?? 0) + Number(/errors=(\d+)/.exec(output)?.[1] ?? 0);
  const skipped = Number(/skipped=(\d+)/.exec(output)?.[1] ?? 0);
  totals.tests += ran;
  totals.failed += failures;
  totals.skipped += skipped;
  totals.passed += ran - failures - skipped;
  if (code !== 0) failedRun = true;
}

console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
if (totals.tests === 0) {
  console.error('run-tests: no test was executed');
  process.exit(1);
}
if (failedRun || totals.failed > 0) process.exit(1);
if (process.env.AGENTMON_REQUIRE_ALL === '1' && totals.skipped > 0) {
  console.error(`run-tests: ${totals.skipped} test(s) skipped; CI requires every test to run (is AGENTMON_TEST_DATABASE_URL set?)`);
  process.exit(1);
}
