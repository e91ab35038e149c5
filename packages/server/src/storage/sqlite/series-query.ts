/**
 * SQL of a SeriesQuery against the SQLite series tables. Aggregation happens in SQL: payload
 * columns and custom points are grouped separately (custom points pivoted by name) and joined per
 * (agent, bucket), so JS only renames columns.
 *
 * With a rollup plan (series-tiers.ts), each side reads partial aggregates instead of raw rows:
 * the tier's rows for the whole tier buckets of the range, plus raw rows (as one-row partials) for
 * the ragged edges; one GROUP BY per (agent, bucket) then combines them.
 */
import type { Aggregation } from '@agentmon/schema';
import type { SeriesQuery } from '../ports.js';
import { tierColumn, type RollupPlan } from '../series-tiers.js';
import { AGGREGATE_SQL, combinePartials, joinSides, rawPointColumns, rollupSources, seriesMetrics, TIER_COLUMN, type PartialKind, type SeriesOutput } from '../series-shape.js';

/** A statement ready to run: named parameters, and which column answers which metric. */
export interface SeriesStatement {
  sql: string;
  params: Record<string, unknown>;
  outputs: SeriesOutput[];
}

/** Combines partials (named by `col`) into the aggregation, `last` excepted (a window picks it). */
function combine(aggregation: Exclude<Aggregation, 'last'>, col: (kind: PartialKind) => string): string {
  // SUM of REALs is REAL; divided by a count of 0 it is NULL (and so is the sum then).
  return combinePartials(aggregation, col, (sum, count) => `${sum} / ${count}`);
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

  const metrics = seriesMetrics(q, (key, i) => bind(`n${i}`, key));
  const { builtins, customs, outputs } = metrics;

  const start = bind('start', q.startMs);
  const end = bind('end', q.endMs);
  const agents = q.agentIds === null ? null : bind('agents', JSON.stringify(q.agentIds));
  const where = (t: string): string =>
    `${t}.ts >= ${start} AND ${t}.ts <= ${end}` +
    (agents === null ? '' : ` AND ${t}.agent_id IN (SELECT value FROM json_each(${agents}))`);

  if (q.aggregation === null && q.intervalMs === null) {
    const columns = rawPointColumns(metrics);
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
    const { kinds, payloadTier, customTier, edges, inTier } = rollupSources(plan, aggregation, {
      start: () => start,
      end: () => end,
      fromTs: () => from,
      toTs: () => to,
      from,
      to,
      agentsOf: (t) => (agents === null ? '' : ` AND ${t}.agent_id IN (SELECT value FROM json_each(${agents}))`),
    });

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

  return { sql: joinSides(metrics, aggregation, perAgent, payloads, customPoints), params, outputs };
}
