/**
 * SQL of a SeriesQuery against the SQLite series tables. Aggregation happens in SQL: payload
 * columns and custom points are grouped separately (custom points pivoted by name) and joined per
 * (agent, bucket), so JS only renames columns.
 *
 * With a rollup plan (series-tiers.ts), each side reads partial aggregates instead of raw rows:
 * the tier's rows for the whole tier buckets of the range, plus raw rows (as one-row partials) for
 * the ragged edges; one GROUP BY per (agent, bucket) then combines them.
 */
import { CUSTOM_METRIC_PREFIX, isQueryableMetricName, isSeriesMetricName, type Aggregation } from '@agentmon/schema';
import type { SeriesQuery } from '../ports.js';
import { customTable, partOf, partTable, tierColumn, type RollupPlan, type TierAggregate } from '../series-tiers.js';

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

/**
 * Partial aggregates a rollup query reads per value: s sum, n count of non-null values, lo min, hi
 * max, l last non-null value and lt its ts. A raw row is a partial of one payload.
 */
type PartialKind = 's' | 'n' | 'lo' | 'hi' | 'l' | 'lt';

/** The partials each aggregation needs. */
const PARTIALS: Record<Aggregation, readonly PartialKind[]> = {
  avg: ['s', 'n'],
  sum: ['s'],
  count: ['n'],
  min: ['lo'],
  max: ['hi'],
  last: ['l', 'lt'],
};

/** The tier aggregate (series-tiers.ts) holding each partial. */
const TIER_COLUMN: Record<PartialKind, TierAggregate> = {
  s: 'sum',
  n: 'n',
  lo: 'min',
  hi: 'max',
  l: 'last',
  lt: 'lastTs',
};

/** Combines partials (named by `col`) into the aggregation, `last` excepted (a window picks it). */
function combine(aggregation: Exclude<Aggregation, 'last'>, col: (kind: PartialKind) => string): string {
  switch (aggregation) {
    // SUM of REALs is REAL; divided by a count of 0 it is NULL (and so is the sum then).
    case 'avg':
      return `SUM(${col('s')}) / SUM(${col('n')})`;
    case 'sum':
      return `SUM(${col('s')})`;
    case 'count':
      return `SUM(${col('n')})`;
    case 'min':
      return `MIN(${col('lo')})`;
    case 'max':
      return `MAX(${col('hi')})`;
  }
}

/**
 * Builds the statement answering `q`; null when it cannot match anything (an empty agent list).
 * `plan` (aggregated queries only) makes it read a rollup tier for [plan.from, plan.to).
 */
