/**
 * Rollup tiers of the series stores, and the query planner that picks one. Driver-free and shared
 * by both SQL adapters.
 *
 * A tier of width W keeps, per (agent, W-bucket), the payload count and for every built-in column
 * the count of non-null values, their sum, min, max, and the last non-null value with its ts (ties
 * on ts go to the larger value, as the raw path breaks them), split over three tables (TIER_PARTS);
 * per (agent, custom name, W-bucket) the same for custom points, in one table. Tables are
 * `agent_metrics_<tier>[_minmax|_last]` and `agent_custom_metrics_<tier>`, bucket in epoch ms.
 * Tiers are maintained in the insert transaction and trimmed (or, for the
 * bucket a retention cut runs through, recomputed from raw) by deleteOlderThan, so a tier always
 * equals the rollup of the raw rows it covers. Rollups therefore live exactly as long as the raw
 * rows: one retention for every tier. (Keeping coarse tiers longer than raw would need the planner
 * to read tiers past the oldest raw row, and deleteOlderThan to leave those tiers alone.)
 *
 * An aggregated query reads the coarsest tier whose width divides its interval (any tier, without
 * an interval), for the whole tier buckets inside [startMs, endMs], and raw rows for the ragged
 * edges outside them; both feed the same per-bucket combination (avg = sum of sums / sum of counts,
 * last = value with the largest ts). Raw points (no aggregation, no interval) always read raw.
 */
import type { SeriesQuery } from './ports.js';

/** A rollup tier: a table name part and its bucket width. */
export interface RollupTier {
  /** In table names: `agent_metrics_<name>`, `agent_custom_metrics_<name>`. */
  name: string;
  ms: number;
}

/**
 * The tiers migration 2 creates, finest first. 5 min, not 1 min, is the finest: a fleet that
 * reports once a minute (or less often) has one payload per minute, so a 1-min tier would hold as
 * many rows as the raw table, each wider, for nothing; 5, 10, 15 and 30 min buckets (the
 * dashboard's 6 h and 24 h trends, the usual 24 h query) are multiples of 5 min, and 1 h and
 * longer of 1 h. Every tier costs ingest a multi-row upsert per part per batch. Adding one means
 * a new migration creating and backfilling its tables (as migration 2 does for
 * MIGRATION_2_TIERS), then appending it here.
 */
export const ROLLUP_TIERS: readonly RollupTier[] = [
  { name: '5m', ms: 300_000 },
  { name: '1h', ms: 3_600_000 },
];

/** The tiers migration 2 creates and backfills: frozen, whatever ROLLUP_TIERS becomes. */
export const MIGRATION_2_TIERS: readonly RollupTier[] = ROLLUP_TIERS.slice(0, 2);

/** The part of a query's range a tier answers: whole tier buckets [from, to); raw rows answer the rest. */
export interface RollupPlan {
  tier: RollupTier;
  /** First tier bucket read (ms, inclusive) and the end of the last one (exclusive). */
  from: number;
  to: number;
  /** Raw rows read before `from` ([startMs, from)) and from `to` on ([to, endMs]). */
  rawHead: boolean;
  rawTail: boolean;
}

/** What a query read, as the adapters report it (`lastPlan()`): raw rows only, or a tier. */
export type SeriesPlan = { source: 'raw' } | { source: 'rollup'; tier: string; from: number; to: number; rawHead: boolean; rawTail: boolean };

/** The start of the W-bucket holding `ms`, exact for negative ms too. */
export function floorTo(ms: number, width: number): number {
  return ms - (((ms % width) + width) % width);
}

/**
 * The tier that answers `q`, or null for raw rows: the coarsest tier whose width divides the
 * interval (any, without one) and whose whole buckets inside the range cover at least half of it,
 * so the raw edges stay small beside the part the tier answers.
 */
export function planRollup(q: SeriesQuery, tiers: readonly RollupTier[] = ROLLUP_TIERS): RollupPlan | null {
  if (q.aggregation === null && q.intervalMs === null) return null;
  if (q.agentIds !== null && q.agentIds.length === 0) return null;
  if (!Number.isSafeInteger(q.startMs) || !Number.isSafeInteger(q.endMs) || q.endMs < q.startMs) return null;
  if (q.intervalMs !== null && (!Number.isSafeInteger(q.intervalMs) || q.intervalMs <= 0)) return null;
  const span = q.endMs - q.startMs + 1;
  const coarsestFirst = [...tiers].sort((a, b) => b.ms - a.ms);
  for (const tier of coarsestFirst) {
    if (q.intervalMs !== null && q.intervalMs % tier.ms !== 0) continue;
    const from = floorTo(q.startMs + tier.ms - 1, tier.ms);
    const to = floorTo(q.endMs + 1, tier.ms);
    if (to <= from || (to - from) * 2 < span) continue;
    return { tier, from, to, rawHead: q.startMs < from, rawTail: to <= q.endMs };
  }
  return null;
}

/** The plan as `lastPlan()` reports it. */
export function describePlan(plan: RollupPlan | null): SeriesPlan {
  if (plan === null) return { source: 'raw' };
  return { source: 'rollup', tier: plan.tier.name, from: plan.from, to: plan.to, rawHead: plan.rawHead, rawTail: plan.rawTail };
}

/** An aggregate a tier keeps per value: count of non-null values, sum, min, max, last value, its ts. */
export type TierAggregate = 'n' | 'sum' | 'min' | 'max' | 'last' | 'lastTs';

/**
 * A part of a tier: a table of its own holding some of the aggregates of every built-in column.
 * A row of all six aggregates of 27 columns is ~1.3 kB; a query reads one part, a third of that
 * (avg, sum and count the first, min and max the second, last the third), which is what makes a
 * 5-min tier of once-a-minute payloads (a fifth of the rows) pay off. Every part has a row for
 * every (agent, bucket) with payloads, so any part tells which buckets exist.
 */
export interface TierPart {
  /** Table name suffix after `agent_metrics_<tier>`. */
  suffix: string;
  aggregates: readonly TierAggregate[];
}

export const TIER_PARTS: readonly TierPart[] = [
  // The first part also keeps the payload count.
  { suffix: '', aggregates: ['n', 'sum'] },
  { suffix: '_minmax', aggregates: ['min', 'max'] },
  { suffix: '_last', aggregates: ['last', 'lastTs'] },
];

/** The tier part holding an aggregate. */
export function partOf(aggregate: TierAggregate): TierPart {
  const part = TIER_PARTS.find((p) => p.aggregates.includes(aggregate));
  if (part === undefined) throw new Error(`no tier part keeps ${aggregate}`);
  return part;
}

/** Column of an aggregate of a built-in column (or of `value`, in custom tiers). */
export function tierColumn(column: string, aggregate: TierAggregate): string {
  return `${column}_${aggregate === 'lastTs' ? 'last_ts' : aggregate}`;
}

/** Table of a part of a tier. */
export function partTable(tier: RollupTier, part: TierPart): string {
  return `agent_metrics_${tier.name}${part.suffix}`;
}

/** Table of a tier's custom points: one table, all aggregates (it is narrow). */
export function customTable(tier: RollupTier): string {
  return `agent_custom_metrics_${tier.name}`;
}

/** Every table of a tier. */
export function tierTables(tier: RollupTier): string[] {
  return [...TIER_PARTS.map((part) => partTable(tier, part)), customTable(tier)];
}
