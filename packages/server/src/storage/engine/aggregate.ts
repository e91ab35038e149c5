/**
 * Partial aggregates: what a bucket of one metric keeps so that any of the query aggregations can
 * be answered from it and partials of the same bucket can be merged in any order (raw rows, tier
 * buckets of several blocks, several agents). They are the same six numbers the SQL tiers keep:
 * count of values, sum, min, max, and the last value with its timestamp (ties on the timestamp go
 * to the larger value, as the SQL stores break them).
 */
import type { Aggregation } from '@agentmon/schema';

/** One query bucket of one group (an agent, or the fleet), over the query's metrics. */
export class BucketAcc {
  /** Payloads that fell in the bucket (rows exist only for buckets with payloads, unless the query is custom-only). */
  payloads = 0;
  readonly n: Float64Array;
  readonly sum: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;
  readonly last: Float64Array;
  readonly lastTs: Float64Array;

  constructor(metrics: number) {
    this.n = new Float64Array(metrics);
    this.sum = new Float64Array(metrics);
    this.min = new Float64Array(metrics).fill(Number.POSITIVE_INFINITY);
    this.max = new Float64Array(metrics).fill(Number.NEGATIVE_INFINITY);
    this.last = new Float64Array(metrics);
    this.lastTs = new Float64Array(metrics).fill(Number.NEGATIVE_INFINITY);
  }

  /** Adds one value of metric `i` at `ts`. */
  add(i: number, value: number, ts: number): void {
    this.n[i] = (this.n[i] as number) + 1;
    this.sum[i] = (this.sum[i] as number) + value;
    if (value < (this.min[i] as number)) this.min[i] = value;
    if (value > (this.max[i] as number)) this.max[i] = value;
    const lt = this.lastTs[i] as number;
    if (ts > lt || (ts === lt && value > (this.last[i] as number))) {
      this.last[i] = value;
      this.lastTs[i] = ts;
    }
  }

  /** Merges a partial of metric `i` (n values with their sum, min, max, last and its ts). */
  merge(i: number, n: number, sum: number, min: number, max: number, last: number, lastTs: number): void {
    if (n <= 0) return;
    this.n[i] = (this.n[i] as number) + n;
    this.sum[i] = (this.sum[i] as number) + sum;
    if (min < (this.min[i] as number)) this.min[i] = min;
    if (max > (this.max[i] as number)) this.max[i] = max;
    const lt = this.lastTs[i] as number;
    if (lastTs > lt || (lastTs === lt && last > (this.last[i] as number))) {
      this.last[i] = last;
      this.lastTs[i] = lastTs;
    }
  }

  /** True when some metric has a value (what makes a custom-only bucket exist). */
  hasValues(): boolean {
    for (let i = 0; i < this.n.length; i++) if ((this.n[i] as number) > 0) return true;
    return false;
  }

  /** The answer of metric `i` under `aggregation`: null for a bucket without values (count: 0). */
  value(i: number, aggregation: Aggregation): number | null {
    const n = this.n[i] as number;
    if (aggregation === 'count') return n;
    if (n === 0) return null;
    switch (aggregation) {
      case 'avg':
        return (this.sum[i] as number) / n;
      case 'sum':
        return this.sum[i] as number;
      case 'min':
        return this.min[i] as number;
      case 'max':
        return this.max[i] as number;
      case 'last':
        return this.last[i] as number;
    }
  }
}

/** The start of the `width` bucket holding `ms`, exact for negative ms too. */
export function bucketStart(ms: number, width: number): number {
  return ms - (((ms % width) + width) % width);
}
