/**
 * The compare mode's dataset: the simulated fleet's payloads over a time range, generated once
 * (seeded) and written to temp files in two encodings of the same values, JSON arrays for agentmon
 * and InfluxDB line protocol for VictoriaMetrics and InfluxDB, cut into the same batches. The
 * senders read ready bodies back (a file read per batch), so they use little CPU and every system
 * gets byte-for-byte the same batches of its encoding. While generating, the answers the queries
 * must give are computed from the values themselves.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AI_METRIC_NAMES, PERFORMANCE_METRIC_NAMES, RESOURCE_METRIC_NAMES, type AgentMetrics } from '@agentmon/schema';
import { metricsPayload, prng, type AgentProfile } from './payloads.js';

/** Width of the buckets the bucketed queries ask for (5 min). */
export const BUCKET_MS = 300_000;
/** The "last 5 min" of the latest-value queries. */
export const RECENT_MS = 300_000;
/** The line protocol measurement; VictoriaMetrics names its series `agent_<field>`. */
export const MEASUREMENT = 'agent';
/** Line protocol field name of a numeric custom metric (agentmon's `custom.<key>`). */
export const customField = (key: string): string => `custom_${key}`;

const BUILT_IN = [...RESOURCE_METRIC_NAMES, ...PERFORMANCE_METRIC_NAMES, ...AI_METRIC_NAMES] as const;

/** The numeric values of a payload as [field, value]: built-in metrics that are not null, then numeric custom metrics. */
export function numericFields(p: AgentMetrics): [string, number][] {
  const out: [string, number][] = [];
  const groups = [p.resource_metrics, p.performance_metrics, p.ai_metrics] as (Record<string, unknown> | null | undefined)[];
  for (const group of groups) {
    if (!group) continue;
    for (const name of BUILT_IN) {
      const v = group[name];
      if (typeof v === 'number') out.push([name, v]);
    }
  }
  for (const [key, v] of Object.entries(p.custom_metrics ?? {})) if (typeof v === 'number') out.push([customField(key), v]);
  return out;
}

// Line protocol escaping: tag values escape commas, spaces and equals signs.
const tagValue = (s: string): string => s.replace(/[ ,=]/g, (c) => `\\${c}`);

/** One line of InfluxDB line protocol for a payload, timestamp in ms; every value a float (no `i` suffix), as agentmon keeps them. */
export function lineOf(p: AgentMetrics, environment: string, tsMs: number): string {
  const fields = numericFields(p)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(',');
  return `${MEASUREMENT},agent_id=${tagValue(p.agent_id)},environment=${tagValue(environment)} ${fields} ${tsMs}`;
}

/** Request bodies written back to back in one file, read one at a time. */
export class BatchFile {
  private readonly fd: number;
  private readonly offsets: number[] = [];
  private readonly lengths: number[] = [];
  /** Bytes of all bodies. */
  bytes = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w+');
  }

  /** Appends the next body. */
  append(body: string): void {
    const written = writeSync(this.fd, body, this.bytes, 'utf8');
    this.offsets.push(this.bytes);
    this.lengths.push(written);
    this.bytes += written;
  }

  /** Body `i` (a fresh Buffer, from the page cache). */
  read(i: number): Buffer {
    const length = this.lengths[i] as number;
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) done += readSync(this.fd, buf, done, length - done, (this.offsets[i] as number) + done);
    return buf;
  }

  /** Closes the file (the dataset removes its dir). */
  close(): void {
    closeSync(this.fd);
  }
}

/** What the queries must answer, computed from the generated values. */
export interface Expected {
  /** Buckets [startMs + i * BUCKET_MS, + BUCKET_MS), i < buckets. */
  buckets: number;
  /** cpu_usage_percent per agent and bucket (index agent * buckets + bucket): sum and count. */
  agentSum: Float64Array;
  agentCount: Uint32Array;
  /** The same over the whole fleet per bucket. */
  fleetSum: Float64Array;
  fleetCount: Uint32Array;
  /** Each agent's latest cpu_usage_percent over the whole range, and over the last RECENT_MS (null: none). */
  lastCpu: (number | null)[];
  lastCpuRecent: (number | null)[];
  /** Each agent's latest value of every field (line protocol names) over the last RECENT_MS. */
  lastRecent: Map<string, number>[];
  /** Payloads stamped exactly on a bucket boundary (VictoriaMetrics' windows are (t-5m, t], the others' [t, t+5m)). */
  onBoundary: number;
}

/** The generated data, its files and the answers. */
export interface Dataset {
  ids: readonly string[];
  stepMs: number;
  steps: number;
  /** Every payload is stamped in (startMs, endMs); both are multiples of BUCKET_MS. */
  startMs: number;
  endMs: number;
  payloads: number;
  batchSize: number;
  batches: number;
  /** Bodies for agentmon's POST /api/v1/metrics (JSON arrays of AgentMetrics). */
  json: BatchFile;
  /** Bodies for the peers' /write (line protocol, one line per payload). */
  lines: BatchFile;
  expected: Expected;
  /** Numeric values in all (built-in not null, and custom), and the most one payload has. */
  values: number;
  maxFieldsPerPayload: number;
  /** Wall and CPU seconds the generation took (not in any figure). */
  buildS: number;
  buildCpuS: number;
  /** Closes the files and removes the temp dir. */
  remove(): void;
}

