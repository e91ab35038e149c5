import { SERIES_METRIC_NAMES } from '@agentmon/schema';
import { rmSync } from 'node:fs';
import { SqliteSeriesStore } from './src/storage/sqlite/series.js';
import type { SeriesPoint } from './src/storage/ports.js';
const T0 = Date.UTC(2024, 0, 1);
const pt = (agent: string, ts: number, k: number, custom: boolean): SeriesPoint => ({
  agent_id: agent, ts, environment: 'prod', deployment_type: 'docker',
  values: Object.fromEntries(SERIES_METRIC_NAMES.map((m, j) => [m, (k * 7 + j) % 100 + 0.5])),
  custom: custom ? { queue_depth: k % 13, cache_hits: k % 7 } : {},
  extra: { custom_metrics: { queue_depth: k % 13, cache_hits: k % 7, model: 'gpt' }, health_checks: { db: true }, alerts: [] },
});
for (const [label, custom, mem] of [['custom', true, ':memory:'], ['nocustom', false, ':memory:'], ['custom file', true, '/tmp/x-ins.db'], ['nocustom file', false, '/tmp/x-ins.db']] as const) {
  rmSync(mem, { force: true });
  const s = new SqliteSeriesStore({ path: mem }); (s as any).db.pragma('cache_size = -65536'); await s.migrate();
  const batches = Array.from({ length: 100 }, (_, b) => Array.from({ length: 500 }, (_, i) => pt(`w-${i}`, T0 + b * 1000, b + i, custom)));
  const t = performance.now();
  for (const b of batches) await s.insert(b);
  console.log(label, (performance.now() - t).toFixed(0), 'ms');
  await s.close();
}
rmSync('/tmp/x-ins.db', { force: true }); rmSync('/tmp/x-ins.db-wal', { force: true }); rmSync('/tmp/x-ins.db-shm', { force: true });
