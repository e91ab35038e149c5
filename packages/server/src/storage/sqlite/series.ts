/**
 * SeriesStore on SQLite: `agent_metrics` holds one row per payload (a REAL column per built-in
 * series, the rest as JSON in `extra`), `agent_custom_metrics` one row per numeric custom value.
 * Rollup tiers (series-tiers.ts: 5 min, 1 h) are `agent_metrics_<tier>[_minmax|_last]` and
 * `agent_custom_metrics_<tier>`, kept in the insert transaction and read by aggregated queries.
 */
import type Database from 'better-sqlite3';
import { SERIES_METRIC_NAMES } from '@agentmon/schema';
import type { SeriesPoint, SeriesQuery, SeriesRow, SeriesStore } from '../ports.js';
import { openSqlite } from './open.js';
import { agentsByCount } from '../series-agents.js';
import type { SqliteMigration } from './metadata-migrations.js';
import { applySqliteMigrations } from './migrate.js';
import { buildSqliteSeriesQuery } from './series-query.js';
import { checkPointTs, invalidPoint, seriesRows, singlePerBucket } from '../series-shape.js';
import { sqliteRollupCustom, sqliteRollupPayloads, sqliteTierDdl } from './series-rollup.js';
import {
  customTable,
  describePlan,
  floorTo,
  MIGRATION_2_TIERS,
  partTable,
  planRollup,
  ROLLUP_TIERS,
  TIER_PARTS,
  tierTables,
  type SeriesPlan,
} from '../series-tiers.js';

