/**
 * The shape of a series query and its answer, shared by both SQL series adapters: which result
 * column carries which requested metric, the partial aggregates a rollup read combines
 * (series-tiers.ts), how the payload and custom sides of a statement join, result rows back to
 * SeriesRows, and the checks and batch keys of inserted points. Driver-free; the SQL dialect of
 * everything else stays in the adapters' series-query.ts.
 */
import { CUSTOM_METRIC_PREFIX, isQueryableMetricName, isSeriesMetricName, type Aggregation } from '@agentmon/schema';
import type { SeriesPoint, SeriesQuery, SeriesRow } from '../ports.js';
import { floorTo, ROLLUP_TIERS, type RollupPlan } from '../rollup-plan.js';
import { customTable, partOf, partTable, type TierAggregate } from './series-tiers.js';

/** A requested metric and the result column that carries it. */
export interface SeriesOutput {
  name: string;
  alias: string;
}

/** The metrics of a query: built-in columns (aliased b0, b1, ...) and custom names (c0, c1, ...). */
export interface SeriesMetrics {
  /** Built-in column names, in alias order. */
  builtins: string[];
  /** Placeholders of the custom names (bound as parameters), in alias order. */
  customs: string[];
  outputs: SeriesOutput[];
}

/**
 * Sorts the query's metrics into built-in columns and custom names; `bindName` binds the i-th
 * custom key (its name without the prefix) and returns its placeholder: the key goes in as a
 * parameter, never into the SQL text. Throws on an unknown metric or none at all.
 */
export function seriesMetrics(q: SeriesQuery, bindName: (key: string, i: number) => string): SeriesMetrics {
  const builtins: string[] = [];
  const customs: string[] = [];
  const outputs: SeriesOutput[] = [];
  for (const name of new Set(q.metrics)) {
    if (isSeriesMetricName(name)) {
      outputs.push({ name, alias: `b${builtins.length}` });
      builtins.push(name);
    } else if (isQueryableMetricName(name)) {
      outputs.push({ name, alias: `c${customs.length}` });
      customs.push(bindName(name.slice(CUSTOM_METRIC_PREFIX.length), customs.length));
    } else {
      throw new RangeError(`unknown series metric: ${name}`);
    }
  }
  if (outputs.length === 0) throw new RangeError('a series query needs at least one metric');
  return { builtins, customs, outputs };
}

/**
 * The value columns of a raw-points query over `agent_metrics m`: the built-in columns, and each
 * custom name's point at the payload's agent and ts.
 */
export function rawPointColumns(metrics: SeriesMetrics): string[] {
  return [
    ...metrics.builtins.map((col, i) => `m.${col} AS b${i}`),
    // Matched on agent and ts; two payloads sharing both would share their custom values.
    ...metrics.customs.map(
      (n, i) =>
        `(SELECT c.value FROM agent_custom_metrics c WHERE c.agent_id = m.agent_id AND c.name = ${n} AND c.ts = m.ts ORDER BY c.value DESC LIMIT 1) AS c${i}`,
    ),
  ];
}

/**
 * Partial aggregates a rollup query reads per value: s sum, n count of non-null values, lo min, hi
 * max, l last non-null value and lt its ts (ms). A raw row is a partial of one payload.
 */
export type PartialKind = 's' | 'n' | 'lo' | 'hi' | 'l' | 'lt';

/** The partials each aggregation needs. */
export const PARTIALS: Record<Aggregation, readonly PartialKind[]> = {
  avg: ['s', 'n'],
  sum: ['s'],
  count: ['n'],
  min: ['lo'],
  max: ['hi'],
  last: ['l', 'lt'],
};

/** The tier aggregate (series-tiers.ts) holding each partial. */
export const TIER_COLUMN: Record<PartialKind, TierAggregate> = {
  s: 'sum',
  n: 'n',
  lo: 'min',
  hi: 'max',
  l: 'last',
  lt: 'lastTs',
};

/** Placeholders and conditions a rollup read needs, in the dialect of its adapter. */
export interface RollupBounds {
  /** The range's bounds and the tier's whole buckets' bounds, as compared with a raw row's ts; each bound on use. */
  start(): string;
  end(): string;
  fromTs(): string;
  toTs(): string;
  /** The tier's whole buckets' bounds, as compared with a tier row's bucket (epoch ms). */
  from: string;
  to: string;
  /** ` AND <t>.agent_id <in the query's agents>`, or nothing for all agents. */
  agentsOf(t: string): string;
}

/** What a rollup read of `plan` reads: the partials, the tier tables, and which rows of each. */
export interface RollupSources {
  kinds: readonly PartialKind[];
  /** The tier part holding the partials of the aggregation, and the tier's custom table. */
  payloadTier: string;
  customTier: string;
  /** Conditions on raw rows `t` outside the tier's whole buckets: the ragged head and tail of the range. */
  edges(t: string): string[];
  /** The condition on tier rows `t` inside the range. */
  inTier(t: string): string;
}

