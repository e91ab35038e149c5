/**
 * Answers a SeriesQuery from an agent's segments, with the SQL stores' semantics exactly:
 *
 * - raw points: a row per payload in (agent, timestamp, arrival) order (group by none: timestamp,
 *   agent, arrival); a custom value of a payload is the largest of its agent's values of that name
 *   at that millisecond (the SQL stores match custom points to payloads by agent and timestamp);
 * - aggregations per epoch-aligned bucket (or one bucket stamped startMs), nulls ignored, buckets
 *   existing where payloads are (custom-only queries: where those custom values are);
 * - with a rollup plan (series-tiers.ts planRollup), whole tier buckets inside the range are read
 *   from the blocks' tiers, raw rows answer the ragged edges and the head (which keeps no tiers).
 */
import { CUSTOM_METRIC_PREFIX, isQueryableMetricName, isSeriesMetricName, type Aggregation } from '@agentmon/schema';
import { checkAnswerSize, type SeriesQuery, type SeriesRow } from '../ports.js';
import type { RollupPlan } from '../rollup-plan.js';
import { BucketAcc, bucketStart } from './aggregate.js';
import type { AgentSegment } from './segments.js';
import type { TierSpec } from './block.js';
import type { TierBuckets, TierColumn, TierTable } from './tiers.js';

/** A block's fleet tier: every chunk's tier merged, for a block none of whose rows are hidden. */
export interface FleetTier {
  block: number;
  table: TierTable;
  /** The block's first and last timestamp. */
  t0: number;
  t1: number;
}

/** What a query reads from the engine. */
export interface QuerySource {
  /** Every agent with visible rows, in byte order of their ids. */
  agents(): string[];
  /** An agent's visible segments, oldest arrival first. */
  segments(agentId: string): AgentSegment[];
  /** The agent's retention cut: its rows before it are gone. */
  cut(agentId: string): number;
  /** The fleet tiers of `spec` of the blocks whose every row is visible (the others read per agent). */
  fleetTiers?(spec: TierSpec): FleetTier[];
}

/** The metrics of a query: names deduplicated in order; refuses an unknown one or none. */
export function queryMetrics(q: SeriesQuery): string[] {
  const names = [...new Set(q.metrics)];
  for (const name of names) if (!isQueryableMetricName(name)) throw new RangeError(`unknown series metric: ${name}`);
  if (names.length === 0) throw new RangeError('a series query needs at least one metric');
  return names;
}

/** Code point order, which is the byte order of UTF-8 (SQLite's and PostgreSQL's C collation). */
export function compareIds(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i) as number;
    const y = b.codePointAt(i) as number;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** The agents a query covers, sorted. */
function queryAgents(source: QuerySource, q: SeriesQuery): string[] {
  if (q.agentIds === null) return source.agents();
  return [...new Set(q.agentIds)].sort(compareIds);
}

