/**
 * Cumulative OTLP sums and histograms turned into per-interval increments: the previous point of
 * each series is kept in memory and subtracted. A counter reset (a lower value, or a new start
 * time) starts a new run: the point's value is what accumulated since its start, never a negative.
 * Delta points already are increments.
 */
import type { DataPoint, Temporality } from './model.js';

/** What a series added over one interval. */
export interface Increment {
  /** Sum increment (sums), or the histogram's sum increment (null when the histogram has no sum). */
  value: number | null;
  /** Histogram measurements in the interval (0 for sums). */
  count: number;
  /** Length of the interval, ms (0 when unknown). */
  intervalMs: number;
}

interface Previous {
  startMs: number | null;
  timeMs: number;
  value: number;
  count: number;
  sum: number | null;
}

/** Options of the tracker. */
export interface DeltaOptions {
  /** Most series kept; the least recently updated go first. */
  maxSeries?: number;
  /**
   * A cumulative series seen for the first time counts from its start time only when that start is
   * this recent: a run that began long before (agentmon restarted, or the exporter is old) gives a
   * baseline only, so one interval does not receive the whole history.
   */
  maxFirstIntervalMs?: number;
}

/** Per-series memory of the previous cumulative point. */
export class CumulativeDeltas {
  private readonly previous = new Map<string, Previous>();
  private readonly maxSeries: number;
  private readonly maxFirstIntervalMs: number;

  constructor({ maxSeries = 100_000, maxFirstIntervalMs = 5 * 60_000 }: DeltaOptions = {}) {
    this.maxSeries = maxSeries;
    this.maxFirstIntervalMs = maxFirstIntervalMs;
  }

  /** Series currently remembered. */
  get size(): number {
    return this.previous.size;
  }

  /**
   * The increment a sum point (value) or histogram point (count and sum) brings, or null when it
   * brings none yet (the first point of an old cumulative run, or a point older than the last one).
   */
  step(seriesKey: string, temporality: Temporality, point: DataPoint): Increment | null {
    const value = point.value ?? point.sum ?? 0;
    const count = point.count ?? 0;
    const interval = (from: number | null) => (from === null || from > point.timeMs ? 0 : point.timeMs - from);
    if (temporality !== 'cumulative') {
      return { value: point.value ?? point.sum, count, intervalMs: interval(point.startMs) };
    }
    const prev = this.previous.get(seriesKey);
    if (prev && point.timeMs <= prev.timeMs && point.startMs === prev.startMs) return null;
    this.remember(seriesKey, { startMs: point.startMs, timeMs: point.timeMs, value, count, sum: point.sum });
    const restarted =
      prev !== undefined &&
      ((point.startMs !== null && prev.startMs !== null && point.startMs > prev.startMs) || value < prev.value || count < prev.count);
    if (prev === undefined || restarted) {
      // A new run: what it holds accumulated since its start, if that start is known and recent.
      const since = point.startMs;
      if (prev === undefined) {
        const fresh = since !== null && point.timeMs - since <= this.maxFirstIntervalMs;
        return fresh ? { value: point.value ?? point.sum, count, intervalMs: interval(since) } : null;
      }
      // The new run's start when it began after the previous point, else the previous point.
      return { value: point.value ?? point.sum, count, intervalMs: interval(since !== null && since >= prev.timeMs ? since : prev.timeMs) };
    }
    return {
      value: point.value !== null ? point.value - prev.value : point.sum !== null && prev.sum !== null ? point.sum - prev.sum : null,
      count: count - prev.count,
      intervalMs: interval(prev.timeMs),
    };
  }

  /** Forgets the series of an agent (when it is deregistered or its memory is dropped). */
  forget(prefix: string): void {
    for (const key of this.previous.keys()) if (key.startsWith(prefix)) this.previous.delete(key);
  }

  private remember(key: string, prev: Previous): void {
    // Re-inserting moves the key to the end: the map's order is least recently updated first.
    this.previous.delete(key);
    this.previous.set(key, prev);
    if (this.previous.size > this.maxSeries) {
      const oldest = this.previous.keys().next();
      if (!oldest.done) this.previous.delete(oldest.value);
    }
  }
}
