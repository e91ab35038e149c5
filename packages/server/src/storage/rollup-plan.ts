/**
 * Rollup tiers and the query planner that picks one, shared by every store with tiers (the series
 * engine, PostgreSQL): an aggregated query reads the coarsest tier whose width divides its interval
 * (any tier, without an interval), for the whole tier buckets inside [startMs, endMs], and raw rows
 * for the ragged edges outside them; both feed the same per-bucket combination (avg = sum of sums /
 * sum of counts, last = value with the largest ts). Raw points (no aggregation, no interval) always
 * read raw. A tier keeps per bucket the payload count and, per value, the count of non-null values,
 * their sum, min, max, and the last non-null value with its ts (ties on ts to the larger value).
 */
import type { SeriesQuery } from './ports.js';

/** A rollup tier: its name (in the SQL stores' table names, `agent_metrics_<name>`) and its bucket width. */
export interface RollupTier {
  name: string;
  ms: number;
}

/**
 * The tiers, finest first. 5 min, not 1 min, is the finest: a fleet that reports once a minute (or
 * less often) has one payload per minute, so a 1-min tier would hold as many entries as there are
 * payloads, each wider, for nothing; 5, 10, 15 and 30 min buckets (the dashboard's 6 h and 24 h
 * trends, the usual 24 h query) are multiples of 5 min, and 1 h and longer of 1 h. Adding one means,
 * in PostgreSQL, a migration creating and backfilling its tables (as migration 2 does for
 * MIGRATION_2_TIERS), and in the series engine nothing: merged blocks get every tier in the list.
 */
export const ROLLUP_TIERS: readonly RollupTier[] = [
  { name: '5m', ms: 300_000 },
  { name: '1h', ms: 3_600_000 },
];

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
