import { SERIES_METRIC_NAMES } from '@agentmon/schema';
import { PostgresSeriesStore } from './src/storage/postgres/series.js';
import { openPostgresPool } from './src/storage/postgres/pool.js';
import type { SeriesPoint } from './src/storage/ports.js';
const T0 = Date.UTC(2024, 0, 1);
const pt = (agent: string, ts: number, k: number, custom: boolean): SeriesPoint => ({
  agent_id: agent, ts, environment: 'prod', deployment_type: 'docker',
  values: Object.fromEntries(SERIES_METRIC_NAMES.map((m, j) => [m, (k * 7 + j) % 100 + 0.5])),
  custom: custom ? { queue_depth: k % 13, cache_hits: k % 7 } : {},
  extra: { custom_metrics: { queue_depth: k % 13, cache_hits: k % 7, model: 'gpt' }, health_checks: { db: true }, alerts: [] },
});
const pool = await openPostgresPool({ connectionString: 'postgres://postgres@127.0.0.1:5432/test', schema: 't_series_ins' });
for (const custom of [true, false, true]) {
  await pool.query('DROP SCHEMA IF EXISTS t_series_ins CASCADE'); await pool.query('CREATE SCHEMA t_series_ins');
  const s = new PostgresSeriesStore({ pool }); await s.migrate();
  const batches = Array.from({ length: 100 }, (_, b) => Array.from({ length: 500 }, (_, i) => pt(`w-${i}`, T0 + b * 1000, b + i, custom)));
  const t = performance.now();
  for (const b of batches) await s.insert(b);
  console.log(custom ? 'custom' : 'nocustom', (performance.now() - t).toFixed(0), 'ms');
}
await pool.query('DROP SCHEMA IF EXISTS t_series_ins CASCADE');
await pool.end();
