/**
 * `npm run soak` in miniature (20 agents, one report a second each, 15 s): the script starts the
 * built server, loads it with live-stream clients watching, and checks at the end that every
 * acknowledged payload is stored and memory stopped growing. The long run is `npm run soak`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

test('the soak script runs the built server under load and finds every acknowledged payload stored', { timeout: 120_000 }, () => {
  const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', join(root, 'bench', 'soak.ts')], {
    cwd: root,
    encoding: 'utf8',
    timeout: 110_000,
    env: { ...process.env, SOAK_AGENTS: '20', SOAK_STEP_SECONDS: '1', SOAK_MINUTES: '0.25', SOAK_SAMPLE_SECONDS: '2', SOAK_MAX_GROWTH_MIB_PER_MIN: '1000' },
  });
  const out = `${r.stdout}\n${r.stderr}`;
  assert.equal(r.status, 0, out);
  const m = /soak: (\d+) payloads acknowledged, (\d+) stored/.exec(out);
  assert.ok(m, out);
  assert.ok(Number(m[1]) > 100, `payloads acknowledged: ${m[1]}`);
  assert.equal(m[2], m[1], 'every acknowledged payload is stored');
  assert.match(out, /reading stream clients received [1-9]\d*, [1-9]\d*/);
  assert.match(out, /soak: passed/);
});