export function buildSqliteSeriesQuery(q: SeriesQuery, plan: RollupPlan | null = null): SeriesStatement | null {
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
  // The bucket of a time column (ms), by the query's interval.
  let bucket: (ms: string) => string;
  if (q.intervalMs === null) {
    bucket = () => start;
  } else {
    if (!Number.isSafeInteger(q.intervalMs) || q.intervalMs <= 0) throw new RangeError(`invalid interval: ${q.intervalMs}`);
    const i = String(q.intervalMs);
    // Floor division that stays right for negative ts, in exact integer arithmetic.
    bucket = (ms) => `(${ms} - ((${ms} % ${i}) + ${i}) % ${i})`;
  }
  const perAgent = q.groupBy !== 'none';
  const group = perAgent ? 'agent_id, bucket' : 'bucket';
  const groupKey = perAgent ? 'agent_id' : 'NULL';

  let payloads: string | null = null;
  let customPoints: string | null = null;
  if (plan !== null) {
    const from = bind('from', plan.from);
    const to = bind('to', plan.to);
    const agentsOf = (t: string): string => (agents === null ? '' : ` AND ${t}.agent_id IN (SELECT value FROM json_each(${agents}))`);
    // Raw rows outside the tier's whole buckets: the ragged head and tail of the range.
    const edges = (t: string): string[] => [
      ...(plan.rawHead ? [`${t}.ts >= ${start} AND ${t}.ts < ${from}${agentsOf(t)}`] : []),
      ...(plan.rawTail ? [`${t}.ts >= ${to} AND ${t}.ts <= ${end}${agentsOf(t)}`] : []),
    ];
    const inTier = (t: string): string => `${t}.bucket >= ${from} AND ${t}.bucket < ${to}${agentsOf(t)}`;
    const kinds = PARTIALS[aggregation];
    // Every partial of an aggregation lies in one part of the tier.
    const payloadTier = partTable(plan.tier, partOf(TIER_COLUMN[kinds[0] ?? 's']));
    const customTier = customTable(plan.tier);

    if (builtins.length > 0) {
      const rawPartial = (col: string, kind: PartialKind): string =>
        kind === 'n' ? `(m.${col} IS NOT NULL)` : kind === 'lt' ? `CASE WHEN m.${col} IS NOT NULL THEN m.ts END` : `m.${col}`;
      const columns = (expr: (col: string, kind: PartialKind) => string): string =>
        builtins.flatMap((col, i) => kinds.map((kind) => `${expr(col, kind)} AS ${kind}${i}`)).join(', ');
      const parts = [
        `SELECT t.agent_id AS agent_id, ${bucket('t.bucket')} AS bucket, ${columns((col, kind) => `t.${tierColumn(col, TIER_COLUMN[kind])}`)} FROM ${payloadTier} t WHERE ${inTier('t')}`,
        ...edges('m').map((w) => `SELECT m.agent_id AS agent_id, ${bucket('m.ts')} AS bucket, ${columns(rawPartial)} FROM agent_metrics m WHERE ${w}`),
      ];
      const source = parts.join(' UNION ALL ');
      if (aggregation === 'last') {
        const firsts = builtins.map(
          (_, i) => `FIRST_VALUE(l${i}) OVER (PARTITION BY ${group} ORDER BY lt${i} IS NULL, lt${i} DESC, l${i} DESC) AS b${i}`,
        );
        payloads =
          `SELECT agent_id, bucket, ${builtins.map((_, i) => `MAX(b${i}) AS b${i}`).join(', ')} FROM ` +
          `(SELECT ${groupKey} AS agent_id, bucket, ${firsts.join(', ')} FROM (${source})) GROUP BY ${group}`;
      } else {
        payloads = `SELECT ${groupKey} AS agent_id, bucket, ${builtins
          .map((_, i) => `${combine(aggregation, (kind) => `${kind}${i}`)} AS b${i}`)
          .join(', ')} FROM (${source}) GROUP BY ${group}`;
      }
    }

    if (customs.length > 0) {
      const names = `name IN (${customs.join(', ')})`;
      const rawPartial: Record<PartialKind, string> = { s: 'c.value', n: '1', lo: 'c.value', hi: 'c.value', l: 'c.value', lt: 'c.ts' };
      const columns = (expr: (kind: PartialKind) => string): string => kinds.map((kind) => `${expr(kind)} AS ${kind}`).join(', ');
      const parts = [
        `SELECT t.agent_id AS agent_id, ${bucket('t.bucket')} AS bucket, t.name AS name, ${columns((kind) => `t.${tierColumn('value', TIER_COLUMN[kind])}`)} FROM ${customTier} t WHERE t.${names} AND ${inTier('t')}`,
        ...edges('c').map(
          (w) => `SELECT c.agent_id AS agent_id, ${bucket('c.ts')} AS bucket, c.name AS name, ${columns((kind) => rawPartial[kind])} FROM agent_custom_metrics c WHERE c.${names} AND ${w}`,
        ),
      ];
      const source = parts.join(' UNION ALL ');
      if (aggregation === 'last') {
        customPoints =
          `SELECT agent_id, bucket, ${customs.map((n, i) => `MAX(CASE WHEN name = ${n} THEN lv END) AS c${i}`).join(', ')} FROM ` +
          `(SELECT ${groupKey} AS agent_id, bucket, name, FIRST_VALUE(l) OVER (PARTITION BY ${group}, name ORDER BY lt DESC, l DESC) AS lv FROM (${source})) GROUP BY ${group}`;
      } else {
        const pick = (n: string) => (kind: PartialKind) => `CASE WHEN name = ${n} THEN ${kind} END`;
        // A name without points in a bucket counts 0, as COUNT over the raw rows says.
        const wrap = (sql: string): string => (aggregation === 'count' ? `COALESCE(${sql}, 0)` : sql);
        customPoints = `SELECT ${groupKey} AS agent_id, bucket, ${customs
          .map((n, i) => `${wrap(combine(aggregation, pick(n)))} AS c${i}`)
          .join(', ')} FROM (${source}) GROUP BY ${group}`;
      }
    }
  } else if (builtins.length > 0) {
    const source = `SELECT m.agent_id AS agent_id, m.ts AS ts, ${bucket('m.ts')} AS bucket, ${builtins
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

  if (plan === null && customs.length > 0) {
    const source = `SELECT c.agent_id AS agent_id, c.ts AS ts, ${bucket('c.ts')} AS bucket, c.name AS name, c.value AS value FROM agent_custom_metrics c WHERE ${where('c')} AND c.name IN (${customs.join(', ')})`;
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
