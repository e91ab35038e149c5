/**
 * SQL of a SeriesQuery against the PostgreSQL series tables. Aggregation happens in SQL: payload
 * columns and custom points are grouped separately (custom points pivoted by name) and joined per
 * (agent, bucket), so JS only renames columns. Buckets are computed on integer epoch milliseconds,
 * so they are exact and aligned to the Unix epoch.
 *
 * With a rollup plan (../series-tiers.ts), each side reads partial aggregates instead of raw
 * rows: the tier's rows for the whole tier buckets of the range, plus raw rows (as one-row
 * partials) for the ragged edges; one GROUP BY per (agent, bucket) then combines them.
 */
import type { Aggregation } from '@agentmon/schema';
import type { SeriesQuery } from '../ports.js';
import type { RollupPlan } from '../rollup-plan.js';
import { tierColumn } from '../sql/series-tiers.js';
import { AGGREGATE_SQL, combinePartials, joinSides, rawPointColumns, rollupSources, seriesMetrics, TIER_COLUMN, type PartialKind, type SeriesOutput } from '../sql/series-shape.js';

/** A statement ready to run: positional parameters, and which column answers which metric. */
export interface SeriesStatement {
  sql: string;
  params: unknown[];
  outputs: SeriesOutput[];
}

// JS Date's range; no stored ts lies outside it, so clamping a bound changes no answer.
const MAX_DATE_MS = 8.64e15;

/** Epoch ms as an ISO string PostgreSQL parses exactly (clamped to what a Date can hold). */
export function isoOfMs(ms: number): string {
  return new Date(Math.min(MAX_DATE_MS, Math.max(-MAX_DATE_MS, ms))).toISOString();
}

/**
 * Epoch milliseconds of a TIMESTAMPTZ column. date_part's double is off by far less than half a
 * millisecond for whole-millisecond times, so rounding to int8 is exact, and it is about twice as
 * fast over many rows as extract(), which computes in numeric since PostgreSQL 14.
 */
export function msOf(column: string): string {
  return `(date_part('epoch', ${column}) * 1000)::int8`;
}

/** Combines partials (named by `col`) into the aggregation. */
function combine(aggregation: Aggregation, col: (kind: PartialKind) => string): string {
  if (aggregation === 'last') {
    // The latest non-null value, ties to the larger value (as the raw path breaks them).
    return `(array_agg(${col('l')} ORDER BY ${col('lt')} DESC, ${col('l')} DESC) FILTER (WHERE ${col('lt')} IS NOT NULL))[1]`;
  }
  return combinePartials(aggregation, col, (sum, count) => `${sum} / NULLIF(${count}, 0)::float8`);
}

/**
 * Builds the statement answering `q`; null when it cannot match anything (an empty agent list).
 * `plan` (aggregated queries only) makes it read a rollup tier for [plan.from, plan.to).
 */