/** What to generate. */
export interface DatasetSpec {
  fleet: readonly AgentProfile[];
  /** agentmon's ids of the fleet's agents, in fleet order (the peers get the same ids as tags). */
  ids: readonly string[];
  stepS: number;
  hours: number;
  batchSize: number;
  /** Registered for removal at exit (SIGINT included). */
  onTempDir: (dir: string) => void;
}

/**
 * Generates the dataset, writing the batches as it goes: one payload per agent every stepS over
 * `hours`, ending at the last 5-min boundary at least a minute before now, time-major (a batch
 * holds consecutive agents at one time step). Within a step agent a reports at offset
 * 1 + a * (step - 1) / agents ms, so no payload sits on a bucket boundary when the step divides
 * 5 min (and the fleet's reports are spread over the step, as in life).
 */
export async function buildDataset(spec: DatasetSpec): Promise<Dataset> {
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  const agents = spec.fleet.length;
  const stepMs = spec.stepS * 1000;
  const endMs = Math.floor((Date.now() - 60_000) / BUCKET_MS) * BUCKET_MS;
  // The range is a whole number of buckets, so each system answers the same full buckets.
  const buckets = Math.max(1, Math.round((spec.hours * 3_600_000) / BUCKET_MS));
  const startMs = endMs - buckets * BUCKET_MS;
  const steps = Math.floor((endMs - startMs) / stepMs);
  const recentFrom = endMs - RECENT_MS;
  const dir = mkdtempSync(join(tmpdir(), 'agentmon-compare-data-'));
  spec.onTempDir(dir);
  const json = new BatchFile(join(dir, 'batches.json'));
  const lines = new BatchFile(join(dir, 'batches.lp'));
  const expected: Expected = {
    buckets,
    agentSum: new Float64Array(agents * buckets),
    agentCount: new Uint32Array(agents * buckets),
    fleetSum: new Float64Array(buckets),
    fleetCount: new Uint32Array(buckets),
    lastCpu: new Array<number | null>(agents).fill(null),
    lastCpuRecent: new Array<number | null>(agents).fill(null),
    lastRecent: Array.from({ length: agents }, () => new Map<string, number>()),
    onBoundary: 0,
  };
  // The same seed as the default bench's history: the values are those of every run.
  const r = prng(7);
  const total = agents * steps;
  let values = 0;
  let maxFields = 0;
  let jsonBatch: string[] = [];
  let lineBatch: string[] = [];
  for (let k = 0; k < total; k++) {
    const step = Math.floor(k / agents);
    const a = k % agents;
    const profile = spec.fleet[a] as AgentProfile;
    const ts = startMs + step * stepMs + 1 + Math.floor((a * (stepMs - 1)) / agents);
    const payload = metricsPayload(profile, spec.ids[a] as string, ts, spec.stepS, r);
    jsonBatch.push(JSON.stringify(payload));
    lineBatch.push(lineOf(payload, profile.environment, ts));

    const fields = numericFields(payload);
    values += fields.length;
    maxFields = Math.max(maxFields, fields.length);
    const cpu = payload.resource_metrics.cpu_usage_percent;
    const b = Math.floor((ts - startMs) / BUCKET_MS);
    if (ts % BUCKET_MS === 0) expected.onBoundary += 1;
    const cell = a * buckets + b;
    expected.agentSum[cell] = (expected.agentSum[cell] as number) + cpu;
    expected.agentCount[cell] = (expected.agentCount[cell] as number) + 1;
    expected.fleetSum[b] = (expected.fleetSum[b] as number) + cpu;
    expected.fleetCount[b] = (expected.fleetCount[b] as number) + 1;
    // Each agent's payloads come in time order, so the latest is the one seen last.
    expected.lastCpu[a] = cpu;
    if (ts >= recentFrom) {
      expected.lastCpuRecent[a] = cpu;
      const last = expected.lastRecent[a] as Map<string, number>;
      for (const [name, v] of fields) last.set(name, v);
    }

    // Yield now and then so a SIGINT is handled during the tens of seconds this takes.
    if (k % 10_000 === 9_999) await new Promise<void>((resolve) => setImmediate(resolve));
    if (jsonBatch.length === spec.batchSize || k === total - 1) {
      json.append(`[${jsonBatch.join(',')}]`);
      lines.append(`${lineBatch.join('\n')}\n`);
      jsonBatch = [];
      lineBatch = [];
    }
  }
  const cpu1 = process.cpuUsage();
  return {
    ids: spec.ids,
    stepMs,
    steps,
    startMs,
    endMs,
    payloads: total,
    batchSize: spec.batchSize,
    batches: Math.ceil(total / spec.batchSize),
    json,
    lines,
    expected,
    values,
    maxFieldsPerPayload: maxFields,
    buildS: (performance.now() - wall0) / 1000,
    buildCpuS: (cpu1.user - cpu0.user + cpu1.system - cpu0.system) / 1e6,
    remove() {
      json.close();
      lines.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The expected 5-min averages of one agent (or of the fleet with `agent` null): bucket start ms to avg, non-empty buckets only. */
export function expectedAverages(d: Dataset, agent: number | null): Map<number, number> {
  const { buckets, agentSum, agentCount, fleetSum, fleetCount } = d.expected;
  const out = new Map<number, number>();
  for (let b = 0; b < buckets; b++) {
    const sum = agent === null ? fleetSum[b] : agentSum[agent * buckets + b];
    const count = agent === null ? fleetCount[b] : agentCount[agent * buckets + b];
    if (count) out.set(d.startMs + b * BUCKET_MS, (sum as number) / count);
  }
  return out;
}
