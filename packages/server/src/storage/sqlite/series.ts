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
import { buildSqliteSeriesQuery } from './series-query.js';
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

interface Migration {
  version: number;
  name: string;
  up: string;
}

const COMPONENT = 'series';

/** The widest tier's bucket: rows of a batch distinct at it are distinct in every tier. */
const COARSEST_MS = Math.max(...ROLLUP_TIERS.map((tier) => tier.ms));

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
    const plan = this.readRollups ? planRollup(q) : null;
    const statement = buildSqliteSeriesQuery(q, plan);
    this.plan = describePlan(plan);
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
      // Distinct (agent, coarsest bucket) and (agent, name, coarsest bucket) keys: one per row means
      // one per row in every finer tier too.
      const payloadKeys = new Set<string>();
      const customKeys = new Set<string>();
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
        lastPayload = payload.run(args).lastInsertRowid;
        firstPayload ??= lastPayload;
        const bucket = floorTo(point.ts, COARSEST_MS);
        payloadKeys.add(`${point.agent_id}\u0000${bucket}`);
        for (const name in point.custom) {
          const value = point.custom[name];
          if (typeof value === 'number' && !Number.isFinite(value)) throw invalidPoint(point, `custom.${name} is ${value}`);
          lastCustom = custom.run(point.agent_id, point.ts, name, value).lastInsertRowid;
          firstCustom ??= lastCustom;
          customCount++;
          customKeys.add(`${point.agent_id}\u0000${name}\u0000${bucket}`);
        }
      }
      const payloadRows = range(firstPayload, lastPayload, points.length);
      const customRows = range(firstCustom, lastCustom, customCount);
      const singlePayloads = payloadKeys.size === points.length;
      const singleCustom = customKeys.size === customCount;
      for (const rollup of rollups) {
        if (payloadRows !== null) for (const statement of singlePayloads ? rollup.payloadsSingle : rollup.payloads) statement.run(payloadRows);
        if (customRows !== null) (singleCustom ? rollup.customSingle : rollup.custom).run(customRows);
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
