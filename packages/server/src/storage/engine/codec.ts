/**
 * Column codecs of the series engine, chosen by measurement on agentmon's own data (bench/codec.ts,
 * docs/series-engine.md): a value column is stored as
 *
 * - CONST: every value the same double;
 * - DECIMAL: each value as an integer mantissa M with one decimal exponent k for the column
 *   (value = M / 10^k), as VictoriaMetrics does, then the mantissas as first or second differences,
 *   zigzag varints. Agents report mostly short decimals (45.23 %, 1832 tasks, 0.9871), which this
 *   turns into one or two bytes a value;
 * - FLOAT: the raw IEEE doubles, byte-transposed (all first bytes, then all second bytes, ...) so
 *   the general compressor finds the shared sign and exponent bytes; for full-precision doubles.
 *
 * Every codec is lossless and bit-exact: DECIMAL is used only when M / 10^k reproduces each value
 * exactly (checked while encoding, so decoding the same expression gives the same double), never
 * for -0. `pack` then deflates the encoded bytes when that makes them smaller.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { ByteReader, ByteWriter, CorruptData } from './bytes.js';

const CONST = 0;
const DECIMAL_D1 = 1;
const DECIMAL_D2 = 2;
const FLOAT = 3;

/** Powers of ten exact as doubles (10^0 .. 10^22); the codec uses up to 10^15. */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const MAX_DECIMALS = 15;
/** Mantissas stay below 2^50 so their first and second differences, zigzagged, stay exact integers. */
const MAX_MANTISSA = 2 ** 50;

/** The fewest decimals k (0..15) with round(v * 10^k) / 10^k === v, or -1 when there is none. */
export function decimalDigits(v: number): number {
  if (Object.is(v, -0) || !Number.isFinite(v) || Math.abs(v) >= MAX_MANTISSA) return -1;
  for (let k = 0; k <= MAX_DECIMALS; k++) {
    const p = POW10[k] as number;
    const m = Math.round(v * p);
    if (Math.abs(m) >= MAX_MANTISSA) return -1;
    if (m / p === v) return k;
  }
  return -1;
}

/** Bytes of a zigzag varint of `v`, without writing it. */
function svarintSize(v: number): number {
  let z = v < 0 ? -2 * v - 1 : 2 * v;
  let n = 1;
  while (z >= 0x80) {
    z = Math.floor(z / 0x80);
    n++;
  }
  return n;
}

/**
 * Encodes `n` values (no NaN: absent values are left out by the caller) into `out`, picking the
 * smallest codec that is exact for them.
 */
export function encodeValues(values: ArrayLike<number>, n: number, out: ByteWriter): void {
  if (n === 0) {
    out.u8(CONST);
    out.f64(0);
    return;
  }
  const first = values[0] as number;
  let same = true;
  for (let i = 1; i < n && same; i++) same = Object.is(values[i], first);
  if (same) {
    out.u8(CONST);
    out.f64(first);
    return;
  }
  let k = 0;
  for (let i = 0; i < n && k >= 0; i++) {
    const d = decimalDigits(values[i] as number);
    k = d < 0 ? -1 : Math.max(k, d);
  }
  if (k >= 0) {
    const p = POW10[k] as number;
    const mantissas = new Float64Array(n);
    let exact = true;
    for (let i = 0; i < n; i++) {
      const v = values[i] as number;
      const m = Math.round(v * p);
      if (Math.abs(m) >= MAX_MANTISSA || m / p !== v) {
        exact = false;
        break;
      }
      mantissas[i] = m;
    }
    if (exact) {
      // First differences suit noisy gauges; second differences suit counters and steady ramps.
      let d1 = 0;
      let d2 = 0;
      let prev = 0;
      let prevDelta = 0;
      for (let i = 0; i < n; i++) {
        const m = mantissas[i] as number;
        const delta = m - prev;
        d1 += svarintSize(delta);
        d2 += svarintSize(i === 0 ? m : delta - prevDelta);
        prevDelta = i === 0 ? 0 : delta;
        prev = m;
      }
      const second = d2 < d1;
      out.u8(second ? DECIMAL_D2 : DECIMAL_D1);
      out.uvarint(k);
      prev = 0;
      prevDelta = 0;
      for (let i = 0; i < n; i++) {
        const m = mantissas[i] as number;
        const delta = m - prev;
        if (!second) out.svarint(delta);
        else if (i === 0) out.svarint(m);
        else {
          out.svarint(delta - prevDelta);
          prevDelta = delta;
        }
        if (i === 0) prevDelta = 0;
        prev = m;
      }
      return;
    }
  }
  out.u8(FLOAT);
  const raw = new Float64Array(n);
  for (let i = 0; i < n; i++) raw[i] = values[i] as number;
  const bytes = new Uint8Array(raw.buffer);
  const shuffled = new Uint8Array(8 * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < 8; j++) shuffled[j * n + i] = bytes[i * 8 + j] as number;
  out.bytes(shuffled);
}

/** Decodes `n` values written by encodeValues into `out` from `offset` on. */
export function decodeValues(r: ByteReader, n: number, out: Float64Array, offset = 0): void {
  const codec = r.u8();
  if (codec === CONST) {
    const v = r.f64();
    out.fill(v, offset, offset + n);
    return;
  }
  if (codec === DECIMAL_D1 || codec === DECIMAL_D2) {
    const k = r.uvarint();
    if (k > MAX_DECIMALS) throw new CorruptData(`decimal exponent ${k}`);
    const p = POW10[k] as number;
    let m = 0;
    let delta = 0;
    for (let i = 0; i < n; i++) {
      if (codec === DECIMAL_D1) m += r.svarint();
      else if (i === 0) m = r.svarint();
      else {
        delta += r.svarint();
        m += delta;
      }
      out[offset + i] = m / p;
    }
    return;
  }
  if (codec === FLOAT) {
    const shuffled = r.bytes(8 * n);
    const bytes = new Uint8Array(8 * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < 8; j++) bytes[i * 8 + j] = shuffled[j * n + i] as number;
    out.set(new Float64Array(bytes.buffer), offset);
    return;
  }
  throw new CorruptData(`unknown value codec ${codec}`);
}

