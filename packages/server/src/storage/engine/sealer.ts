/**
 * Sealing: the CPU-heavy half of the engine's maintenance, writing blocks. A head flush encodes
 * the frozen head's rows into a block per partition with fleet tiers (a fleet chart reads them as
 * soon as the rows leave the head) but no tiers per chunk and no deflate (the block is
 * short-lived, a merge does both); a merge reads blocks, drops what retention and purges hid, and writes one
 * compressed block with rollup tiers. Jobs are plain data, so they run the same on a worker thread
 * (seal-worker.ts, the default: ingest keeps the main thread) or inline.
 */
import { rmSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../worker-thread.js';
import { BlockReader, BlockWriter, type TierSpec } from './block.js';
import { AgentRows } from './rows.js';
import { byCodePoint } from '../code-point-order.js';

/**
 * Deflate level of head flushes and of merges. Flushes take none: deflating a block's thousands
 * of small sections costs more than encoding them, and a flush must keep up with ingest.
 */
const FLUSH_DEFLATE_LEVEL = 0;
const MERGE_DEFLATE_LEVEL = 6;

/**
 * The rows of a block's agents as they travel to the sealer, packed: every agent's timestamps in
 * one array, every (agent, column) run of values in another, the labels as indexes into one
 * dictionary, `extra` as one text (JSON text never holds a raw line break). The four arrays are
 * moved to the worker, not copied; moving one buffer per column of every agent instead cost more
 * than writing the block.
 */
export interface RowsPack {
  agents: string[];
  /** Rows of each agent, in `agents` order; its rows start where the previous agent's end. */
  counts: Uint32Array;
  ts: Float64Array;
  /** The columns: agent (index into `agents`), name, and where its run of values starts. */
  colAgent: Uint32Array;
  colName: string[];
  colStart: Uint32Array;
  values: Float64Array;
  labels: string[];
  environment: Uint32Array;
  deploymentType: Uint32Array;
  extra: string;
  extraTemplates: boolean[];
}

/** Writes the head's rows of each partition into a block. */
export interface FlushJob {
  kind: 'flush';
  blocks: { path: string; rows: RowsPack }[];
  /** Fleet tiers to keep (a flush keeps no tiers per chunk). */
  tiers: readonly TierSpec[];
}

/** Merges blocks into one (no file when nothing of them is left). */
export interface MergeJob {
  kind: 'merge';
  inputs: { path: string; purged: string[] }[];
  /** Retention cuts of the agents in the inputs. */
  cuts: Record<string, number>;
  path: string;
  tiers: readonly TierSpec[];
}

export type SealJob = FlushJob | MergeJob;

/** What a job wrote: per block of the job, whether a file was written. */
export interface SealResult {
  written: boolean[];
}

/** Packs agents' row sets (in the order given) for a flush job. */
export function packRows(sets: readonly (readonly [string, AgentRows])[]): RowsPack {
  let rows = 0;
  let colCount = 0;
  let valueCount = 0;
  for (const [, r] of sets) {
    rows += r.n;
    colCount += r.cols.size;
    valueCount += r.n * r.cols.size;
  }
  const counts = new Uint32Array(sets.length);
  const ts = new Float64Array(rows);
  const colAgent = new Uint32Array(colCount);
  const colName: string[] = new Array<string>(colCount);
  const colStart = new Uint32Array(colCount);
  const values = new Float64Array(valueCount);
  const labels: string[] = [];
  const ids = new Map<string, number>();
  const idOf = (v: string): number => {
    let id = ids.get(v);
    if (id === undefined) {
      id = labels.length;
      ids.set(v, id);
      labels.push(v);
    }
    return id;
  };
  const environment = new Uint32Array(rows);
  const deploymentType = new Uint32Array(rows);
  const extra: string[] = [];
  const extraTemplates: boolean[] = [];
  let row = 0;
  let col = 0;
  let at = 0;
  sets.forEach(([, r], a) => {
    const n = r.n;
    counts[a] = n;
    ts.set(n === r.ts.length ? r.ts : r.ts.subarray(0, n), row);
    for (const [name, column] of r.cols) {
      colAgent[col] = a;
      colName[col] = name;
      colStart[col] = at;
      values.set(n === column.length ? column : column.subarray(0, n), at);
      at += n;
      col++;
    }
    for (let i = 0; i < n; i++) {
      environment[row + i] = idOf(r.environment[i] as string);
      deploymentType[row + i] = idOf(r.deploymentType[i] as string);
      extra.push(r.extra[i] as string);
    }
    extraTemplates.push(r.extraTemplates);
    row += n;
  });
  return {
    agents: sets.map(([agent]) => agent),
    counts,
    ts,
    colAgent,
    colName,
    colStart,
    values,
    labels,
    environment,
    deploymentType,
    extra: extra.join('\n'),
    extraTemplates,
  };
}

/** The buffers a job can give away to the worker instead of having them copied. */
export function transferables(job: SealJob): ArrayBuffer[] {
  if (job.kind !== 'flush') return [];
  return job.blocks.flatMap(({ rows: p }) => [p.counts, p.ts, p.colAgent, p.colStart, p.values, p.environment, p.deploymentType].map((a) => a.buffer as ArrayBuffer));
}

/** Unpacks a flush job's rows, agent by agent, in the order they were packed. */
function* unpackRows(p: RowsPack): Generator<[string, AgentRows]> {
  const extra = p.ts.length === 0 ? [] : p.extra.split('\n');
  let col = 0;
  let row = 0;
  for (let a = 0; a < p.agents.length; a++) {
    const n = p.counts[a] as number;
    const rows = new AgentRows(Math.max(8, n));
    rows.n = n;
    rows.ts.set(p.ts.subarray(row, row + n));
    for (; col < p.colAgent.length && p.colAgent[col] === a; col++) {
      const start = p.colStart[col] as number;
      rows.column(p.colName[col] as string).set(p.values.subarray(start, start + n));
    }
    rows.environment = Array.from(p.environment.subarray(row, row + n), (i) => p.labels[i] as string);
    rows.deploymentType = Array.from(p.deploymentType.subarray(row, row + n), (i) => p.labels[i] as string);
    rows.extra = extra.slice(row, row + n);
    rows.extraTemplates = p.extraTemplates[a] as boolean;
    row += n;
    yield [p.agents[a] as string, rows];
  }
}

/** Runs a job in this thread. */
export function runSealJob(job: SealJob): SealResult {
  if (job.kind === 'flush') {
    for (const block of job.blocks) {
      const writer = new BlockWriter(`${block.path}.tmp`, block.path, { tiers: job.tiers, chunkTiers: false, deflateLevel: FLUSH_DEFLATE_LEVEL });
      try {
        for (const [agent, rows] of unpackRows(block.rows)) writer.addChunk(agent, rows);
        writer.finish();
      } catch (err) {
        writer.abort();
        rmSync(`${block.path}.tmp`, { force: true });
        throw err;
      }
    }
    return { written: job.blocks.map(() => true) };
  }
  const readers = job.inputs.map((input) => ({ reader: BlockReader.open(input.path), purged: new Set(input.purged) }));
  const writer = new BlockWriter(`${job.path}.tmp`, job.path, { tiers: job.tiers, deflateLevel: MERGE_DEFLATE_LEVEL });
  try {
    const agents = new Set<string>();
    for (const { reader } of readers) for (const agent of reader.chunks.keys()) agents.add(agent);
    for (const agent of [...agents].sort(byCodePoint)) {
      const cut = job.cuts[agent] ?? Number.NEGATIVE_INFINITY;
      const parts: AgentRows[] = [];
      for (const { reader, purged } of readers) {
        const chunk = reader.chunks.get(agent);
        if (!chunk || purged.has(agent) || chunk.t1 < cut) continue;
        parts.push(reader.readRows(chunk));
      }
      const merged = AgentRows.merge(parts);
      if (cut > Number.NEGATIVE_INFINITY) merged.removeBefore(cut);
      writer.addChunk(agent, merged);
    }
    if (writer.chunkCount === 0) {
      writer.abort();
      rmSync(`${job.path}.tmp`, { force: true });
      return { written: [false] };
    }
    writer.finish();
    return { written: [true] };
  } catch (err) {
    writer.abort();
    rmSync(`${job.path}.tmp`, { force: true });
    throw err;
  } finally {
    for (const { reader } of readers) reader.close();
  }
}

/** Runs seal jobs one at a time, on a worker thread or inline. */
export class Sealer {
  private worker: Worker | null = null;
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (r: SealResult) => void; reject: (e: Error) => void }>();
  private idleTimer: NodeJS.Timeout | null = null;

  /**
   * `idleMs`: a worker with nothing to do for this long ends (its memory goes back to the system;
   * the next job starts a new one, in a few tens of milliseconds).
   */
  constructor(
    private readonly useWorker: boolean,
    private readonly idleMs = 2_000,
  ) {}

  run(job: SealJob): Promise<SealResult> {
    if (!this.useWorker) {
      try {
        return Promise.resolve(runSealJob(job));
      } catch (err) {
        return Promise.reject(err as Error);
      }
    }
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const worker = this.ensureWorker();
    const id = this.next++;
    worker.ref();
    return new Promise<SealResult>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, job }, transferables(job));
    }).finally(() => {
      if (this.waiting.size > 0) return;
      this.worker?.unref();
      this.idleTimer = setTimeout(() => {
        this.idleTimer = null;
        if (this.waiting.size === 0) void this.close();
      }, this.idleMs);
      this.idleTimer.unref();
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorker(import.meta.url, 'seal-worker');
    worker.on('message', (m: { id: number; ok: true; result: SealResult } | { id: number; ok: false; error: string }) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.ok) w.resolve(m.result);
      else w.reject(new Error(m.error));
    });
    const fail = (err: Error): void => {
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
      this.worker = null;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (this.worker === worker) fail(new Error(`the sealing worker exited (code ${code})`));
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }

  async close(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }
}
