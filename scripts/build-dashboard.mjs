#!/usr/bin/env node
// Builds the web dashboard (packages/dashboard/dist) unless the bundle is newer than everything it
// is built from: its sources, index.html, its vite and package config, and the schema and SDK sources it
// bundles. `npm start` builds first, and a second start with nothing changed then starts at once.
// Usage: node scripts/build-dashboard.mjs [--force]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const pkg = join(root, 'packages', 'dashboard');
const inputs = [join(pkg, 'src'), join(pkg, 'index.html'), join(pkg, 'vite.config.ts'), join(pkg, 'package.json'), join(root, 'packages', 'schema', 'src'), join(root, 'packages', 'sdk', 'src')];

/** Newest modification time under `path` (a file or a folder, test files included: cheap and safe). */
function newest(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let most = st.mtimeMs;
  for (const name of readdirSync(path)) most = Math.max(most, newest(join(path, name)));
  return most;
}

const bundle = join(pkg, 'dist', 'index.html');
const fresh = existsSync(bundle) && statSync(bundle).mtimeMs >= Math.max(...inputs.filter((p) => existsSync(p)).map(newest));
if (fresh && !process.argv.includes('--force')) {
  console.log('dashboard bundle up to date (packages/dashboard/dist)');
} else {
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const r = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: pkg, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  console.log('dashboard built (packages/dashboard/dist)');
}
