/**
 * SeriesStore on PostgreSQL: `agent_metrics` holds one row per payload (a DOUBLE PRECISION column
 * per built-in series, the rest as JSONB in `extra`), `agent_custom_metrics` one row per numeric
 * custom value. Rollup tiers (../series-tiers.ts: 5 min, 1 h) are
 * `agent_metrics_<tier>[_minmax|_last]` and `agent_custom_metrics_<tier>`, kept in the insert
 * transaction and read by aggregated queries.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { SERIES_METRIC_NAMES } from '@agentmon/schema';
import { checkAnswerSize, type SeriesPoint, type SeriesQuery, type SeriesRow, type SeriesStore } from '../ports.js';
import { inTransaction } from './pool.js';
import { agentsByCount } from '../series-agents.js';
import type { PostgresMigration } from './metadata-migrations.js';
import { applyPostgresMigrations } from './migrate.js';
import { buildPostgresSeriesQuery, isoOfMs, msOf } from './series-query.js';
import { checkPointTs, invalidPoint, seriesRows, singlePerBucket, toNumberOrNull } from '../sql/series-shape.js';
import { postgresRollupCustom, postgresRollupPayloads, postgresTierDdl } from './series-rollup.js';
import { describePlan, floorTo, planRollup, ROLLUP_TIERS, type SeriesPlan } from '../rollup-plan.js';
import { customTable, MIGRATION_2_TIERS, partTable, TIER_PARTS, tierTables } from '../sql/series-tiers.js';

/** Options of the PostgreSQL series store. */
export interface PostgresSeriesOptions {
  /** A pool from `openPostgresPool`; its owner ends it, `close()` does not. */
  pool: pg.Pool;
  /** False: queries read raw rows only (tiers are still kept). For comparisons; default true. */
  readRollups?: boolean;
}

const COMPONENT = 'series';

// The raw tables as the rollup upserts read them: epoch ms beside the values.
const RAW_PAYLOADS = `(SELECT agent_id, ${msOf('ts')} AS ms, ${SERIES_METRIC_NAMES.join(', ')} FROM agent_metrics) raw`;
const RAW_CUSTOM = `(SELECT agent_id, ${msOf('ts')} AS ms, name, value FROM agent_custom_metrics) raw`;

// agent_id and name are COLLATE "C": byte order, as SQLite sorts them, and cheaper comparisons.
// No foreign key to agents: series outlive deregistration until retention removes them.
const MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'agent_metrics and agent_custom_metrics',
    up: `
      CREATE TABLE agent_metrics (
        agent_id TEXT COLLATE "C" NOT NULL,
        ts TIMESTAMPTZ NOT NULL,
        environment TEXT NOT NULL,
        deployment_type TEXT NOT NULL,
        ${SERIES_METRIC_NAMES.map((name) => `${name} DOUBLE PRECISION`).join(',\n        ')},
        extra JSONB NOT NULL
      );
      CREATE INDEX agent_metrics_agent_id_ts_idx ON agent_metrics (agent_id, ts);
      CREATE INDEX agent_metrics_ts_idx ON agent_metrics (ts);
      CREATE TABLE agent_custom_metrics (
        agent_id TEXT COLLATE "C" NOT NULL,
        ts TIMESTAMPTZ NOT NULL,
        name TEXT COLLATE "C" NOT NULL,
        value DOUBLE PRECISION NOT NULL
      );
      CREATE INDEX agent_custom_metrics_agent_id_name_ts_idx ON agent_custom_metrics (agent_id, name, ts);
      CREATE INDEX agent_custom_metrics_name_ts_idx ON agent_custom_metrics (name, ts);
    `,
  },
  {
    // The tier tables, backfilled from the raw rows already stored.
    version: 2,
    name: 'rollup tiers 5m, 1h',
    up: MIGRATION_2_TIERS.map((tier) =>
      [postgresTierDdl(tier), ...TIER_PARTS.map((part) => postgresRollupPayloads(tier, part, RAW_PAYLOADS)), postgresRollupCustom(tier, RAW_CUSTOM)].join(
        ';\n',
      ),
    ).join(';\n'),
  },
];

