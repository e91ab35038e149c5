/**
 * `npm run bench:codec`: the measurement behind the series engine's column codec
 * (docs/series-engine.md). It generates the bench fleet's data (bench/payloads.ts: BENCH_AGENTS
 * agents, a payload every BENCH_STEP_SECONDS over BENCH_HOURS), lays each agent's payloads out in
 * chunks of CODEC_CHUNK_ROWS rows, and prints, per column and in total, the bytes per payload of:
 *
 *   raw      8-byte doubles, deflated
 *   gorilla  Gorilla XOR bit-packing (Facebook's Gorilla paper), not compressed further
 *   engine   the engine's codec: CONST / DECIMAL (mantissa + exponent, 1st or 2nd differences,
 *            zigzag varints) / FLOAT (byte-transposed doubles), then deflate when it helps
 *   float    the FLOAT path forced for every column (what a value codec without decimals gets)
 *
 * and the engine's encode and decode speed. Lossless throughout: every encoded column is decoded
 * and compared bit for bit before it counts.
 */
import { deflateRawSync } from 'node:zlib';
import type { AgentMetrics } from '@agentmon/schema';
import { makeFleet, metricsPayload, prng } from './payloads.js';
import { numericCustomMetrics, payloadValues } from '../packages/server/src/engine/ingest.js';
import { ByteReader, ByteWriter } from '../packages/server/src/storage/engine/bytes.js';
import { decodeColumn, encodeColumn, encodeTimestamps, pack, unpack } from '../packages/server/src/storage/engine/codec.js';

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}

const AGENTS = intEnv('BENCH_AGENTS', 1000);
const STEP_S = intEnv('BENCH_STEP_SECONDS', 10);
const HOURS = intEnv('BENCH_HOURS', 2);
const CHUNK = intEnv('CODEC_CHUNK_ROWS', 720);
const ROWS = Math.floor((HOURS * 3600) / STEP_S);

/** The numeric values of a payload by series name, as the engine stores them. */
function seriesValues(p: AgentMetrics): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, v] of Object.entries(payloadValues(p))) if (v !== null) out[name] = v;
  // The engine's own series: a health score with three decimals.
  out.health_score = Math.round((0.8 + (p.performance_metrics.success_rate ?? 1) * 0.2) * 1000) / 1000;
  for (const [key, v] of Object.entries(numericCustomMetrics(p.custom_metrics ?? {}))) out[`custom.${key}`] = v;
  return out;
}

/** Bits Gorilla's XOR encoding takes for a column (the paper's control bits and windows). */
function gorillaBits(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const f = new Float64Array(values);
  const u = new Uint32Array(f.buffer);
  let bits = 64;
  let prevLead = -1;
  let prevTrail = -1;
  const clz64 = (hi: number, lo: number): number => (hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo));
  const ctz32 = (x: number): number => (x === 0 ? 32 : 31 - Math.clz32(x & -x));
  for (let i = 1; i < values.length; i++) {
    const hi = ((u[2 * i + 1] as number) ^ (u[2 * i - 1] as number)) >>> 0;
    const lo = ((u[2 * i] as number) ^ (u[2 * i - 2] as number)) >>> 0;
    if (hi === 0 && lo === 0) {
      bits += 1;
      continue;
    }
    const lead = Math.min(31, clz64(hi, lo));
    const trail = lo !== 0 ? ctz32(lo) : 32 + ctz32(hi);
    if (prevLead >= 0 && lead >= prevLead && trail >= prevTrail) bits += 2 + (64 - prevLead - prevTrail);
    else {
      bits += 2 + 5 + 6 + (64 - lead - trail);
      prevLead = lead;
      prevTrail = trail;
    }
  }
  return bits;
}

/** The engine's bytes for a column, after checking it decodes to the same bits. */
function engineBytes(values: Float64Array, n: number, forceFloat: boolean): { bytes: number; codec: string } {
  const w = new ByteWriter();
  const input = forceFloat ? Float64Array.from(values.subarray(0, n), (v) => v) : values;
  if (forceFloat) {
    // 0 then the FLOAT codec and the byte-transposed doubles, as encodeValues writes them.
    w.u8(0);
    w.u8(3);
    const bytes = new Uint8Array(input.buffer, input.byteOffset, n * 8);
    const shuffled = new Uint8Array(8 * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < 8; j++) shuffled[j * n + i] = bytes[i * 8 + j] as number;
    w.bytes(shuffled);
  } else encodeColumn(values, n, w);
  const stored = pack(w.view8());
  const codec = ['const', 'decimal', 'decimal', 'float'][w.view8()[1] as number] ?? '?';
  const back = new Float64Array(n);
  decodeColumn(new ByteReader(unpack(stored)), n, back);
  for (let i = 0; i < n; i++) if (!Object.is(back[i], values[i])) throw new Error(`codec lost value ${i}: ${values[i]} -> ${back[i]}`);
  return { bytes: stored.length, codec };
}

