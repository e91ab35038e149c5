/**
 * Turning metrics query rows into chart series: a regular time grid, gaps where an agent sent
 * nothing for a while (null) but joined lines across a single missed bucket (undefined), and
 * per-interval task counts whether agents report tasks per payload or as running totals.
 */
import type { MetricsRow } from './api.js';

/** The agent page's time ranges. */
export const RANGES = { '1h': 3600, '6h': 6 * 3600, '24h': 24 * 3600, '7d': 7 * 86_400 } as const;
/** A time range key. */
export type RangeKey = keyof typeof RANGES;
/** The ranges as the options of a segmented switch. */
export const RANGE_OPTIONS = (Object.keys(RANGES) as RangeKey[]).map((k) => ({ value: k, label: k }));

/** The range closest to DashboardConfig.default_time_range_hours. */
export function defaultRange(hours: number): RangeKey {
  if (hours <= 1) return '1h';
  if (hours <= 6) return '6h';
  if (hours <= 24) return '24h';
  return '7d';
}

const STEPS = [10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400];

/** A bucket width giving at most ~`target` points and no finer than the agent reports. */
export function bucketSeconds(spanSeconds: number, reportEverySeconds: number, target = 160): number {
  const ideal = Math.max(spanSeconds / target, reportEverySeconds);
  return STEPS.find((s) => s >= ideal) ?? (STEPS.at(-1) as number);
}

/** 90 -> "90s", 300 -> "5m", 3600 -> "1h", 86400 -> "1d" (the query's interval syntax). */
export function intervalText(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** "5 min", "1 h": a bucket width for people. */
export function intervalLabel(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** Series on a shared grid of bucket starts (epoch seconds). */
export interface GridSeries {
  x: number[];
  values: Record<string, (number | null | undefined)[]>;
}

/** The grid of bucket starts covering [start, end] (seconds). */
export function grid(start: number, end: number, bucket: number): number[] {
  const xs: number[] = [];
  for (let t = Math.floor(start / bucket) * bucket; t <= end; t += bucket) xs.push(t);
  return xs;
}

/**
 * Places each row's values on the grid. Runs of up to `joinMax` empty buckets between two values
 * become undefined (the line joins across them); longer runs stay null (a visible gap: no data).
 * With `joinMax` > 0 a series whose points come sparser than the grid (history reported less often
 * than the agent reports now, a zoom finer than the data) joins across up to three of its own
 * steps, so it draws as a line rather than as isolated dots or nothing.
 */
export function toGrid(rows: MetricsRow[], names: readonly string[], xs: number[], bucket: number, joinMax: number): GridSeries {
  const index = new Map<number, number>();
  xs.forEach((x, i) => index.set(x, i));
  const first = xs[0] ?? 0;
  const values: GridSeries['values'] = {};
  for (const n of names) values[n] = new Array<number | null | undefined>(xs.length).fill(null);
  for (const row of rows) {
    const t = Math.floor(Date.parse(row.timestamp) / 1000);
    const i = index.get(t) ?? Math.floor((t - first) / bucket);
    if (i < 0 || i >= xs.length) continue;
    for (const n of names) {
      const v = row[n];
      if (typeof v === 'number' && Number.isFinite(v)) (values[n] as (number | null | undefined)[])[i] = v;
    }
  }
  for (const n of names) {
    const vs = values[n] as (number | null | undefined)[];
    joinShortGaps(vs, joinMax > 0 ? Math.max(joinMax, 3 * medianStep(vs) - 1) : 0);
  }
  return { x: xs, values };
}

/** The median distance, in buckets, between consecutive values of a series (1 when it has fewer than two). */
export function medianStep(vs: readonly (number | null | undefined)[]): number {
  const steps: number[] = [];
  let last = -1;
  for (let i = 0; i < vs.length; i++) {
    if (typeof vs[i] !== 'number') continue;
    if (last >= 0) steps.push(i - last);
    last = i;
  }
  if (steps.length === 0) return 1;
  steps.sort((a, b) => a - b);
  return steps[Math.floor(steps.length / 2)] as number;
}

/** Runs of buckets with no value in any series (null: a silence, not a joined miss), as [first, last] index pairs. */
export function gapRuns(series: readonly (readonly (number | null | undefined)[])[], length: number): [number, number][] {
  const runs: [number, number][] = [];
  let start = -1;
  let seen = false;
  for (let i = 0; i <= length; i++) {
    const silent = i < length && series.every((vs) => vs[i] === null);
    const any = i < length && series.some((vs) => typeof vs[i] === 'number');
    if (silent && seen && start < 0) start = i;
    if (!silent && start >= 0) {
      runs.push([start, i - 1]);
      start = -1;
    }
    if (any) seen = true;
  }
  return runs;
}

function joinShortGaps(vs: (number | null | undefined)[], joinMax: number): void {
  let last = -1;
  for (let i = 0; i < vs.length; i++) {
    if (typeof vs[i] !== 'number') continue;
    if (last >= 0 && i - last - 1 <= joinMax) for (let j = last + 1; j < i; j++) vs[j] = undefined;
    last = i;
  }
}

/** True when a series carries at least one value. */
export function hasData(vs: (number | null | undefined)[] | undefined): boolean {
  return !!vs && vs.some((v) => typeof v === 'number');
}

/**
 * Tasks per bucket. Agents may report tasks done since the last payload (sum them) or a running
 * total since they started (take the rise of the bucket maxima, a drop being a restart). Maxima
 * that rise at almost every step and fall at most rarely are read as a running total.
 */
export function perInterval(sums: (number | null | undefined)[], maxima: (number | null | undefined)[]): { values: (number | null)[]; cumulative: boolean } {
  const points = maxima.filter((v): v is number => typeof v === 'number');
  let drops = 0;
  let rises = 0;
  for (let i = 1; i < points.length; i++) {
    const d = (points[i] as number) - (points[i - 1] as number);
    if (d < 0) drops++;
    else if (d > 0) rises++;
  }
  const steps = points.length - 1;
  const cumulative = points.length >= 3 && rises >= 0.8 * steps && drops <= Math.max(1, Math.floor(steps * 0.02));
  if (!cumulative) return { values: sums.map((v) => (typeof v === 'number' ? v : null)), cumulative };
  const values: (number | null)[] = [];
  let prev: number | null = null;
  for (const v of maxima) {
    if (typeof v !== 'number') {
      values.push(null);
      continue;
    }
    values.push(prev === null ? null : v >= prev ? v - prev : v);
    prev = v;
  }
  return { values, cumulative };
}
