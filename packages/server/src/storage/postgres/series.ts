/**
 * SeriesStore on PostgreSQL: `agent_metrics` holds one row per payload (a DOUBLE PRECISION column
 * per built-in series, the rest as JSONB in `extra`), `agent_custom_metrics` one row per numeric
 * custom value. Rollup tiers would be further tables added by a later migration, read by the query
 * builder when a bucket is at least as wide as the tier.
 */
import type pg from 'pg';
import { SERIES_METRIC_NAMES } from '@agentmon/schema';
import type { SeriesPoint, SeriesQuery, SeriesRow, SeriesStore } from '../ports.js';
import { inTransaction } from './pool.js';
import { buildPostgresSeriesQuery, isoOfMs } from './series-query.js';

/** Options of the PostgreSQL series store. */
export interface PostgresSeriesOptions {
  /** A pool from `openPostgresPool`; its owner ends it, `close()` does not. */
  pool: pg.Pool;
}

interface Migration {
  version: number;
  name: string;
  up: string;
}

const COMPONENT = 'series';

// Shared with the metadata store (component 'metadata'), hence IF NOT EXISTS.
const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS agentmon_migrations (
  component TEXT NOT NULL,
  version INTEGER NOT NULL,
  name TEXT NOT NULL,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (component, version)
)`;

// The metadata store's key (metadata-migrations.ts): every component of a schema takes turns,
// since they share the migrations table; other schemas (tests) go on in parallel.
const MIGRATION_LOCK = "SELECT pg_advisory_xact_lock(hashtext('agentmon_migrations:' || COALESCE(current_schema(), '')))";

// agent_id and name are COLLATE "C": byte order, as SQLite sorts them, and cheaper comparisons.
// No foreign key to agents: series outlive deregistration until retention removes them.
const MIGRATIONS: readonly Migration[] = [
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
];

// One statement per table per call: each column travels as one array parameter.
const INSERT_PAYLOADS = `INSERT INTO agent_metrics (agent_id, ts, environment, deployment_type, ${SERIES_METRIC_NAMES.join(', ')}, extra)
  SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], ${SERIES_METRIC_NAMES.map(
    (_, i) => `$${i + 5}::float8[]`,
  ).join(', ')}, $${SERIES_METRIC_NAMES.length + 5}::jsonb[])`;
const INSERT_CUSTOM = `INSERT INTO agent_custom_metrics (agent_id, ts, name, value)
  SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::float8[])`;

// A loose index scan: one index probe per agent instead of reading every payload's entry.
const DISTINCT_AGENT_IDS = `WITH RECURSIVE a(id) AS (
    SELECT min(agent_id) FROM agent_metrics
    UNION ALL
    SELECT (SELECT min(agent_id) FROM agent_metrics WHERE agent_id > a.id) FROM a WHERE a.id IS NOT NULL
  ) SELECT id FROM a WHERE id IS NOT NULL`;

/** Rejects what PostgreSQL would store although JSON cannot carry it (NaN, Infinity), and fractional ts. */
function invalidPoint(point: SeriesPoint, what: string): RangeError {
  return new RangeError(`series point of ${point.agent_id} at ${point.ts}: ${what}`);
}

/** One element of a float8[] literal; anything but a number is quoted so PostgreSQL judges it. */
function float8Element(point: SeriesPoint, name: string, value: number | null | undefined): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value !== 'number') return JSON.stringify(String(value));
  if (!Number.isFinite(value)) throw invalidPoint(point, `${name} is ${value}`);
  // String() of a finite double is its shortest form, which float8in parses back to the same double.
  return String(value);
}

function toNumberOrNull(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'number' ? value : Number(value);
}

/** Time-series metrics in PostgreSQL, on a pool it is given and does not own. */
export class PostgresSeriesStore implements SeriesStore {
  private readonly pool: pg.Pool;

  constructor(options: PostgresSeriesOptions) {
    this.pool = options.pool;
  }

  async migrate(): Promise<number[]> {
    return inTransaction(this.pool, async (client) => {
      // The lock first: concurrent CREATE TABLE IF NOT EXISTS can still collide without it.
      await client.query(MIGRATION_LOCK);
      await client.query(MIGRATIONS_TABLE);
      const done = await client.query<{ version: number }>('SELECT version FROM agentmon_migrations WHERE component = $1', [COMPONENT]);
      const doneVersions = new Set(done.rows.map((row) => Number(row.version)));
      const applied: number[] = [];
      for (const migration of MIGRATIONS) {
        if (doneVersions.has(migration.version)) continue;
        await client.query(migration.up);
        await client.query('INSERT INTO agentmon_migrations (component, version, name, applied_at) VALUES ($1, $2, $3, now())', [
          COMPONENT,
          migration.version,
          migration.name,
        ]);
        applied.push(migration.version);
      }
      return applied;
    });
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
      if (!Number.isSafeInteger(point.ts) || Math.abs(point.ts) > 8.64e15) throw invalidPoint(point, "ts must be integer epoch ms within Date's range");
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
    await inTransaction(this.pool, async (client) => {
      await client.query(INSERT_PAYLOADS, [agentIds, times, environments, deploymentTypes, ...columns.map(literal), extras]);
      if (custom.names.length > 0) {
        await client.query(INSERT_CUSTOM, [custom.agentIds, custom.times, custom.names, literal(custom.values)]);
      }
    });
  }

  async query(q: SeriesQuery): Promise<SeriesRow[]> {
    const statement = buildPostgresSeriesQuery(q);
    if (statement === null) return [];
    const result = await this.pool.query<Record<string, unknown>>(statement.sql, statement.params);
    return result.rows.map((row) => {
      const values: Record<string, number | null> = {};
      for (const { name, alias } of statement.outputs) values[name] = toNumberOrNull(row[alias]);
      return { agent_id: typeof row.agent_id === 'string' ? row.agent_id : null, ts: Number(row.bucket), values };
    });
  }

  async deleteAgent(agentId: string): Promise<number> {
    return inTransaction(this.pool, async (client) => {
      await client.query('DELETE FROM agent_custom_metrics WHERE agent_id = $1', [agentId]);
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
        // Custom points older than every payload still kept belong to deleted payloads only.
        await client.query(
          `DELETE FROM agent_custom_metrics WHERE agent_id = $1
             AND ts < LEAST($2::timestamptz, (SELECT min(ts) FROM agent_metrics WHERE agent_id = $1))`,
          [agentId, before],
        );
      }
      return deleted;
    });
  }

  async agentIds(): Promise<string[]> {
    const result = await this.pool.query<{ id: string }>(DISTINCT_AGENT_IDS);
    return result.rows.map((row) => row.id);
  }

  async stats(): Promise<{ points: number; bytes: number | null }> {
    const result = await this.pool.query<{ points: unknown; bytes: unknown }>(
      `SELECT (SELECT count(*) FROM agent_metrics) AS points,
              pg_total_relation_size('agent_metrics') + pg_total_relation_size('agent_custom_metrics') AS bytes`,
    );
    const row = result.rows[0];
    return { points: Number(row?.points ?? 0), bytes: toNumberOrNull(row?.bytes) };
  }
}
