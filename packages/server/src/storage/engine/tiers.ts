/**
 * Rollup tiers of the series engine: per bucket of a tier's width (series-tiers.ts ROLLUP_TIERS:
 * 5 min, 1 h), the payload count and, per column, the partial aggregates of aggregate.ts. A block
 * keeps them per chunk (one agent) and for the whole block (the fleet), computed when the block is
 * built, so a day's chart of an agent or of the fleet reads hundreds of values instead of every
 * payload. Sums of decimal columns are exact (the sum of the integer mantissas, divided once), so
 * they stay short decimals and cost the tier a few bytes a bucket.
 */
import { bucketStart } from './aggregate.js';
import { ByteReader, ByteWriter, CorruptData } from './bytes.js';
import { decodeTimestamps, decodeValues, encodeTimestamps, encodeValues, decimalDigits } from './codec.js';

/** The partials of one column over a tier's buckets (arrays parallel to TierBuckets.starts). */
export interface TierColumn {
  n: Float64Array;
  sum: Float64Array;
  min: Float64Array;
  max: Float64Array;
  last: Float64Array;
  lastTs: Float64Array;
}

/** The buckets of a tier that hold payloads: starts (ascending) and payload counts. */
export interface TierBuckets {
  starts: Float64Array;
  payloads: Float64Array;
}

/** A tier of a chunk or a block: its buckets and the partials of every column. */
export interface TierTable {
  buckets: TierBuckets;
  cols: Map<string, TierColumn>;
}

function emptyColumn(size: number): TierColumn {
  return {
    n: new Float64Array(size),
    sum: new Float64Array(size),
    min: new Float64Array(size).fill(Number.POSITIVE_INFINITY),
    max: new Float64Array(size).fill(Number.NEGATIVE_INFINITY),
    last: new Float64Array(size),
    lastTs: new Float64Array(size).fill(Number.NEGATIVE_INFINITY),
  };
}

const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

/**
 * The tier of width `width` of rows sorted by timestamp (`ts[0..n)`, columns NaN where absent).
 * A decimal column's bucket sums are computed on integer mantissas (exact), others in doubles.
 */
export function computeTier(ts: Float64Array, n: number, columns: ReadonlyMap<string, Float64Array>, width: number): TierTable {
  const starts: number[] = [];
  const payloads: number[] = [];
  const bucketOf = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const b = bucketStart(ts[r] as number, width);
    if (starts.length === 0 || starts[starts.length - 1] !== b) {
      starts.push(b);
      payloads.push(0);
    }
    const idx = starts.length - 1;
    payloads[idx] = (payloads[idx] as number) + 1;
    bucketOf[r] = idx;
  }
  const size = starts.length;
  const cols = new Map<string, TierColumn>();
  for (const [name, values] of columns) {
    const col = emptyColumn(size);
    // The column's common decimal exponent, when every value has one (as the codec would find).
    let k = 0;
    for (let r = 0; r < n && k >= 0; r++) {
      const v = values[r] as number;
      if (Number.isNaN(v)) continue;
      const d = decimalDigits(v);
      k = d < 0 ? -1 : Math.max(k, d);
    }
    const p = k >= 0 ? (POW10[k] as number) : 1;
    const mantissaSums = k >= 0 ? new Float64Array(size) : null;
    let any = false;
    for (let r = 0; r < n; r++) {
      const v = values[r] as number;
      if (Number.isNaN(v)) continue;
      any = true;
      const b = bucketOf[r] as number;
      col.n[b] = (col.n[b] as number) + 1;
      col.sum[b] = (col.sum[b] as number) + v;
      if (mantissaSums) mantissaSums[b] = (mantissaSums[b] as number) + Math.round(v * p);
      if (v < (col.min[b] as number)) col.min[b] = v;
      if (v > (col.max[b] as number)) col.max[b] = v;
      const t = ts[r] as number;
      const lt = col.lastTs[b] as number;
      if (t > lt || (t === lt && v > (col.last[b] as number))) {
        col.last[b] = v;
        col.lastTs[b] = t;
      }
    }
    if (!any) continue;
    if (mantissaSums) {
      for (let b = 0; b < size; b++) {
        const s = mantissaSums[b] as number;
        // Exact while the integer sum stays below 2^53; past it, the double sum stands.
        if ((col.n[b] as number) > 0 && Math.abs(s) < Number.MAX_SAFE_INTEGER) col.sum[b] = s / p;
      }
    }
    cols.set(name, col);
  }
  return { buckets: { starts: Float64Array.from(starts), payloads: Float64Array.from(payloads) }, cols };
}

/** Tier buckets as stored: count, starts as bucket numbers (start / width), payload counts. */
export function encodeTierBuckets(buckets: TierBuckets, width: number, out: ByteWriter): void {
  const size = buckets.starts.length;
  out.uvarint(size);
  const numbers = new Float64Array(size);
  for (let b = 0; b < size; b++) numbers[b] = (buckets.starts[b] as number) / width;
  encodeTimestamps(numbers, size, out);
  for (let b = 0; b < size; b++) out.uvarint(buckets.payloads[b] as number);
}

