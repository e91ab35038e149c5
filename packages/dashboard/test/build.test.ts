/**
 * `npm start` builds first (`npm run build`); with nothing changed the dashboard's bundle is not
 * built again, so a second start is quick. The script must still build when a source is newer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { dist, ensureBuilt } from './browser-kit.js';

const script = join(dist, '..', '..', '..', 'scripts', 'build-dashboard.mjs');

test('the dashboard build is skipped when nothing it is built from changed', () => {
  ensureBuilt();
  const before = statSync(join(dist, 'index.html')).mtimeMs;
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /dashboard bundle up to date/);
  assert.equal(statSync(join(dist, 'index.html')).mtimeMs, before, 'the bundle was not written again');
});