export function buildPostgresSeriesQuery(q: SeriesQuery, plan: RollupPlan | null = null): SeriesStatement | null {
  if (q.agentIds !== null && q.agentIds.length === 0) return null;
  const params: unknown[] = [];
  const bind = (value: unknown, type: string): string => {
    params.push(value);
    return `$${params.length}::${type}`;
  };

  const metrics = seriesMetrics(q, (key) => bind(key, 'text'));
  const { builtins, customs, outputs } = metrics;

  // Bound on first use: PostgreSQL cannot type a parameter the statement never mentions.
  const once = (value: unknown, type: string): (() => string) => {
    let placeholder: string | null = null;
    return () => (placeholder ??= bind(value, type));
  };
  const start = once(isoOfMs(q.startMs), 'timestamptz');
  const end = once(isoOfMs(q.endMs), 'timestamptz');
  const agents = q.agentIds === null ? null : bind(q.agentIds, 'text[]');
  const where = (t: string): string =>
    `${t}.ts >= ${start()} AND ${t}.ts <= ${end()}` + (agents === null ? '' : ` AND ${t}.agent_id = ANY(${agents})`);

  if (q.aggregation === null && q.intervalMs === null) {
    const columns = rawPointColumns(metrics);
    const order = q.groupBy === 'none' ? 'm.ts, m.agent_id' : 'm.agent_id, m.ts';
    return {
      // One row over maxRows is enough to know the answer is too large.
      sql: `SELECT m.agent_id AS agent_id, ${msOf('m.ts')} AS bucket, ${columns.join(', ')} FROM agent_metrics m WHERE ${where('m')} ORDER BY ${order}${q.maxRows === undefined ? '' : ` LIMIT ${bind(q.maxRows + 1, 'int8')}`}`,
      params,
      outputs,
    };
  }

  const aggregation: Aggregation = q.aggregation ?? 'avg';
  // The bucket of a time in epoch ms (an int8 expression), by the query's interval.
  let bucket: (ms: string) => string;
  if (q.intervalMs === null) {
    const startMs = bind(q.startMs, 'int8');
    bucket = () => startMs;
  } else {
    if (!Number.isSafeInteger(q.intervalMs) || q.intervalMs <= 0) throw new RangeError(`invalid interval: ${q.intervalMs}`);
    const i = `${q.intervalMs}::int8`;
    // Floor division that stays right for negative ms, in exact integer arithmetic.
    bucket = (ms) => `(${ms} - ((${ms} % ${i}) + ${i}) % ${i})`;
  }
  const perAgent = q.groupBy !== 'none';
  const group = perAgent ? 'agent_id, bucket' : 'bucket';
  const groupKey = perAgent ? 'agent_id' : 'NULL::text';
  // The latest non-null value, ties to the larger value (as the SQLite adapter breaks them).
  const last = (value: string): string => `(array_agg(${value} ORDER BY ts DESC, ${value} DESC) FILTER (WHERE ${value} IS NOT NULL))[1]`;

  let payloads: string | null = null;
  let customPoints: string | null = null;
  if (plan !== null) {
    const { kinds, payloadTier, customTier, edges, inTier } = rollupSources(plan, aggregation, {
      start,
      end,
      fromTs: once(isoOfMs(plan.from), 'timestamptz'),
      toTs: once(isoOfMs(plan.to), 'timestamptz'),
      from: bind(plan.from, 'int8'),
      to: bind(plan.to, 'int8'),
      agentsOf: (t) => (agents === null ? '' : ` AND ${t}.agent_id = ANY(${agents})`),
    });

    if (builtins.length > 0) {
      const rawPartial = (col: string, kind: PartialKind): string =>
        kind === 'n' ? `(m.${col} IS NOT NULL)::int` : kind === 'lt' ? `CASE WHEN m.${col} IS NOT NULL THEN ${msOf('m.ts')} END` : `m.${col}`;
      const columns = (expr: (col: string, kind: PartialKind) => string): string =>
        builtins.flatMap((col, i) => kinds.map((kind) => `${expr(col, kind)} AS ${kind}${i}`)).join(', ');
      const parts = [
        `SELECT t.agent_id AS agent_id, ${bucket('t.bucket')} AS bucket, ${columns((col, kind) => `t.${tierColumn(col, TIER_COLUMN[kind])}`)} FROM ${payloadTier} t WHERE ${inTier('t')}`,
        ...edges('m').map((w) => `SELECT m.agent_id AS agent_id, ${bucket(msOf('m.ts'))} AS bucket, ${columns(rawPartial)} FROM agent_metrics m WHERE ${w}`),
      ];
      payloads = `SELECT ${groupKey} AS agent_id, bucket, ${builtins
        .map((_, i) => `${combine(aggregation, (kind) => `${kind}${i}`)} AS b${i}`)
        .join(', ')} FROM (${parts.join(' UNION ALL ')}) s GROUP BY ${group}`;
    }

    if (customs.length > 0) {
      const names = `name IN (${customs.join(', ')})`;
      const rawPartial: Record<PartialKind, string> = { s: 'c.value', n: '1', lo: 'c.value', hi: 'c.value', l: 'c.value', lt: msOf('c.ts') };
      const columns = (expr: (kind: PartialKind) => string): string => kinds.map((kind) => `${expr(kind)} AS ${kind}`).join(', ');
      const parts = [
        `SELECT t.agent_id AS agent_id, ${bucket('t.bucket')} AS bucket, t.name AS name, ${columns((kind) => `t.${tierColumn('value', TIER_COLUMN[kind])}`)} FROM ${customTier} t WHERE t.${names} AND ${inTier('t')}`,
        ...edges('c').map(
          (w) => `SELECT c.agent_id AS agent_id, ${bucket(msOf('c.ts'))} AS bucket, c.name AS name, ${columns((kind) => rawPartial[kind])} FROM agent_custom_metrics c WHERE c.${names} AND ${w}`,
        ),
      ];
      const pick = (n: string) => (kind: PartialKind) => `CASE WHEN name = ${n} THEN ${kind} END`;
      // A name without points in a bucket counts 0, as count() over the raw rows says.
      const wrap = (sql: string): string => (aggregation === 'count' ? `COALESCE(${sql}, 0)` : sql);
      customPoints = `SELECT ${groupKey} AS agent_id, bucket, ${customs
        .map((n, i) => `${wrap(combine(aggregation, pick(n)))} AS c${i}`)
        .join(', ')} FROM (${parts.join(' UNION ALL ')}) s GROUP BY ${group}`;
    }
  } else if (builtins.length > 0) {
    const source = `SELECT m.agent_id AS agent_id, m.ts AS ts, ${bucket(msOf('m.ts'))} AS bucket, ${builtins
      .map((col, i) => `m.${col} AS b${i}`)
      .join(', ')} FROM agent_metrics m WHERE ${where('m')}`;
    const aggregate = (i: number): string =>
      aggregation === 'last' ? last(`b${i}`) : `${AGGREGATE_SQL[aggregation]}(b${i})`;
    payloads = `SELECT ${groupKey} AS agent_id, bucket, ${builtins
      .map((_, i) => `${aggregate(i)} AS b${i}`)
      .join(', ')} FROM (${source}) s GROUP BY ${group}`;
  }

  if (plan === null && customs.length > 0) {
    const source = `SELECT c.agent_id AS agent_id, c.ts AS ts, ${bucket(msOf('c.ts'))} AS bucket, c.name AS name, c.value AS value FROM agent_custom_metrics c WHERE ${where('c')} AND c.name IN (${customs.join(', ')})`;
    const aggregate = (n: string): string => {
      const value = `CASE WHEN name = ${n} THEN value END`;
      return aggregation === 'last' ? last(value) : `${AGGREGATE_SQL[aggregation]}(${value})`;
    };
    customPoints = `SELECT ${groupKey} AS agent_id, bucket, ${customs
      .map((n, i) => `${aggregate(n)} AS c${i}`)
      .join(', ')} FROM (${source}) s GROUP BY ${group}`;
  }

  return { sql: joinSides(metrics, aggregation, perAgent, payloads, customPoints), params, outputs };
}
