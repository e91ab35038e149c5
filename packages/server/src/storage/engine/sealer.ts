/**
 * Sealing: the CPU-heavy half of the engine's maintenance, writing blocks. A head flush encodes
 * the frozen head's rows into a block per partition (fast deflate, no tiers: the block is
 * short-lived, a merge redoes both); a merge reads blocks, drops what retention and purges hid, and writes one
 * compressed block with rollup tiers. Jobs are plain data, so they run the same on a worker thread
 * (seal-worker.ts, the default: ingest keeps the main thread) or inline.
 */
import { rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BlockReader, BlockWriter, type TierSpec } from './block.js';
import { AgentRows } from './rows.js';
import { byCodePoint } from '../code-point-order.js';

/** Deflate level of head flushes (see BlockWriterOptions) and of merges. */
const FLUSH_DEFLATE_LEVEL = 1;
const MERGE_DEFLATE_LEVEL = 6;

/**
 * An agent's rows as they travel to the sealer: typed arrays cut to length (moved, not copied, to
 * the worker), strings as a dictionary and indexes, `extra` as one text (JSON text never holds a
 * raw line break), so the message costs a few copies of memory, not one object per row.
 */
export interface RowsMessage {
  agent: string;
  n: number;
  ts: Float64Array;
  cols: [string, Float64Array][];
  labels: { values: string[]; environment: Uint32Array; deploymentType: Uint32Array };
  extra: string;
  extraTemplates: boolean;
}

/** Writes the head's rows of each partition into a block. */
export interface FlushJob {
  kind: 'flush';
  blocks: { path: string; agents: RowsMessage[] }[];
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

/** The message form of a row set. */
export function toMessage(agent: string, rows: AgentRows): RowsMessage {
  const n = rows.n;
  const values: string[] = [];
  const ids = new Map<string, number>();
  const idOf = (v: string): number => {
    let id = ids.get(v);
    if (id === undefined) {
      id = values.length;
      ids.set(v, id);
      values.push(v);
    }
    return id;
  };
  const environment = new Uint32Array(n);
  const deploymentType = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    environment[i] = idOf(rows.environment[i] as string);
    deploymentType[i] = idOf(rows.deploymentType[i] as string);
  }
  return {
    agent,
    n,
    ts: rows.ts.slice(0, n),
    cols: [...rows.cols].map(([name, col]) => [name, col.slice(0, n)]),
    labels: { values, environment, deploymentType },
    extra: (n === rows.extra.length ? rows.extra : rows.extra.slice(0, n)).join('\n'),
    extraTemplates: rows.extraTemplates,
  };
}

/** The buffers a message can give away to the worker instead of having them copied. */
export function transferables(job: SealJob): ArrayBuffer[] {
  if (job.kind !== 'flush') return [];
  const out: ArrayBuffer[] = [];
  for (const block of job.blocks) {
    for (const m of block.agents) {
      out.push(m.ts.buffer as ArrayBuffer, m.labels.environment.buffer as ArrayBuffer, m.labels.deploymentType.buffer as ArrayBuffer);
      for (const [, col] of m.cols) out.push(col.buffer as ArrayBuffer);
    }
  }
  return out;
}

function fromMessage(m: RowsMessage): AgentRows {
  const rows = new AgentRows(Math.max(8, m.n));
  rows.n = m.n;
  rows.ts.set(m.ts);
  for (const [name, col] of m.cols) rows.column(name).set(col);
  rows.environment = Array.from(m.labels.environment, (i) => m.labels.values[i] as string);
  rows.deploymentType = Array.from(m.labels.deploymentType, (i) => m.labels.values[i] as string);
  rows.extra = m.n === 0 ? [] : m.extra.split('\n');
  rows.extraTemplates = m.extraTemplates;
  return rows;
}

/** Runs a job in this thread. */
export function runSealJob(job: SealJob): SealResult {
  if (job.kind === 'flush') {
    for (const block of job.blocks) {
      const writer = new BlockWriter(`${block.path}.tmp`, block.path, { tiers: [], deflateLevel: FLUSH_DEFLATE_LEVEL });
      try {
        for (const agent of block.agents) writer.addChunk(agent.agent, fromMessage(agent));
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
        parts.push(AgentRows.fromChunk(reader, chunk));
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
    private readonly idleMs = 10_000,
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
    const here = fileURLToPath(import.meta.url);
    let worker: Worker;
    if (here.endsWith('.ts')) {
      // Run from sources (tests, `npm run bench`): the worker is TypeScript too, loaded through
      // tsx, whose hooks a worker thread does not inherit.
      const entry = pathToFileURL(here.replace(/sealer\.ts$/, 'seal-worker.ts')).href;
      const tsx = import.meta.resolve('tsx/esm/api');
      worker = new Worker(`import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`, { eval: true });
    } else {
      worker = new Worker(here.replace(/sealer\.js$/, 'seal-worker.js'));
    }
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
