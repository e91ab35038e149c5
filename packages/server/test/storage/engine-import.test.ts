/**
 * A data dir written by the SQLite series store (an earlier agentmon) is imported into the series
 * engine on start: every query answers as the old store did, the old file is kept aside, and an
 * import killed in the middle resumes on the next start and ends with the same answers.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { SeriesPoint, SeriesQuery, SeriesStore } from '../../src/storage/ports.js';
import { openStores } from '../../src/storage/index.js';
import { SeriesEngine } from '../../src/storage/engine/engine.js';
import { writeOldSeriesFile } from './engine/old-store.js';

const T0 = Date.UTC(2024, 0, 1, 12);
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'agentmon-import-'));
  dirs.push(dir);
  return dir;
}

/** `agents` agents, `perAgent` payloads each over two days, with nulls, custom points, shared milliseconds and strings. */
function fixture(agents: number, perAgent: number): SeriesPoint[] {
  const points: SeriesPoint[] = [];
  for (let a = 0; a < agents; a++) {
    for (let k = 0; k < perAgent; k++) {
      const ts = T0 + k * Math.floor(172_800_000 / perAgent) + a * 11;
      const custom: Record<string, number> = k % 3 === 0 ? {} : { q: (k % 17) + 0.5, ...(k % 5 === 0 ? { z: -k } : {}) };
      points.push({
        agent_id: `agent-${String(a).padStart(2, '0')}`,
        ts,
        environment: a % 2 === 0 ? 'prod' : 'dev',
        deployment_type: 'k8s',
        values: { cpu_usage_percent: (k * 7 + a) % 100, memory_usage_percent: k % 4 === 0 ? null : k % 50, health_score: 0.75 },
        custom,
        extra: { custom_metrics: { ...custom, model: `m${a}` }, health_checks: { db: k % 9 !== 0 }, alerts: k % 50 === 0 ? ['slow'] : [] },
      });
      // A second payload in the same millisecond now and then, with custom values of the same names:
      // the old store matched custom points to payloads by millisecond only, so the import deals
      // them out in arrival order, which gives each payload its own when they name the same series.
      if (k % 97 === 5) points.push({ ...(points[points.length - 1] as SeriesPoint), values: { cpu_usage_percent: 100 }, custom: Object.fromEntries(Object.keys(custom).map((name) => [name, 1000])) });
    }
  }
  return points;
}

/**
 * An old-style data dir (metrics.db as the SQLite series store wrote it), and a store to compare
 * with: an engine the same payloads were inserted into directly.
 */
async function oldDataDir(points: readonly SeriesPoint[]): Promise<{ dataDir: string; reference: SeriesEngine }> {
  const dataDir = tempDir();
  writeOldSeriesFile(join(dataDir, 'metrics.db'), points);
  const reference = new SeriesEngine({ dir: join(tempDir(), 'series'), background: false, readRollups: false });
  await reference.migrate();
  for (let i = 0; i < points.length; i += 500) await reference.insert(points.slice(i, i + 500));
  return { dataDir, reference };
}

const QUERIES: SeriesQuery[] = [
  { agentIds: null, startMs: T0 - 1, endMs: T0 + 172_800_000, metrics: ['cpu_usage_percent', 'memory_usage_percent', 'custom.q', 'custom.z', 'health_score'], aggregation: null, intervalMs: null, groupBy: 'agent' },
  ...(['avg', 'sum', 'min', 'max', 'count', 'last'] as const).flatMap((aggregation) =>
    [null, 300_000, 3_600_000, 7 * 60_000].flatMap((intervalMs) =>
      (['agent', 'none'] as const).map((groupBy) => ({ agentIds: null, startMs: T0 + 12_345, endMs: T0 + 100_000_000, metrics: ['cpu_usage_percent', 'memory_usage_percent', 'custom.q', 'custom.z'], aggregation, intervalMs, groupBy })),
    ),
  ),
];

async function assertSameAnswers(engine: SeriesStore, reference: SeriesEngine): Promise<void> {
  assert.deepEqual(await engine.agentIds(), await reference.agentIds());
  assert.equal((await engine.stats()).points, (await reference.stats()).points);
  for (const q of QUERIES) assert.deepEqual(await engine.query(q), await reference.query(q), `${q.aggregation} every ${q.intervalMs} by ${q.groupBy}`);
  // Every payload came over whole: values, custom values, labels and `extra` to the character.
  assert.ok(engine instanceof SeriesEngine);
  for (const agent of (await reference.agentIds()).slice(0, 3)) {
    assert.deepEqual(await engine.payloads(agent, -8.64e15, 8.64e15), await reference.payloads(agent, -8.64e15, 8.64e15), agent);
  }
}

describe('series engine: import of an earlier SQLite series store', () => {
  it('imports metrics.db on start, answers as it did, and keeps the old file aside', async () => {
    const { dataDir, reference } = await oldDataDir(fixture(4, 400));
    const messages: string[] = [];
    const stores = await openStores({ dataDir, databaseUrl: null, log: (_level, message) => messages.push(message) });
    try {
      assert.equal(stores.seriesKind, 'engine');
      await assertSameAnswers(stores.series, reference);
      assert.ok(messages.some((m) => /importing series: \d+ of \d+ payloads \(100 %\), 4 of 4 agents/.test(m)), messages.join('\n'));
      assert.ok(!existsSync(join(dataDir, 'metrics.db')) && existsSync(join(dataDir, 'metrics.db.imported')), 'the old file is kept aside');
    } finally {
      await stores.close();
      await reference.close();
    }
    // A second start imports nothing again.
    const again = await openStores({ dataDir, databaseUrl: null, log: (_level, message) => messages.push(`again: ${message}`) });
    await again.close();
    assert.ok(!messages.some((m) => m.startsWith('again: importing')));
  });

  it('resumes an import killed in the middle and ends with the same answers', async () => {
    const { dataDir, reference } = await oldDataDir(fixture(20, 1500));
    const run = (kill: boolean): Promise<string[]> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', join(import.meta.dirname, 'engine', 'importer.ts'), dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
        const lines: string[] = [];
        child.stdout.on('data', (c: Buffer) => {
          for (const line of c.toString().split('\n').filter((l) => l !== '')) {
            lines.push(line);
            // Killed as soon as some agents are in and some are not.
            const m = /(\d+) of (\d+) agents/.exec(line);
            if (kill && m && Number(m[1]) >= 2 && Number(m[1]) < Number(m[2])) child.kill('SIGKILL');
          }
        });
        child.on('error', reject);
        child.on('exit', () => resolve(lines));
      });
    const first = await run(true);
    assert.ok(!first.includes('closed'), `the first run was killed mid-import: ${first.join(' | ')}`);
    assert.ok(existsSync(join(dataDir, 'metrics.db')), 'not finished: the old file is still in place');
    const second = await run(false);
    assert.ok(second.includes('closed'), second.join(' | '));
    assert.ok(second.some((l) => /20 of 20 agents/.test(l)), second.join(' | '));
    const stores = await openStores({ dataDir, databaseUrl: null });
    try {
      await assertSameAnswers(stores.series, reference);
    } finally {
      await stores.close();
      await reference.close();
    }
  });
});
