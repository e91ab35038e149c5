import { buildPostgresSeriesQuery } from './src/storage/postgres/series-query.js';
import { buildSqliteSeriesQuery } from './src/storage/sqlite/series-query.js';
import Database from 'better-sqlite3';
import pg from 'pg';
const T0 = Date.UTC(2024, 0, 1);
const q = { agentIds: null, startMs: T0, endMs: T0 + 86_400_000 - 1, metrics: ['cpu_usage_percent', 'memory_usage_percent'], aggregation: 'avg' as const, intervalMs: 300_000, groupBy: 'agent' as const };
const s = buildSqliteSeriesQuery(q)!;
const db = new Database('/tmp/agentmon-series-bench.db');
console.log(s.sql); console.log(db.prepare('EXPLAIN QUERY PLAN ' + s.sql).all(s.params));
for (const cs of [-2000, -200000]) { db.pragma(`cache_size = ${cs}`); for (let i=0;i<2;i++){ const t = performance.now(); db.prepare(s.sql).all(s.params); console.log(cs, performance.now() - t); } }
const p = buildPostgresSeriesQuery(q)!;
const c = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test', options: '-c search_path=t_series_bench' }); await c.connect();
const r = await c.query('EXPLAIN ANALYZE ' + p.sql, p.params); console.log(r.rows.map((x) => x['QUERY PLAN']).join('\n'));
await c.end();