export function rollupSources(plan: RollupPlan, aggregation: Aggregation, b: RollupBounds): RollupSources {
  const kinds = PARTIALS[aggregation];
  return {
    kinds,
    // Every partial of an aggregation lies in one part of the tier.
    payloadTier: partTable(plan.tier, partOf(TIER_COLUMN[kinds[0] ?? 's'])),
    customTier: customTable(plan.tier),
    edges: (t) => [
      ...(plan.rawHead ? [`${t}.ts >= ${b.start()} AND ${t}.ts < ${b.fromTs()}${b.agentsOf(t)}`] : []),
      ...(plan.rawTail ? [`${t}.ts >= ${b.toTs()} AND ${t}.ts <= ${b.end()}${b.agentsOf(t)}`] : []),
    ],
    inTier: (t) => `${t}.bucket >= ${b.from} AND ${t}.bucket < ${b.to}${b.agentsOf(t)}`,
  };
}

/** SQL aggregate functions of raw values, `last` excepted (the dialects pick it each their own way). */
export const AGGREGATE_SQL: Record<Exclude<Aggregation, 'last'>, string> = {
  avg: 'avg',
  sum: 'sum',
  min: 'min',
  max: 'max',
  count: 'count',
};

/**
 * Combines partials (named by `col`) into an aggregation, `last` excepted; `divide` writes avg's
 * sum of sums over sum of counts as the dialect needs it.
 */
export function combinePartials(
  aggregation: Exclude<Aggregation, 'last'>,
  col: (kind: PartialKind) => string,
  divide: (sum: string, count: string) => string,
): string {
  switch (aggregation) {
    case 'avg':
      return divide(`sum(${col('s')})`, `sum(${col('n')})`);
    case 'sum':
      return `sum(${col('s')})`;
    case 'count':
      return `sum(${col('n')})`;
    case 'min':
      return `min(${col('lo')})`;
    case 'max':
      return `max(${col('hi')})`;
  }
}

/**
 * The statement's SQL from its two sides, each grouped per (agent, bucket) or per bucket (null:
 * the query asks for no metric of that side), ordered by agent and bucket. Payload rows decide
 * which buckets exist; custom values join onto them (a missing count is 0).
 */
export function joinSides(metrics: SeriesMetrics, aggregation: Aggregation, perAgent: boolean, payloads: string | null, customPoints: string | null): string {
  const order = perAgent ? 'agent_id, bucket' : 'bucket';
  if (payloads === null) return `${customPoints ?? ''} ORDER BY ${order}`;
  if (customPoints === null) return `${payloads} ORDER BY ${order}`;
  const fill = (i: number): string => (aggregation === 'count' ? `COALESCE(c.c${i}, 0)` : `c.c${i}`);
  const on = perAgent ? 'c.bucket = p.bucket AND c.agent_id = p.agent_id' : 'c.bucket = p.bucket';
  return (
    `SELECT p.agent_id AS agent_id, p.bucket AS bucket, ${metrics.builtins.map((_, i) => `p.b${i} AS b${i}`).join(', ')}, ` +
    `${metrics.customs.map((_, i) => `${fill(i)} AS c${i}`).join(', ')} FROM (${payloads}) p LEFT JOIN (${customPoints}) c ON ${on} ` +
    `ORDER BY ${perAgent ? 'p.agent_id, p.bucket' : 'p.bucket'}`
  );
}

export function toNumberOrNull(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'number' ? value : Number(value);
}

/** SeriesRows from the result rows of a statement: agent_id, bucket, and a column per output. */
export function seriesRows(rows: readonly Record<string, unknown>[], outputs: readonly SeriesOutput[]): SeriesRow[] {
  return rows.map((row) => {
    const values: Record<string, number | null> = {};
    for (const { name, alias } of outputs) values[name] = toNumberOrNull(row[alias]);
    return { agent_id: typeof row.agent_id === 'string' ? row.agent_id : null, ts: Number(row.bucket), values };
  });
}

/** A point neither store can keep as it is (NaN, Infinity, a fractional ts). */
export function invalidPoint(point: SeriesPoint, what: string): RangeError {
  return new RangeError(`series point of ${point.agent_id} at ${point.ts}: ${what}`);
}

/** Throws unless the point's ts is integer epoch ms within Date's range. */
export function checkPointTs(point: SeriesPoint): void {
  if (!Number.isSafeInteger(point.ts) || Math.abs(point.ts) > 8.64e15) throw invalidPoint(point, "ts must be integer epoch ms within Date's range");
}

/** The widest tier's bucket: rows of a batch distinct at it are distinct in every tier. */
const COARSEST_MS = Math.max(...ROLLUP_TIERS.map((tier) => tier.ms));

/**
 * Whether a batch has at most one payload, and one custom point per name, per (agent, tier
 * bucket) in every tier: then each row is its own partial, and the tier upserts need no
 * grouping. Distinct at the coarsest tier means distinct in every finer one too.
 */
export function singlePerBucket(points: readonly SeriesPoint[]): { payloads: boolean; custom: boolean } {
  const payloadKeys = new Set<string>();
  const customKeys = new Set<string>();
  let customCount = 0;
  for (const point of points) {
    const bucket = floorTo(point.ts, COARSEST_MS);
    payloadKeys.add(`${point.agent_id}\u0000${bucket}`);
    for (const name in point.custom) {
      customKeys.add(`${point.agent_id}\u0000${name}\u0000${bucket}`);
      customCount++;
    }
  }
  return { payloads: payloadKeys.size === points.length, custom: customKeys.size === customCount };
}
