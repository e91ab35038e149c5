import { rmSync } from 'node:fs';
import { SERIES_METRIC_NAMES } from '@agentmon/schema';
import { SqliteSeriesStore } from './src/storage/sqlite/series.js';
import { PostgresSeriesStore } from './src/storage/postgres/series.js';
import { openPostgresPool } from './src/storage/postgres/pool.js';
import type { SeriesPoint, SeriesQuery, SeriesStore } from './src/storage/ports.js';

const AGENTS = Number(process.env.AGENTS ?? 200);
const which = process.argv[2] ?? 'both';
const T0 = Date.UTC(2024, 0, 1);
const pt = (agent: string, ts: number, k: number): SeriesPoint => ({
  agent_id: agent, ts, environment: 'prod', deployment_type: 'docker',
  values: Object.fromEntries(SERIES_METRIC_NAMES.map((m, j) => [m, (k * 7 + j) % 100 + 0.5])),
  custom: { queue_depth: k % 13, cache_hits: k % 7 },
  extra: { custom_metrics: { queue_depth: k % 13, cache_hits: k % 7, model: 'gpt' }, health_checks: { db: true }, alerts: [] },
});
const time = async (label: string, fn: () => Promise<unknown>) => {
  const t = performance.now(); const r = await fn(); console.log(`${label}: ${(performance.now() - t).toFixed(0)} ms`); return r;
};
async function bench(name: string, store: SeriesStore) {
  console.log(`--- ${name}`);
  await store.migrate();
  await time('insert 100 batches x 500 payloads', async () => {
    for (let b = 0; b < 100; b++) await store.insert(Array.from({ length: 500 }, (_, i) => pt(`w-${i}`, T0 - 86_400_000 * 3 + b * 1000, b + i)));
  });
  await time(`insert ${AGENTS} agents x 1440 points (batches of 1000)`, async () => {
    let batch: SeriesPoint[] = [];
    for (let m = 0; m < 1440; m++) for (let a = 0; a < AGENTS; a++) {
      batch.push(pt(`agent-${String(a).padStart(4, '0')}`, T0 + m * 60_000 + a, m + a));
      if (batch.length === 1000) { await store.insert(batch); batch = []; }
    }
    if (batch.length) await store.insert(batch);
  });
  console.log('stats', await store.stats());
  const q = (o: Partial<SeriesQuery>): SeriesQuery => ({ agentIds: null, startMs: T0, endMs: T0 + 86_400_000 - 1, metrics: ['cpu_usage_percent', 'memory_usage_percent'], aggregation: 'avg', intervalMs: 300_000, groupBy: 'agent', ...o });
  for (let rep = 0; rep < 2; rep++) {
    const one = await time('5-min avg 24h one agent', () => store.query(q({ agentIds: ['agent-0042'] }))) as unknown[];
    const all = await time('5-min avg 24h all agents (per agent)', () => store.query(q({}))) as unknown[];
    const none = await time('5-min avg 24h all agents (group none)', () => store.query(q({ groupBy: 'none' }))) as unknown[];
    if (rep === 0) console.log('rows', one.length, all.length, none.length);
  }
  await time('5-min avg all agents with custom.queue_depth', () => store.query(q({ metrics: ['cpu_usage_percent', 'custom.queue_depth'] })));
  await time('5-min last all agents', () => store.query(q({ aggregation: 'last' })));
  await time('raw one agent 24h', () => store.query(q({ agentIds: ['agent-0042'], aggregation: null, intervalMs: null })));
  await time('deleteOlderThan 1000 x3', async () => { for (let i = 0; i < 3; i++) await store.deleteOlderThan('agent-0001', T0 + 86_400_000, 1000); });
  await time('stats', () => store.stats());
}
if (which !== 'pg') {
  const path = '/tmp/agentmon-series-bench.db';
  rmSync(path, { force: true }); rmSync(path + '-wal', { force: true }); rmSync(path + '-shm', { force: true });
  const s = new SqliteSeriesStore({ path });
  await bench('sqlite', s); await s.close(); if (!process.env.KEEP) rmSync(path, { force: true }); rmSync(path + '-wal', { force: true }); rmSync(path + '-shm', { force: true });
}
if (which !== 'sqlite') {
  const pool = await openPostgresPool({ connectionString: 'postgres://postgres@127.0.0.1:5432/test', schema: 't_series_bench' });
  await pool.query('DROP SCHEMA IF EXISTS t_series_bench CASCADE'); await pool.query('CREATE SCHEMA t_series_bench');
  try { await bench('postgres', new PostgresSeriesStore({ pool })); }
  finally { if (!process.env.KEEP) await pool.query('DROP SCHEMA t_series_bench CASCADE'); await pool.end(); }
}