function main(): void {
  console.log(`codec bench: ${AGENTS} agents x ${ROWS} payloads (every ${STEP_S} s over ${HOURS} h), chunks of ${CHUNK} rows`);
  const fleet = makeFleet(AGENTS);
  const r = prng(7);
  const start = Date.UTC(2026, 0, 1, 8);
  // Column-wise per agent: name -> values (NaN where the payload has none).
  const columns: Map<string, Float64Array>[] = fleet.map(() => new Map());
  const stamps: Float64Array[] = fleet.map(() => new Float64Array(ROWS));
  for (let k = 0; k < ROWS; k++) {
    fleet.forEach((profile, a) => {
      const ts = start + k * STEP_S * 1000 + Math.floor((a * STEP_S * 1000) / AGENTS);
      (stamps[a] as Float64Array)[k] = ts;
      const cols = columns[a] as Map<string, Float64Array>;
      for (const [name, v] of Object.entries(seriesValues(metricsPayload(profile, `agent-${a}`, ts, STEP_S, r)))) {
        let col = cols.get(name);
        if (!col) {
          col = new Float64Array(ROWS).fill(Number.NaN);
          cols.set(name, col);
        }
        col[k] = v;
      }
    });
  }
  const payloads = AGENTS * ROWS;
  const totals = new Map<string, { raw: number; gorilla: number; engine: number; float: number; codecs: Map<string, number> }>();
  let tsBytes = 0;
  let encodeMs = 0;
  let values = 0;
  for (let a = 0; a < AGENTS; a++) {
    for (let s = 0; s < ROWS; s += CHUNK) {
      const n = Math.min(CHUNK, ROWS - s);
      const w = new ByteWriter();
      encodeTimestamps((stamps[a] as Float64Array).subarray(s, s + n), n, w);
      tsBytes += pack(w.view8()).length;
      for (const [name, col] of columns[a] as Map<string, Float64Array>) {
        const chunk = col.subarray(s, s + n);
        const present = [...chunk].filter((v) => !Number.isNaN(v));
        if (present.length === 0) continue;
        const t = totals.get(name) ?? { raw: 0, gorilla: 0, engine: 0, float: 0, codecs: new Map() };
        totals.set(name, t);
        t.raw += deflateRawSync(Buffer.from(new Float64Array(present).buffer)).length;
        t.gorilla += gorillaBits(present) / 8;
        const began = performance.now();
        const eng = engineBytes(chunk, n, false);
        encodeMs += performance.now() - began;
        values += n;
        t.engine += eng.bytes;
        t.codecs.set(eng.codec, (t.codecs.get(eng.codec) ?? 0) + 1);
        if (present.length === n) t.float += engineBytes(Float64Array.from(present), n, true).bytes;
        else t.float += eng.bytes;
      }
    }
  }
  const per = (bytes: number): string => (bytes / payloads).toFixed(2).padStart(6);
  console.log(`\n| column | raw+deflate | gorilla | float+deflate | engine | engine codecs |`);
  console.log(`|---|---|---|---|---|---|`);
  const sum = { raw: 0, gorilla: 0, engine: 0, float: 0 };
  for (const [name, t] of [...totals].sort((x, y) => y[1].engine - x[1].engine)) {
    sum.raw += t.raw;
    sum.gorilla += t.gorilla;
    sum.engine += t.engine;
    sum.float += t.float;
    const codecs = [...t.codecs].map(([c, k]) => `${c} ${k}`).join(', ');
    console.log(`| ${name} | ${per(t.raw)} | ${per(t.gorilla)} | ${per(t.float)} | ${per(t.engine)} | ${codecs} |`);
  }
  console.log(`| timestamps | | | | ${per(tsBytes)} | |`);
  console.log(`| **all values, bytes per payload** | ${per(sum.raw)} | ${per(sum.gorilla)} | ${per(sum.float)} | ${per(sum.engine + tsBytes)} | |`);
  console.log(`\nengine encode (with its own decode check): ${((encodeMs * 1e6) / values).toFixed(0)} ns per value over ${values} values`);
}

main();
