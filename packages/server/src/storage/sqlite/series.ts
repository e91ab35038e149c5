/**
 * SeriesStore on SQLite: `agent_metrics` holds one row per payload (a REAL column per built-in
 * series, the rest as JSON in `extra`), `agent_custom_metrics` one row per numeric custom value.
 * Rollup tiers would be further tables added by a later migration, read by the query builder when
 * a bucket is at least as wide as the tier.
 */
import type Database from 'better-sqlite3';
import { SERIES_METRIC_NAMES } from '@agentmon/schema';
import type { SeriesPoint, SeriesQuery, SeriesRow, SeriesStore } from '../ports.js';
import { openSqlite } from './open.js';
import { buildSqliteSeriesQuery } from './series-query.js';

/** Options of the SQLite series store. */
export interface SqliteSeriesOptions {
  /** Database file, or `:memory:`. */
  path: string;
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
  applied_at TEXT NOT NULL,
  PRIMARY KEY (component, version)
)`;

// STRICT so a wrong type is an error, not a silently stored string (insert atomicity relies on it).
// No foreign key to agents: series outlive deregistration until retention removes them.
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'agent_metrics and agent_custom_metrics',
    up: `
      CREATE TABLE agent_metrics (
        agent_id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        environment TEXT NOT NULL,
        deployment_type TEXT NOT NULL,
        ${SERIES_METRIC_NAMES.map((name) => `${name} REAL`).join(',\n        ')},
        extra TEXT NOT NULL
      ) STRICT;
      CREATE INDEX agent_metrics_agent_id_ts_idx ON agent_metrics (agent_id, ts);
      CREATE INDEX agent_metrics_ts_idx ON agent_metrics (ts);
      CREATE TABLE agent_custom_metrics (
        agent_id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        name TEXT NOT NULL,
        value REAL NOT NULL
      ) STRICT;
      CREATE INDEX agent_custom_metrics_agent_id_name_ts_idx ON agent_custom_metrics (agent_id, name, ts);
      CREATE INDEX agent_custom_metrics_name_ts_idx ON agent_custom_metrics (name, ts);
    `,
  },
];

const INSERT_PAYLOAD = `INSERT INTO agent_metrics (agent_id, ts, environment, deployment_type, ${SERIES_METRIC_NAMES.join(', ')}, extra)
  VALUES (${Array.from({ length: SERIES_METRIC_NAMES.length + 5 }, () => '?').join(', ')})`;
const INSERT_CUSTOM = 'INSERT INTO agent_custom_metrics (agent_id, ts, name, value) VALUES (?, ?, ?, ?)';

// A loose index scan: one index probe per agent instead of reading every payload's entry.
const DISTINCT_AGENT_IDS = `WITH RECURSIVE a(id) AS (
    SELECT MIN(agent_id) FROM agent_metrics
    UNION ALL
    SELECT (SELECT MIN(agent_id) FROM agent_metrics WHERE agent_id > a.id) FROM a WHERE a.id IS NOT NULL
  ) SELECT id FROM a WHERE id IS NOT NULL`;

/** Rejects what SQLite would store silently wrong: NaN becomes NULL, a fractional ts a REAL. */
function invalidPoint(point: SeriesPoint, what: string): RangeError {
  return new RangeError(`series point of ${point.agent_id} at ${point.ts}: ${what}`);
}

function toNumberOrNull(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'number' ? value : Number(value);
}

/** Time-series metrics in a SQLite file (or memory); synchronous driver behind async methods. */
export class SqliteSeriesStore implements SeriesStore {
  private readonly db: Database.Database;
  private writer: ((points: readonly SeriesPoint[]) => void) | null = null;

  constructor(options: SqliteSeriesOptions) {
    this.db = openSqlite(options.path);
  }

  async migrate(): Promise<number[]> {
    const run = this.db.transaction((): number[] => {
      this.db.exec(MIGRATIONS_TABLE);
      const done = new Set(
        this.db.prepare('SELECT version FROM agentmon_migrations WHERE component = ?').pluck().all(COMPONENT) as number[],
      );
      const record = this.db.prepare('INSERT INTO agentmon_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)');
      const applied: number[] = [];
      for (const migration of MIGRATIONS) {
        if (done.has(migration.version)) continue;
        this.db.exec(migration.up);
        record.run(COMPONENT, migration.version, migration.name, new Date().toISOString());
        applied.push(migration.version);
      }
      return applied;
    });
    // IMMEDIATE takes the write lock up front, so two processes migrating at once take turns.
    return run.immediate();
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  async insert(points: readonly SeriesPoint[]): Promise<void> {
    if (points.length === 0) return;
    this.preparedWriter()(points);
  }

  async query(q: SeriesQuery): Promise<SeriesRow[]> {
    const statement = buildSqliteSeriesQuery(q);
    if (statement === null) return [];
    const rows = this.db.prepare(statement.sql).all(statement.params) as Record<string, unknown>[];
    return rows.map((row) => {
      const values: Record<string, number | null> = {};
      for (const { name, alias } of statement.outputs) values[name] = toNumberOrNull(row[alias]);
      return { agent_id: typeof row.agent_id === 'string' ? row.agent_id : null, ts: Number(row.bucket), values };
    });
  }

  async deleteAgent(agentId: string): Promise<number> {
    return this.db.transaction((): number => {
      this.db.prepare('DELETE FROM agent_custom_metrics WHERE agent_id = ?').run(agentId);
      return this.db.prepare('DELETE FROM agent_metrics WHERE agent_id = ?').run(agentId).changes;
    })();
  }

  async deleteOlderThan(agentId: string, beforeMs: number, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    return this.db.transaction((): number => {
      const deleted = this.db
        .prepare(
          'DELETE FROM agent_metrics WHERE rowid IN (SELECT rowid FROM agent_metrics WHERE agent_id = ? AND ts < ? ORDER BY ts LIMIT ?)',
        )
        .run(agentId, beforeMs, limit).changes;
      if (deleted > 0) {
        // Custom points older than every payload still kept belong to deleted payloads only.
        const oldestKept = this.db.prepare('SELECT MIN(ts) FROM agent_metrics WHERE agent_id = ?').pluck().get(agentId);
        const cutoff = typeof oldestKept === 'number' ? Math.min(oldestKept, beforeMs) : beforeMs;
        this.db.prepare('DELETE FROM agent_custom_metrics WHERE agent_id = ? AND ts < ?').run(agentId, cutoff);
      }
      return deleted;
    })();
  }

  async agentIds(): Promise<string[]> {
    return this.db.prepare(DISTINCT_AGENT_IDS).pluck().all() as string[];
  }

  async stats(): Promise<{ points: number; bytes: number | null }> {
    const points = this.db.prepare('SELECT COUNT(*) FROM agent_metrics').pluck().get();
    const pageCount = this.db.pragma('page_count', { simple: true });
    const pageSize = this.db.pragma('page_size', { simple: true });
    const bytes = typeof pageCount === 'number' && typeof pageSize === 'number' ? pageCount * pageSize : null;
    return { points: Number(points), bytes };
  }

  /** The insert transaction, prepared on first use (the tables exist only after migrate). */
  private preparedWriter(): (points: readonly SeriesPoint[]) => void {
    if (this.writer !== null) return this.writer;
    const payload = this.db.prepare(INSERT_PAYLOAD);
    const custom = this.db.prepare(INSERT_CUSTOM);
    const args: unknown[] = new Array<unknown>(SERIES_METRIC_NAMES.length + 5);
    // Checks run inside the transaction: a bad point anywhere rolls back the points before it.
    this.writer = this.db.transaction((points: readonly SeriesPoint[]) => {
      for (const point of points) {
        if (!Number.isSafeInteger(point.ts) || Math.abs(point.ts) > 8.64e15) throw invalidPoint(point, 'ts must be integer epoch ms within Date\'s range');
        args[0] = point.agent_id;
        args[1] = point.ts;
        args[2] = point.environment;
        args[3] = point.deployment_type;
        let i = 4;
        for (const name of SERIES_METRIC_NAMES) {
          const value = point.values[name] ?? null;
          if (typeof value === 'number' && !Number.isFinite(value)) throw invalidPoint(point, `${name} is ${value}`);
          args[i++] = value;
        }
        args[i] = JSON.stringify(point.extra);
        payload.run(args);
        for (const name in point.custom) {
          const value = point.custom[name];
          if (typeof value === 'number' && !Number.isFinite(value)) throw invalidPoint(point, `custom.${name} is ${value}`);
          custom.run(point.agent_id, point.ts, name, value);
        }
      }
    });
    return this.writer;
  }
}