/** First index with ts[i] >= value in ts[0..n). */
function lowerBound(ts: Float64Array, n: number, value: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ts[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index with ts[i] > value. */
function upperBound(ts: Float64Array, n: number, value: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ts[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// ------------------------------------------------------------------ raw points

interface RawRow {
  agent: string;
  ts: number;
  /** Arrival rank within the agent (segment order, then row order). */
  rank: number;
  values: (number | null)[];
}

/** The agent's raw rows in the query's range; `before` rows of the answer come before them (for maxRows). */
function rawRowsOf(source: QuerySource, agent: string, q: SeriesQuery, metrics: readonly string[], before = 0): RawRow[] {
  const from = Math.max(q.startMs, source.cut(agent));
  const out: RawRow[] = [];
  let rank = 0;
  for (const seg of source.segments(agent)) {
    if (seg.t1 < from || seg.t0 > q.endMs) {
      rank += seg.rows;
      continue;
    }
    const ts = seg.ts();
    const lo = lowerBound(ts, seg.rows, from);
    const hi = upperBound(ts, seg.rows, q.endMs);
    // Counted before a row is built: an answer over the limit costs a search, not its rows.
    checkAnswerSize(q, before + out.length + hi - lo);
    const cols = metrics.map((m) => seg.column(m));
    for (let r = lo; r < hi; r++) {
      out.push({
        agent,
        ts: ts[r] as number,
        rank: rank + r,
        values: cols.map((c) => {
          const v = c ? (c[r] as number) : Number.NaN;
          return Number.isNaN(v) ? null : v;
        }),
      });
    }
    rank += seg.rows;
  }
  out.sort((a, b) => a.ts - b.ts || a.rank - b.rank);
  // A custom value is matched to payloads by agent and ms: every payload of the ms shows the largest.
  const customs = metrics.map((m, i) => (isSeriesMetricName(m) ? -1 : i)).filter((i) => i >= 0);
  if (customs.length > 0) {
    for (let start = 0; start < out.length; ) {
      let end = start + 1;
      while (end < out.length && (out[end] as RawRow).ts === (out[start] as RawRow).ts) end++;
      if (end - start > 1) {
        for (const i of customs) {
          let best: number | null = null;
          for (let k = start; k < end; k++) {
            const v = (out[k] as RawRow).values[i] ?? null;
            if (v !== null && (best === null || v > best)) best = v;
          }
          for (let k = start; k < end; k++) (out[k] as RawRow).values[i] = best;
        }
      }
      start = end;
    }
  }
  return out;
}

function toSeriesRow(row: RawRow, metrics: readonly string[], withAgent: boolean): SeriesRow {
  const values: Record<string, number | null> = {};
  metrics.forEach((m, i) => {
    values[m] = row.values[i] ?? null;
  });
  return { agent_id: withAgent ? row.agent : null, ts: row.ts, values };
}

function rawQuery(source: QuerySource, q: SeriesQuery, metrics: readonly string[]): SeriesRow[] {
  const agents = queryAgents(source, q);
  if (q.groupBy !== 'none') {
    const rows: SeriesRow[] = [];
    for (const agent of agents) for (const row of rawRowsOf(source, agent, q, metrics, rows.length)) rows.push(toSeriesRow(row, metrics, true));
    return rows;
  }
  const all: RawRow[] = [];
  for (const agent of agents) for (const row of rawRowsOf(source, agent, q, metrics, all.length)) all.push(row);
  all.sort((a, b) => a.ts - b.ts || compareIds(a.agent, b.agent) || a.rank - b.rank);
  return all.map((row) => toSeriesRow(row, metrics, true));
}

// ------------------------------------------------------------------ aggregations

/** Where a query's buckets go: one map of buckets per group (agent id, or '' for the fleet). */
class Groups {
  readonly byGroup = new Map<string, Map<number, BucketAcc>>();
  constructor(private readonly metrics: number) {}

  bucket(group: string, ts: number): BucketAcc {
    let buckets = this.byGroup.get(group);
    if (!buckets) {
      buckets = new Map();
      this.byGroup.set(group, buckets);
    }
    let acc = buckets.get(ts);
    if (!acc) {
      acc = new BucketAcc(this.metrics);
      buckets.set(ts, acc);
    }
    return acc;
  }
}

/** Adds raw rows [lo, hi) of a segment to their query buckets. */
function addRaw(groups: Groups, group: string, seg: AgentSegment, lo: number, hi: number, bucketOf: (ts: number) => number, cols: (Float64Array | null)[]): void {
  if (lo >= hi) return;
  const ts = seg.ts();
  let current = Number.NaN;
  let acc: BucketAcc | null = null;
  for (let r = lo; r < hi; r++) {
    const t = ts[r] as number;
    const b = bucketOf(t);
    if (b !== current || acc === null) {
      acc = groups.bucket(group, b);
      current = b;
    }
    acc.payloads++;
    for (let i = 0; i < cols.length; i++) {
      const c = cols[i];
      if (!c) continue;
      const v = c[r] as number;
      if (!Number.isNaN(v)) acc.add(i, v, t);
    }
  }
}

/** The tier buckets [from, to) a run of rows answers a query from; its rows outside them are read raw. */
interface TierSpan {
  from: number;
  to: number;
}

/**
 * The tier buckets a run of rows (a chunk, or a block's fleet tier) answers a query [start, end]
 * from: the query's whole buckets [from, to), widened to the buckets holding the run's first or
 * last rows when every row of the run is inside the query. A dashboard's "last 24 h" ends now, after
 * every stored row, so its ragged tail bucket comes from the tiers, not from decoding each agent's
 * chunk; a chunk that starts after the query starts needs no raw head either.
 */
function tierSpan(from: number, to: number, width: number, t0: number, t1: number, start: number, end: number): TierSpan {
  return {
    from: t0 >= start ? Math.min(from, bucketStart(t0, width)) : from,
    to: t1 <= end ? Math.max(to, bucketStart(t1, width) + width) : to,
  };
}

/** Adds a segment's rows in [start, span.from) and [span.to, end] (the edges its tier does not answer). */
function addRawEdges(
  groups: Groups,
  group: string,
  seg: AgentSegment,
  span: TierSpan,
  start: number,
  end: number,
  bucketOf: (ts: number) => number,
  ts: () => Float64Array,
  cols: () => (Float64Array | null)[],
): void {
  if (start < span.from && seg.t0 < span.from) addRaw(groups, group, seg, lowerBound(ts(), seg.rows, start), lowerBound(ts(), seg.rows, Math.min(span.from, end + 1)), bucketOf, cols());
  if (span.to <= end && seg.t1 >= span.to) addRaw(groups, group, seg, lowerBound(ts(), seg.rows, Math.max(span.to, start)), upperBound(ts(), seg.rows, end), bucketOf, cols());
}

/** Merges a tier's buckets in [from, to) into their query buckets. */
function addTierBuckets(
  groups: Groups,
  group: string,
  buckets: TierBuckets,
  column: (metric: string) => TierColumn | null,
  metrics: readonly string[],
  from: number,
  to: number,
  bucketOf: (ts: number) => number,
): void {
  const { starts, payloads } = buckets;
  const b0 = lowerBound(starts, starts.length, from);
  if (b0 >= starts.length || (starts[b0] as number) >= to) return;
  const cols = metrics.map(column);
  for (let b = b0; b < starts.length; b++) {
    const start = starts[b] as number;
    if (start >= to) break;
    const acc = groups.bucket(group, bucketOf(start));
    acc.payloads += payloads[b] as number;
    for (let i = 0; i < cols.length; i++) {
      const c = cols[i];
      if (c) acc.merge(i, c.n[b] as number, c.sum[b] as number, c.min[b] as number, c.max[b] as number, c.last[b] as number, c.lastTs[b] as number);
    }
  }
}

function aggregateQuery(source: QuerySource, q: SeriesQuery, metrics: readonly string[], plan: RollupPlan | null, spec: TierSpec | null): SeriesRow[] {
  const aggregation: Aggregation = q.aggregation ?? 'avg';
  const interval = q.intervalMs;
  if (interval !== null && (!Number.isSafeInteger(interval) || interval <= 0)) throw new RangeError(`invalid interval: ${interval}`);
  const bucketOf = interval === null ? () => q.startMs : (ts: number) => bucketStart(ts, interval);
  const groups = new Groups(metrics.length);
  const perAgent = q.groupBy !== 'none';
  // The whole fleet merged: blocks whose fleet tier holds every row of theirs answer their whole
  // tier buckets in one read; their agents' chunks are read only for the ragged edges.
  const fleetCovered = new Map<number, TierSpan>();
  if (!perAgent && q.agentIds === null && plan && spec && source.fleetTiers) {
    for (const fleet of source.fleetTiers(spec)) {
      const span = tierSpan(plan.from, plan.to, spec.ms, fleet.t0, fleet.t1, q.startMs, q.endMs);
      fleetCovered.set(fleet.block, span);
      addTierBuckets(groups, '', fleet.table.buckets, (m) => fleet.table.cols.get(m) ?? null, metrics, span.from, span.to, bucketOf);
    }
  }
  for (const agent of queryAgents(source, q)) {
    const group = perAgent ? agent : '';
    const cut = source.cut(agent);
    const from = Math.max(q.startMs, cut);
    for (const seg of source.segments(agent)) {
      if (seg.t1 < from || seg.t0 > q.endMs) continue;
      const cols = (): (Float64Array | null)[] => metrics.map((m) => seg.column(m));
      const ts = (): Float64Array => seg.ts();
      const covered = seg.block !== null ? fleetCovered.get(seg.block) : undefined;
      if (covered) {
        // The fleet tier has this chunk's rows in [covered.from, covered.to): only its rows outside them.
        addRawEdges(groups, group, seg, covered, from, q.endMs, bucketOf, ts, cols);
        continue;
      }
      if (!plan || !spec) {
        addRaw(groups, group, seg, lowerBound(ts(), seg.rows, from), upperBound(ts(), seg.rows, q.endMs), bucketOf, cols());
        continue;
      }
      // Tier buckets from `tierFrom` on are whole and after the cut; before it, raw rows.
      const width = spec.ms;
      const aligned = cut <= plan.from ? plan.from : bucketStart(cut + width - 1, width);
      const tierFrom = Math.min(Math.max(aligned, plan.from), plan.to);
      const span = tierSpan(tierFrom, plan.to, width, seg.t0, seg.t1, from, q.endMs);
      const tier = seg.t1 >= span.from && seg.t0 < span.to ? seg.tier(spec) : null;
      if (!tier) {
        addRaw(groups, group, seg, lowerBound(ts(), seg.rows, from), upperBound(ts(), seg.rows, q.endMs), bucketOf, cols());
        continue;
      }
      addRawEdges(groups, group, seg, span, from, q.endMs, bucketOf, ts, cols);
      addTierBuckets(groups, group, tier.buckets, (m) => tier.column(m), metrics, span.from, span.to, bucketOf);
    }
  }
  const withBuiltins = metrics.some((m) => isSeriesMetricName(m));
  const rows: SeriesRow[] = [];
  const keys = [...groups.byGroup.keys()].sort(compareIds);
  for (const key of keys) {
    const buckets = groups.byGroup.get(key) as Map<number, BucketAcc>;
    for (const ts of [...buckets.keys()].sort((a, b) => a - b)) {
      const acc = buckets.get(ts) as BucketAcc;
      if (withBuiltins ? acc.payloads === 0 : !acc.hasValues()) continue;
      const values: Record<string, number | null> = {};
      metrics.forEach((m, i) => {
        values[m] = acc.value(i, aggregation);
      });
      rows.push({ agent_id: perAgent ? key : null, ts, values });
    }
  }
  return rows;
}

/** Answers `q` from `source`; `plan` (aggregations only) reads the tier `spec` for [plan.from, plan.to). */
export function runQuery(source: QuerySource, q: SeriesQuery, plan: RollupPlan | null, spec: TierSpec | null): SeriesRow[] {
  const metrics = queryMetrics(q);
  if (q.agentIds !== null && q.agentIds.length === 0) return [];
  if (q.aggregation === null && q.intervalMs === null) return rawQuery(source, q, metrics);
  return aggregateQuery(source, q, metrics, plan, spec);
}

/** The column name a custom key is stored under. */
export function customColumn(key: string): string {
  return CUSTOM_METRIC_PREFIX + key;
}