// One statement per table per call: each column travels as one array parameter.
const INSERT_PAYLOADS = `INSERT INTO agent_metrics (agent_id, ts, environment, deployment_type, ${SERIES_METRIC_NAMES.join(', ')}, extra)
  SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], ${SERIES_METRIC_NAMES.map(
    (_, i) => `$${i + 5}::float8[]`,
  ).join(', ')}, $${SERIES_METRIC_NAMES.length + 5}::jsonb[])`;
const INSERT_CUSTOM = `INSERT INTO agent_custom_metrics (agent_id, ts, name, value)
  SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::float8[])`;

/**
 * An insert with the tiers' upserts, fed by what the INSERT returns, so the batch crosses the wire
 * once: one statement per table. The main statement only counts; PostgreSQL runs every
 * data-modifying WITH to completion anyway. `single`: at most one row per tier bucket (the usual
 * batch, one payload per agent), so each row is its own partial. Named, so each connection plans
 * it once.
 */
function rolledInsert(kind: 'payloads' | 'custom', single: boolean): { name: string; text: string } {
  const text =
    kind === 'payloads'
      ? `WITH ins AS (${INSERT_PAYLOADS} RETURNING agent_id, ts, ${SERIES_METRIC_NAMES.join(', ')}),
  src AS (SELECT agent_id, ${msOf('ts')} AS ms, ${SERIES_METRIC_NAMES.join(', ')} FROM ins),
  ${ROLLUP_TIERS.flatMap((tier) => TIER_PARTS.map((part) => postgresRollupPayloads(tier, part, 'src', single)))
    .map((upsert, i) => `r${i} AS (${upsert})`)
    .join(',\n  ')}
  SELECT count(*) FROM src`
      : `WITH ins AS (${INSERT_CUSTOM} RETURNING agent_id, ts, name, value),
  src AS (SELECT agent_id, ${msOf('ts')} AS ms, name, value FROM ins),
  ${ROLLUP_TIERS.map((tier, i) => `r${i} AS (${postgresRollupCustom(tier, 'src', single)})`).join(',\n  ')}
  SELECT count(*) FROM src`;
  // The name carries a hash of the text: a connection never runs an older text under it.
  return { name: `agentmon_series_${kind}_${single ? 'single' : 'group'}_${createHash('sha1').update(text).digest('hex').slice(0, 12)}`, text };
}
const INSERT_PAYLOADS_ROLLED = { single: rolledInsert('payloads', true), group: rolledInsert('payloads', false) };
const INSERT_CUSTOM_ROLLED = { single: rolledInsert('custom', true), group: rolledInsert('custom', false) };

// A loose index scan: one index probe per agent instead of reading every payload's entry.
const DISTINCT_AGENT_IDS = `WITH RECURSIVE a(id) AS (
    SELECT min(agent_id) FROM agent_metrics
    UNION ALL
    SELECT (SELECT min(agent_id) FROM agent_metrics WHERE agent_id > a.id) FROM a WHERE a.id IS NOT NULL
  ) SELECT id FROM a WHERE id IS NOT NULL`;

/** One element of a float8[] literal; anything but a number is quoted so PostgreSQL judges it. */
function float8Element(point: SeriesPoint, name: string, value: number | null | undefined): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value !== 'number') return JSON.stringify(String(value));
  if (!Number.isFinite(value)) throw invalidPoint(point, `${name} is ${value}`);
  // String() of a finite double is its shortest form, which float8in parses back to the same double.
  return String(value);
}

/** Raw payloads of one agent in [$2, $3), as the rollup upserts read them. */
function rawPayloadsOfBucket(): string {
  return `(SELECT agent_id, ${msOf('ts')} AS ms, ${SERIES_METRIC_NAMES.join(', ')} FROM agent_metrics
    WHERE agent_id = $1 AND ts >= $2::timestamptz AND ts < $3::timestamptz) raw`;
}

