/**
 * SQL of a SeriesQuery against the PostgreSQL series tables. Aggregation happens in SQL: payload
 * columns and custom points are grouped separately (custom points pivoted by name) and joined per
 * (agent, bucket), so JS only renames columns. Buckets are computed on integer epoch milliseconds,
 * so they are exact and aligned to the Unix epoch.
 */
import { CUSTOM_METRIC_PREFIX, isQueryableMetricName, isSeriesMetricName, type Aggregation } from '@agentmon/schema';
import type { SeriesQuery } from '../ports.js';

/** A requested metric and the result column that carries it. */
export interface SeriesOutput {
  name: string;
  alias: string;
}

/** A statement ready to run: positional parameters, and which column answers which metric. */
export interface SeriesStatement {
  sql: string;
  params: unknown[];
  outputs: SeriesOutput[];
}

const AGGREGATE_SQL: Record<Exclude<Aggregation, 'last'>, string> = {
  avg: 'avg',
  sum: 'sum',
  min: 'min',
  max: 'max',
  count: 'count',
};

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

/** Builds the statement answering `q`; null when it cannot match anything (an empty agent list). */
export function buildPostgresSeriesQuery(q: SeriesQuery): SeriesStatement | null {
  if (q.agentIds !== null && q.agentIds.length === 0) return null;
  const params: unknown[] = [];
  const bind = (value: unknown, type: string): string => {
    params.push(value);
    return `$${params.length}::${type}`;
  };

  const builtins: string[] = [];
  const customs: string[] = [];
  const outputs: SeriesOutput[] = [];
  for (const name of new Set(q.metrics)) {
    if (isSeriesMetricName(name)) {
      outputs.push({ name, alias: `b${builtins.length}` });
      builtins.push(name);
    } else if (isQueryableMetricName(name)) {
      // The custom key goes in as a parameter, never into the SQL text.
      outputs.push({ name, alias: `c${customs.length}` });
      customs.push(bind(name.slice(CUSTOM_METRIC_PREFIX.length), 'text'));
    } else {
      throw new RangeError(`unknown series metric: ${name}`);
    }
  }
  if (outputs.length === 0) throw new RangeError('a series query needs at least one metric');

  const start = bind(isoOfMs(q.startMs), 'timestamptz');
  const end = bind(isoOfMs(q.endMs), 'timestamptz');
  const agents = q.agentIds === null ? null : bind(q.agentIds, 'text[]');
  const where = (t: string): string =>
    `${t}.ts >= ${start} AND ${t}.ts <= ${end}` + (agents === null ? '' : ` AND ${t}.agent_id = ANY(${agents})`);

  if (q.aggregation === null && q.intervalMs === null) {
    const columns = [
      ...builtins.map((col, i) => `m.${col} AS b${i}`),
      // Matched on agent and ts; two payloads sharing both would share their custom values.
      ...customs.map(
        (n, i) =>
          `(SELECT c.value FROM agent_custom_metrics c WHERE c.agent_id = m.agent_id AND c.name = ${n} AND c.ts = m.ts ORDER BY c.value DESC LIMIT 1) AS c${i}`,
      ),
    ];
    const order = q.groupBy === 'none' ? 'm.ts, m.agent_id' : 'm.agent_id, m.ts';
    return {
      sql: `SELECT m.agent_id AS agent_id, ${msOf('m.ts')} AS bucket, ${columns.join(', ')} FROM agent_metrics m WHERE ${where('m')} ORDER BY ${order}`,
      params,
      outputs,
    };
  }

  const aggregation: Aggregation = q.aggregation ?? 'avg';
  let bucket: (t: string) => string;
  if (q.intervalMs === null) {
    const startMs = bind(q.startMs, 'int8');
    bucket = () => startMs;
  } else {
    if (!Number.isSafeInteger(q.intervalMs) || q.intervalMs <= 0) throw new RangeError(`invalid interval: ${q.intervalMs}`);
    const i = `${q.intervalMs}::int8`;
    // Floor division that stays right for negative ms, in exact integer arithmetic.
    bucket = (t) => `(${msOf(`${t}.ts`)} - ((${msOf(`${t}.ts`)} % ${i}) + ${i}) % ${i})`;
  }
  const perAgent = q.groupBy !== 'none';
  const group = perAgent ? 'agent_id, bucket' : 'bucket';
  const groupKey = perAgent ? 'agent_id' : 'NULL::text';
  // The latest non-null value, ties to the larger value (as the SQLite adapter breaks them).
  const last = (value: string): string => `(array_agg(${value} ORDER BY ts DESC, ${value} DESC) FILTER (WHERE ${value} IS NOT NULL))[1]`;

  let payloads: string | null = null;
  if (builtins.length > 0) {
    const source = `SELECT m.agent_id AS agent_id, m.ts AS ts, ${bucket('m')} AS bucket, ${builtins
      .map((col, i) => `m.${col} AS b${i}`)
      .join(', ')} FROM agent_metrics m WHERE ${where('m')}`;
    const aggregate = (i: number): string =>
      aggregation === 'last' ? last(`b${i}`) : `${AGGREGATE_SQL[aggregation]}(b${i})`;
    payloads = `SELECT ${groupKey} AS agent_id, bucket, ${builtins
      .map((_, i) => `${aggregate(i)} AS b${i}`)
      .join(', ')} FROM (${source}) s GROUP BY ${group}`;
  }

  let customPoints: string | null = null;
  if (customs.length > 0) {
    const source = `SELECT c.agent_id AS agent_id, c.ts AS ts, ${bucket('c')} AS bucket, c.name AS name, c.value AS value FROM agent_custom_metrics c WHERE ${where('c')} AND c.name IN (${customs.join(', ')})`;
    const aggregate = (n: string): string => {
      const value = `CASE WHEN name = ${n} THEN value END`;
      return aggregation === 'last' ? last(value) : `${AGGREGATE_SQL[aggregation]}(${value})`;
    };
    customPoints = `SELECT ${groupKey} AS agent_id, bucket, ${customs
      .map((n, i) => `${aggregate(n)} AS c${i}`)
      .join(', ')} FROM (${source}) s GROUP BY ${group}`;
  }

  const order = perAgent ? 'agent_id, bucket' : 'bucket';
  if (payloads === null) return { sql: `${customPoints ?? ''} ORDER BY ${order}`, params, outputs };
  if (customPoints === null) return { sql: `${payloads} ORDER BY ${order}`, params, outputs };
  // Payload rows decide which buckets exist; custom values join onto them.
  const fill = (i: number): string => (aggregation === 'count' ? `COALESCE(c.c${i}, 0)` : `c.c${i}`);
  const on = perAgent ? 'c.bucket = p.bucket AND c.agent_id = p.agent_id' : 'c.bucket = p.bucket';
  return {
    sql:
      `SELECT p.agent_id AS agent_id, p.bucket AS bucket, ${builtins.map((_, i) => `p.b${i} AS b${i}`).join(', ')}, ` +
      `${customs.map((_, i) => `${fill(i)} AS c${i}`).join(', ')} FROM (${payloads}) p LEFT JOIN (${customPoints}) c ON ${on} ` +
      `ORDER BY ${perAgent ? 'p.agent_id, p.bucket' : 'p.bucket'}`,
    params,
    outputs,
  };
}
