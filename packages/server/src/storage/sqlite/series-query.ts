/**
 * SQL of a SeriesQuery against the SQLite series tables. Aggregation happens in SQL: payload
 * columns and custom points are grouped separately (custom points pivoted by name) and joined per
 * (agent, bucket), so JS only renames columns.
 */
import { CUSTOM_METRIC_PREFIX, isQueryableMetricName, isSeriesMetricName, type Aggregation } from '@agentmon/schema';
import type { SeriesQuery } from '../ports.js';

/** A requested metric and the result column that carries it. */
export interface SeriesOutput {
  name: string;
  alias: string;
}

/** A statement ready to run: named parameters, and which column answers which metric. */
export interface SeriesStatement {
  sql: string;
  params: Record<string, unknown>;
  outputs: SeriesOutput[];
}

const AGGREGATE_SQL: Record<Exclude<Aggregation, 'last'>, string> = {
  avg: 'AVG',
  sum: 'SUM',
  min: 'MIN',
  max: 'MAX',
  count: 'COUNT',
};

/** Builds the statement answering `q`; null when it cannot match anything (an empty agent list). */
export function buildSqliteSeriesQuery(q: SeriesQuery): SeriesStatement | null {
  if (q.agentIds !== null && q.agentIds.length === 0) return null;
  const params: Record<string, unknown> = {};
  const bind = (key: string, value: unknown): string => {
    params[key] = value;
    return `@${key}`;
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
      customs.push(bind(`n${customs.length}`, name.slice(CUSTOM_METRIC_PREFIX.length)));
    } else {
      throw new RangeError(`unknown series metric: ${name}`);
    }
  }
  if (outputs.length === 0) throw new RangeError('a series query needs at least one metric');

  const start = bind('start', q.startMs);
  const end = bind('end', q.endMs);
  const agents = q.agentIds === null ? null : bind('agents', JSON.stringify(q.agentIds));
  const where = (t: string): string =>
    `${t}.ts >= ${start} AND ${t}.ts <= ${end}` +
    (agents === null ? '' : ` AND ${t}.agent_id IN (SELECT value FROM json_each(${agents}))`);

  if (q.aggregation === null && q.intervalMs === null) {
    const columns = [
      ...builtins.map((col, i) => `m.${col} AS b${i}`),
      // Matched on agent and ts; two payloads sharing both would share their custom values.
      ...customs.map(
        (n, i) =>
          `(SELECT c.value FROM agent_custom_metrics c WHERE c.agent_id = m.agent_id AND c.name = ${n} AND c.ts = m.ts ORDER BY c.value DESC LIMIT 1) AS c${i}`,
      ),
    ];
    const order = q.groupBy === 'none' ? 'm.ts, m.agent_id, m.rowid' : 'm.agent_id, m.ts, m.rowid';
    return {
      sql: `SELECT m.agent_id AS agent_id, m.ts AS bucket, ${columns.join(', ')} FROM agent_metrics m WHERE ${where('m')} ORDER BY ${order}`,
      params,
      outputs,
    };
  }

  const aggregation: Aggregation = q.aggregation ?? 'avg';
  let bucket: (t: string) => string;
  if (q.intervalMs === null) {
    bucket = () => start;
  } else {
    if (!Number.isSafeInteger(q.intervalMs) || q.intervalMs <= 0) throw new RangeError(`invalid interval: ${q.intervalMs}`);
    const i = String(q.intervalMs);
    // Floor division that stays right for negative ts, in exact integer arithmetic.
    bucket = (t) => `(${t}.ts - ((${t}.ts % ${i}) + ${i}) % ${i})`;
  }
  const perAgent = q.groupBy !== 'none';
  const group = perAgent ? 'agent_id, bucket' : 'bucket';
  const groupKey = perAgent ? 'agent_id' : 'NULL';

  let payloads: string | null = null;
  if (builtins.length > 0) {
    const source = `SELECT m.agent_id AS agent_id, m.ts AS ts, ${bucket('m')} AS bucket, ${builtins
      .map((col, i) => `m.${col} AS b${i}`)
      .join(', ')} FROM agent_metrics m WHERE ${where('m')}`;
    if (aggregation === 'last') {
      // The latest non-null value: nulls sort last, then newest first, ties to the larger value.
      const firsts = builtins.map(
        (_, i) => `FIRST_VALUE(b${i}) OVER (PARTITION BY ${group} ORDER BY b${i} IS NULL, ts DESC, b${i} DESC) AS b${i}`,
      );
      payloads =
        `SELECT agent_id, bucket, ${builtins.map((_, i) => `MAX(b${i}) AS b${i}`).join(', ')} FROM ` +
        `(SELECT ${groupKey} AS agent_id, bucket, ${firsts.join(', ')} FROM (${source})) GROUP BY ${group}`;
    } else {
      const fn = AGGREGATE_SQL[aggregation];
      payloads = `SELECT ${groupKey} AS agent_id, bucket, ${builtins
        .map((_, i) => `${fn}(b${i}) AS b${i}`)
        .join(', ')} FROM (${source}) GROUP BY ${group}`;
    }
  }

  let customPoints: string | null = null;
  if (customs.length > 0) {
    const source = `SELECT c.agent_id AS agent_id, c.ts AS ts, ${bucket('c')} AS bucket, c.name AS name, c.value AS value FROM agent_custom_metrics c WHERE ${where('c')} AND c.name IN (${customs.join(', ')})`;
    if (aggregation === 'last') {
      customPoints =
        `SELECT agent_id, bucket, ${customs.map((n, i) => `MAX(CASE WHEN name = ${n} THEN lv END) AS c${i}`).join(', ')} FROM ` +
        `(SELECT ${groupKey} AS agent_id, bucket, name, FIRST_VALUE(value) OVER (PARTITION BY ${group}, name ORDER BY ts DESC, value DESC) AS lv FROM (${source})) GROUP BY ${group}`;
    } else {
      const fn = AGGREGATE_SQL[aggregation];
      customPoints = `SELECT ${groupKey} AS agent_id, bucket, ${customs
        .map((n, i) => `${fn}(CASE WHEN name = ${n} THEN value END) AS c${i}`)
        .join(', ')} FROM (${source}) GROUP BY ${group}`;
    }
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