/** Raw custom points of one agent in [$2, $3). */
function rawCustomOfBucket(): string {
  return `(SELECT agent_id, ${msOf('ts')} AS ms, name, value FROM agent_custom_metrics
    WHERE agent_id = $1 AND ts >= $2::timestamptz AND ts < $3::timestamptz) raw`;
}

/** Time-series metrics in PostgreSQL, on a pool it is given and does not own. */
export class PostgresSeriesStore implements SeriesStore {
  private readonly pool: pg.Pool;
  private readonly readRollups: boolean;
  private plan: SeriesPlan | null = null;

  constructor(options: PostgresSeriesOptions) {
    this.pool = options.pool;
    this.readRollups = options.readRollups ?? true;
  }

  /** What the last query read: raw rows only, or a rollup tier (and which raw edges). */
  lastPlan(): SeriesPlan | null {
    return this.plan;
  }

  async migrate(): Promise<number[]> {
    return applyPostgresMigrations(this.pool, COMPONENT, MIGRATIONS);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  /** Does nothing: the pool belongs to whoever opened it, and may serve the metadata store too. */
  async close(): Promise<void> {}

  async insert(points: readonly SeriesPoint[]): Promise<void> {
    if (points.length === 0) return;
    // Each column travels as one float8[] literal string: a fraction of the cost of pg's generic
    // array encoding, which quotes every element.
    const agentIds: string[] = [];
    const times: string[] = [];
    const environments: string[] = [];
    const deploymentTypes: string[] = [];
    const columns: string[][] = SERIES_METRIC_NAMES.map(() => []);
    const extras: string[] = [];
    const custom = { agentIds: [] as string[], times: [] as string[], names: [] as string[], values: [] as string[] };
    for (const point of points) {
      // Rejects what PostgreSQL would store although JSON cannot carry it (NaN, Infinity), and fractional ts.
      checkPointTs(point);
      const time = isoOfMs(point.ts);
      agentIds.push(point.agent_id);
      times.push(time);
      environments.push(point.environment);
      deploymentTypes.push(point.deployment_type);
      SERIES_METRIC_NAMES.forEach((name, i) => columns[i]?.push(float8Element(point, name, point.values[name])));
      extras.push(JSON.stringify(point.extra));
      for (const name in point.custom) {
        custom.agentIds.push(point.agent_id);
        custom.times.push(time);
        custom.names.push(name);
        custom.values.push(float8Element(point, `custom.${name}`, point.custom[name]));
      }
    }
    const literal = (elements: string[]): string => `{${elements.join(',')}}`;
    const single = singlePerBucket(points);
    await inTransaction(this.pool, async (client) => {
      const payloadStatement = single.payloads ? INSERT_PAYLOADS_ROLLED.single : INSERT_PAYLOADS_ROLLED.group;
      await client.query({ ...payloadStatement, values: [agentIds, times, environments, deploymentTypes, ...columns.map(literal), extras] });
      if (custom.names.length > 0) {
        const customStatement = single.custom ? INSERT_CUSTOM_ROLLED.single : INSERT_CUSTOM_ROLLED.group;
        await client.query({ ...customStatement, values: [custom.agentIds, custom.times, custom.names, literal(custom.values)] });
      }
    });
  }

  async query(q: SeriesQuery): Promise<SeriesRow[]> {
    const plan = this.readRollups ? planRollup(q) : null;
    const statement = buildPostgresSeriesQuery(q, plan);
    this.plan = describePlan(plan);
    if (statement === null) return [];
    const result = await this.pool.query<Record<string, unknown>>(statement.sql, statement.params);
    checkAnswerSize(q, result.rows.length);
    return seriesRows(result.rows, statement.outputs);
  }

  async deleteAgent(agentId: string): Promise<number> {
    return inTransaction(this.pool, async (client) => {
      await client.query('DELETE FROM agent_custom_metrics WHERE agent_id = $1', [agentId]);
      for (const table of ROLLUP_TIERS.flatMap(tierTables)) await client.query(`DELETE FROM ${table} WHERE agent_id = $1`, [agentId]);
      const result = await client.query('DELETE FROM agent_metrics WHERE agent_id = $1', [agentId]);
      return result.rowCount ?? 0;
    });
  }

  async deleteOlderThan(agentId: string, beforeMs: number, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    const before = isoOfMs(beforeMs);
    return inTransaction(this.pool, async (client) => {
      // ctid = ANY(ARRAY(...)) makes a TID scan: the batch's rows are found through the index once.
      const result = await client.query(
        `DELETE FROM agent_metrics WHERE ctid = ANY(ARRAY(
           SELECT ctid FROM agent_metrics WHERE agent_id = $1 AND ts < $2::timestamptz ORDER BY ts LIMIT $3))`,
        [agentId, before, limit],
      );
      const deleted = result.rowCount ?? 0;
      if (deleted > 0) {
        const oldest = await client.query<{ kept: unknown }>(
          `SELECT ${msOf('min(ts)')} AS kept FROM agent_metrics WHERE agent_id = $1`,
          [agentId],
        );
        const kept = toNumberOrNull(oldest.rows[0]?.kept);
        // Custom points older than every payload still kept belong to deleted payloads only.
        const cutoff = kept === null ? beforeMs : Math.min(kept, beforeMs);
        await client.query('DELETE FROM agent_custom_metrics WHERE agent_id = $1 AND ts < $2::timestamptz', [agentId, isoOfMs(cutoff)]);
        // Every raw payload before the oldest kept one is gone (the batch is a prefix by ts), and so
        // is every custom point before the cutoff: buckets wholly before them go, and the bucket
        // the cut runs through is recomputed from the raw rows left in it.
        for (const tier of ROLLUP_TIERS) {
          for (const part of TIER_PARTS) {
            const table = partTable(tier, part);
            if (kept === null) {
              await client.query(`DELETE FROM ${table} WHERE agent_id = $1`, [agentId]);
            } else {
              const bucket = floorTo(kept, tier.ms);
              await client.query(`DELETE FROM ${table} WHERE agent_id = $1 AND bucket <= $2`, [agentId, bucket]);
              await client.query(postgresRollupPayloads(tier, part, rawPayloadsOfBucket()), [agentId, isoOfMs(bucket), isoOfMs(bucket + tier.ms)]);
            }
          }
          const bucket = floorTo(cutoff, tier.ms);
          await client.query(`DELETE FROM ${customTable(tier)} WHERE agent_id = $1 AND bucket <= $2`, [agentId, bucket]);
          await client.query(postgresRollupCustom(tier, rawCustomOfBucket()), [agentId, isoOfMs(bucket), isoOfMs(bucket + tier.ms)]);
        }
      }
      return deleted;
    });
  }

  async agentIds(): Promise<string[]> {
    const result = await this.pool.query<{ id: string }>(DISTINCT_AGENT_IDS);
    return result.rows.map((row) => row.id);
  }

  async agentsWithPoints(agentIds: readonly string[] | null, startMs: number, endMs: number): Promise<string[]> {
    return agentsByCount(this, agentIds, startMs, endMs);
  }

  async stats(): Promise<{ points: number; bytes: number | null }> {
    const tables = ['agent_metrics', 'agent_custom_metrics', ...ROLLUP_TIERS.flatMap(tierTables)];
    const result = await this.pool.query<{ points: unknown; bytes: unknown }>(
      `SELECT (SELECT count(*) FROM agent_metrics) AS points,
              ${tables.map((table) => `pg_total_relation_size('${table}')`).join(' + ')} AS bytes`,
    );
    const row = result.rows[0];
    return { points: Number(row?.points ?? 0), bytes: toNumberOrNull(row?.bytes) };
  }
}