/**
 * Timestamps (integer ms, ascending): second differences, so a steady reporting interval costs a
 * byte a row before compression and almost nothing after. Falls back to raw doubles when a
 * difference would leave the exact integer range (timestamps near both ends of Date's range).
 */
export function encodeTimestamps(ts: ArrayLike<number>, n: number, out: ByteWriter): void {
  let fits = true;
  let prev = 0;
  let prevDelta = 0;
  for (let i = 0; i < n && fits; i++) {
    const t = ts[i] as number;
    const delta = i === 0 ? 0 : t - prev;
    if (Math.abs(t) >= MAX_MANTISSA || Math.abs(delta) >= MAX_MANTISSA || Math.abs(delta - prevDelta) >= MAX_MANTISSA) fits = false;
    prevDelta = delta;
    prev = t;
  }
  if (!fits) {
    out.u8(1);
    for (let i = 0; i < n; i++) out.f64(ts[i] as number);
    return;
  }
  out.u8(0);
  prev = 0;
  prevDelta = 0;
  for (let i = 0; i < n; i++) {
    const t = ts[i] as number;
    if (i === 0) out.svarint(t);
    else {
      const delta = t - prev;
      out.svarint(delta - prevDelta);
      prevDelta = delta;
    }
    prev = t;
  }
}

/** Decodes what encodeTimestamps wrote. */
export function decodeTimestamps(r: ByteReader, n: number, out: Float64Array): void {
  const mode = r.u8();
  if (mode === 1) {
    for (let i = 0; i < n; i++) out[i] = r.f64();
    return;
  }
  if (mode !== 0) throw new CorruptData(`unknown timestamp codec ${mode}`);
  let t = 0;
  let delta = 0;
  for (let i = 0; i < n; i++) {
    if (i === 0) t = r.svarint();
    else {
      delta += r.svarint();
      t += delta;
    }
    out[i] = t;
  }
}

/**
 * A column of optional doubles (NaN: absent): a presence bitmap when some are absent, then the
 * present values through encodeValues.
 */
export function encodeColumn(values: ArrayLike<number>, n: number, out: ByteWriter): void {
  let present = 0;
  for (let i = 0; i < n; i++) if (!Number.isNaN(values[i])) present++;
  if (present === n) {
    out.u8(0);
    encodeValues(values, n, out);
    return;
  }
  out.u8(1);
  const bitmap = new Uint8Array((n + 7) >> 3);
  const dense = new Float64Array(present);
  let j = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    if (Number.isNaN(v)) continue;
    bitmap[i >> 3] = (bitmap[i >> 3] as number) | (1 << (i & 7));
    dense[j++] = v;
  }
  out.bytes(bitmap);
  encodeValues(dense, present, out);
}

/** Decodes what encodeColumn wrote into `out` (length >= n), NaN where a value is absent. */
export function decodeColumn(r: ByteReader, n: number, out: Float64Array): void {
  const sparse = r.u8();
  if (sparse === 0) {
    decodeValues(r, n, out);
    return;
  }
  if (sparse !== 1) throw new CorruptData(`unknown column layout ${sparse}`);
  const bitmap = r.bytes((n + 7) >> 3);
  let present = 0;
  for (let i = 0; i < n; i++) if (((bitmap[i >> 3] as number) >> (i & 7)) & 1) present++;
  const dense = new Float64Array(present);
  decodeValues(r, present, dense);
  let j = 0;
  for (let i = 0; i < n; i++) out[i] = ((bitmap[i >> 3] as number) >> (i & 7)) & 1 ? (dense[j++] as number) : Number.NaN;
}

/** Small non-negative integers (dictionary indexes, counts) as varints. */
export function encodeUints(values: ArrayLike<number>, n: number, out: ByteWriter): void {
  for (let i = 0; i < n; i++) out.uvarint(values[i] as number);
}

/** Decodes what encodeUints wrote. */
export function decodeUints(r: ByteReader, n: number, out: Uint32Array | Float64Array): void {
  for (let i = 0; i < n; i++) out[i] = r.uvarint();
}

/** Smallest input worth a deflate attempt: below it the stream's own overhead wins. */
const DEFLATE_MIN = 48;

/**
 * The encoded bytes as stored: flag 0 and the bytes, or flag 1 and their raw deflate when smaller
 * (level 0: never deflate).
 */
export function pack(data: Uint8Array, level = 6): Buffer {
  if (level > 0 && data.length >= DEFLATE_MIN) {
    const z = deflateRawSync(data, { level });
    if (z.length + 1 < data.length) {
      const out = Buffer.allocUnsafe(z.length + 1);
      out[0] = 1;
      z.copy(out, 1);
      return out;
    }
  }
  const out = Buffer.allocUnsafe(data.length + 1);
  out[0] = 0;
  out.set(data, 1);
  return out;
}

/** The encoded bytes of a packed section. */
export function unpack(stored: Uint8Array): Uint8Array {
  if (stored.length === 0) throw new CorruptData('empty packed section');
  const flag = stored[0];
  const body = stored.subarray(1);
  if (flag === 0) return body;
  if (flag === 1) {
    try {
      return inflateRawSync(body);
    } catch (err) {
      throw new CorruptData(`packed section does not inflate: ${(err as Error).message}`);
    }
  }
  throw new CorruptData(`unknown pack flag ${flag}`);
}