export function decodeTierBuckets(r: ByteReader, width: number): TierBuckets {
  const size = r.uvarint();
  const starts = new Float64Array(size);
  decodeTimestamps(r, size, starts);
  for (let b = 0; b < size; b++) starts[b] = (starts[b] as number) * width;
  const payloads = new Float64Array(size);
  for (let b = 0; b < size; b++) payloads[b] = r.uvarint();
  return { starts, payloads };
}

/**
 * A tier column as stored: per bucket how many payloads lack a value (0 for a column every payload
 * has), then sum, min, max and last of the buckets with values, then each last value's timestamp
 * as its distance from the bucket's end, in first differences (steady reporting: zeros).
 */
export function encodeTierColumn(col: TierColumn, buckets: TierBuckets, width: number, out: ByteWriter): void {
  const size = buckets.starts.length;
  let filled = 0;
  for (let b = 0; b < size; b++) {
    const n = col.n[b] as number;
    out.uvarint((buckets.payloads[b] as number) - n);
    if (n > 0) filled++;
  }
  const dense = (source: Float64Array): Float64Array => {
    const d = new Float64Array(filled);
    let j = 0;
    for (let b = 0; b < size; b++) if ((col.n[b] as number) > 0) d[j++] = source[b] as number;
    return d;
  };
  encodeValues(dense(col.sum), filled, out);
  encodeValues(dense(col.min), filled, out);
  encodeValues(dense(col.max), filled, out);
  encodeValues(dense(col.last), filled, out);
  let prev = 0;
  for (let b = 0; b < size; b++) {
    if ((col.n[b] as number) === 0) continue;
    const distance = (buckets.starts[b] as number) + width - (col.lastTs[b] as number);
    out.svarint(distance - prev);
    prev = distance;
  }
}

export function decodeTierColumn(r: ByteReader, buckets: TierBuckets, width: number): TierColumn {
  const size = buckets.starts.length;
  const col = emptyColumn(size);
  let filled = 0;
  for (let b = 0; b < size; b++) {
    const missing = r.uvarint();
    const n = (buckets.payloads[b] as number) - missing;
    if (n < 0) throw new CorruptData('tier column has more values than payloads');
    col.n[b] = n;
    if (n > 0) filled++;
  }
  const dense = new Float64Array(filled);
  const spread = (target: Float64Array): void => {
    decodeValues(r, filled, dense);
    let j = 0;
    for (let b = 0; b < size; b++) if ((col.n[b] as number) > 0) target[b] = dense[j++] as number;
  };
  spread(col.sum);
  spread(col.min);
  spread(col.max);
  spread(col.last);
  let distance = 0;
  for (let b = 0; b < size; b++) {
    if ((col.n[b] as number) === 0) {
      col.sum[b] = 0;
      col.min[b] = Number.POSITIVE_INFINITY;
      col.max[b] = Number.NEGATIVE_INFINITY;
      col.last[b] = 0;
      continue;
    }
    distance += r.svarint();
    col.lastTs[b] = (buckets.starts[b] as number) + width - distance;
  }
  return col;
}

/** Merges tiers of several chunks into one (the fleet tier of a block). */
export class TierMerger {
  private readonly buckets = new Map<number, { payloads: number; cols: Map<string, number[]> }>();

  add(table: TierTable): void {
    const { starts, payloads } = table.buckets;
    for (let b = 0; b < starts.length; b++) {
      const start = starts[b] as number;
      let entry = this.buckets.get(start);
      if (!entry) {
        entry = { payloads: 0, cols: new Map() };
        this.buckets.set(start, entry);
      }
      entry.payloads += payloads[b] as number;
      for (const [name, col] of table.cols) {
        const n = col.n[b] as number;
        if (n === 0) continue;
        const acc = entry.cols.get(name);
        const [sum, min, max, last, lastTs] = [col.sum[b] as number, col.min[b] as number, col.max[b] as number, col.last[b] as number, col.lastTs[b] as number];
        if (!acc) {
          entry.cols.set(name, [n, sum, min, max, last, lastTs]);
          continue;
        }
        acc[0] = (acc[0] as number) + n;
        acc[1] = (acc[1] as number) + sum;
        if (min < (acc[2] as number)) acc[2] = min;
        if (max > (acc[3] as number)) acc[3] = max;
        if (lastTs > (acc[5] as number) || (lastTs === acc[5] && last > (acc[4] as number))) {
          acc[4] = last;
          acc[5] = lastTs;
        }
      }
    }
  }

  table(): TierTable {
    const starts = [...this.buckets.keys()].sort((a, b) => a - b);
    const size = starts.length;
    const payloads = new Float64Array(size);
    const cols = new Map<string, TierColumn>();
    starts.forEach((start, b) => {
      const entry = this.buckets.get(start) as { payloads: number; cols: Map<string, number[]> };
      payloads[b] = entry.payloads;
      for (const [name, acc] of entry.cols) {
        let col = cols.get(name);
        if (!col) {
          col = emptyColumn(size);
          cols.set(name, col);
        }
        col.n[b] = acc[0] as number;
        col.sum[b] = acc[1] as number;
        col.min[b] = acc[2] as number;
        col.max[b] = acc[3] as number;
        col.last[b] = acc[4] as number;
        col.lastTs[b] = acc[5] as number;
      }
    });
    return { buckets: { starts: Float64Array.from(starts), payloads }, cols };
  }
}
