/**
 * Rollup tier tables of the SQL series store (PostgreSQL); the tiers and the planner are
 * rollup-plan.ts. Driver-free.
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
import { ROLLUP_TIERS, type RollupTier } from '../rollup-plan.js';

/** The tiers migration 2 creates and backfills: frozen, whatever ROLLUP_TIERS becomes. */
export const MIGRATION_2_TIERS: readonly RollupTier[] = ROLLUP_TIERS.slice(0, 2);

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