/** Options of the SQLite series store. */
export interface SqliteSeriesOptions {
  /** Database file, or `:memory:`. */
  path: string;
  /** False: queries read raw rows only (tiers are still kept). For comparisons; default true. */
  readRollups?: boolean;
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
const MIGRATIONS: readonly SqliteMigration[] = [
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
  {
    // The tier tables, backfilled from the raw rows already stored.
    version: 2,
    name: 'rollup tiers 5m, 1h',
    up: MIGRATION_2_TIERS.map((tier) =>
      [sqliteTierDdl(tier), ...TIER_PARTS.map((part) => sqliteRollupPayloads(tier, part, 'true')), sqliteRollupCustom(tier, 'true')].join(';\n'),
    ).join(';\n'),
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

/** Time-series metrics in a SQLite file (or memory); synchronous driver behind async methods. */
export class SqliteSeriesStore implements SeriesStore {
  private readonly db: Database.Database;
  private writer: ((points: readonly SeriesPoint[]) => void) | null = null;
  private trimmer: ((agentId: string, payloadsFrom: number | null, customFrom: number) => void) | null = null;
  private readonly readRollups: boolean;
  private plan: SeriesPlan | null = null;

  constructor(options: SqliteSeriesOptions) {
    this.db = openSqlite(options.path);
    this.readRollups = options.readRollups ?? true;
  }

  /** What the last query read: raw rows only, or a rollup tier (and which raw edges). */
  lastPlan(): SeriesPlan | null {
    return this.plan;
  }

  async migrate(): Promise<number[]> {
    return applySqliteMigrations(this.db, COMPONENT, MIGRATIONS_TABLE, MIGRATIONS);
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
    const plan = this.readRollups ? planRollup(q) : null;
    const statement = buildSqliteSeriesQuery(q, plan);
    this.plan = describePlan(plan);
    if (statement === null) return [];
    const rows = this.db.prepare(statement.sql).all(statement.params) as Record<string, unknown>[];
    return seriesRows(rows, statement.outputs);
  }

  async deleteAgent(agentId: string): Promise<number> {
    return this.db.transaction((): number => {
      this.db.prepare('DELETE FROM agent_custom_metrics WHERE agent_id = ?').run(agentId);
      for (const table of ROLLUP_TIERS.flatMap(tierTables)) this.db.prepare(`DELETE FROM ${table} WHERE agent_id = ?`).run(agentId);
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
        const kept = typeof oldestKept === 'number' ? oldestKept : null;
        const cutoff = kept === null ? beforeMs : Math.min(kept, beforeMs);
        this.db.prepare('DELETE FROM agent_custom_metrics WHERE agent_id = ? AND ts < ?').run(agentId, cutoff);
        // Every raw payload before the oldest kept one is gone (the batch is a prefix by ts), and so
        // is every custom point before the cutoff: the tiers follow.
        this.preparedTrimmer()(agentId, kept, cutoff);
      }
      return deleted;
    })();
  }

  async agentIds(): Promise<string[]> {
    return this.db.prepare(DISTINCT_AGENT_IDS).pluck().all() as string[];
  }

  async agentsWithPoints(agentIds: readonly string[] | null, startMs: number, endMs: number): Promise<string[]> {
    return agentsByCount(this, agentIds, startMs, endMs);
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
    // The batch's rows have consecutive rowids (max + 1 each): the tiers fold in that range.
    // Two forms each: `single` when the batch has at most one row per tier bucket (the usual
    // batch, one payload per agent), which needs no window and no grouping.
    const batchPayloads = 'm.rowid >= @first AND m.rowid <= @last';
    const batchCustom = 'c.rowid >= @first AND c.rowid <= @last';
    const rollups = ROLLUP_TIERS.map((tier) => ({
      payloads: TIER_PARTS.map((part) => this.db.prepare(sqliteRollupPayloads(tier, part, batchPayloads))),
      payloadsSingle: TIER_PARTS.map((part) => this.db.prepare(sqliteRollupPayloads(tier, part, batchPayloads, true))),
      custom: this.db.prepare(sqliteRollupCustom(tier, batchCustom)),
      customSingle: this.db.prepare(sqliteRollupCustom(tier, batchCustom, true)),
    }));
    const args: unknown[] = new Array<unknown>(SERIES_METRIC_NAMES.length + 5);
    const range = (first: number | bigint | null, last: number | bigint, count: number): { first: number; last: number } | null => {
      if (first === null || count === 0) return null;
      const [a, b] = [Number(first), Number(last)];
      // Only a table whose rowids reached 2^63 - 1 hands out random ones; refuse rather than miss rows.
      if (b - a + 1 !== count) throw new Error(`series insert: rowids ${a}..${b} are not the batch's ${count} rows`);
      return { first: a, last: b };
    };
    // Checks run inside the transaction: a bad point anywhere rolls back the points before it.
    this.writer = this.db.transaction((points: readonly SeriesPoint[]) => {
      let firstPayload: number | bigint | null = null;
      let lastPayload: number | bigint = 0;
      let firstCustom: number | bigint | null = null;
      let lastCustom: number | bigint = 0;
      let customCount = 0;
      for (const point of points) {
        // Rejects what SQLite would store silently wrong: NaN becomes NULL, a fractional ts a REAL.
        checkPointTs(point);
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
        lastPayload = payload.run(args).lastInsertRowid;
        firstPayload ??= lastPayload;
        for (const name in point.custom) {
          const value = point.custom[name];
          if (typeof value === 'number' && !Number.isFinite(value)) throw invalidPoint(point, `custom.${name} is ${value}`);
          lastCustom = custom.run(point.agent_id, point.ts, name, value).lastInsertRowid;
          firstCustom ??= lastCustom;
          customCount++;
        }
      }
      const payloadRows = range(firstPayload, lastPayload, points.length);
      const customRows = range(firstCustom, lastCustom, customCount);
      const single = singlePerBucket(points);
      for (const rollup of rollups) {
        if (payloadRows !== null) for (const statement of single.payloads ? rollup.payloadsSingle : rollup.payloads) statement.run(payloadRows);
        if (customRows !== null) (single.custom ? rollup.customSingle : rollup.custom).run(customRows);
      }
    });
    return this.writer;
  }

  /**
   * Brings the tiers of an agent in line after raw rows went: buckets wholly before the oldest
   * kept payload (null: none kept) or before the custom cutoff are deleted, and the one bucket the
   * cut runs through is recomputed from the raw rows left in it.
   */
  private preparedTrimmer(): (agentId: string, payloadsFrom: number | null, customFrom: number) => void {
    if (this.trimmer !== null) return this.trimmer;
    const steps = ROLLUP_TIERS.map((tier) => {
      const custom = customTable(tier);
      return {
        tier,
        parts: TIER_PARTS.map((part) => ({
          before: this.db.prepare(`DELETE FROM ${partTable(tier, part)} WHERE agent_id = @agent AND bucket <= @bucket`),
          redo: this.db.prepare(sqliteRollupPayloads(tier, part, 'm.agent_id = @agent AND m.ts >= @bucket AND m.ts < @end')),
          all: this.db.prepare(`DELETE FROM ${partTable(tier, part)} WHERE agent_id = ?`),
        })),
        customBefore: this.db.prepare(`DELETE FROM ${custom} WHERE agent_id = @agent AND bucket <= @bucket`),
        customRedo: this.db.prepare(sqliteRollupCustom(tier, 'c.agent_id = @agent AND c.ts >= @bucket AND c.ts < @end')),
      };
    });
    this.trimmer = (agentId, payloadsFrom, customFrom) => {
      for (const step of steps) {
        const width = step.tier.ms;
        for (const part of step.parts) {
          if (payloadsFrom === null) part.all.run(agentId);
          else {
            const bucket = floorTo(payloadsFrom, width);
            part.before.run({ agent: agentId, bucket });
            part.redo.run({ agent: agentId, bucket, end: bucket + width });
          }
        }
        const customBucket = floorTo(customFrom, width);
        step.customBefore.run({ agent: agentId, bucket: customBucket });
        step.customRedo.run({ agent: agentId, bucket: customBucket, end: customBucket + width });
      }
    };
    return this.trimmer;
  }
}
