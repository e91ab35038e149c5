/**
 * A block's chunk list as a reader keeps it for as long as the block is open.
 *
 * The index file lists each chunk's columns as an object of sections and an object of latest
 * values, each entry a small array (`[offset, length]`, `[ts, value]`). Parsed as such, a block of
 * 1,000 agents with 28 columns each held about 60,000 small arrays, 3.6 MiB of heap (a heap
 * snapshot under load: 400,000 arrays, a quarter of the live heap, for the blocks of two hours),
 * kept while the block is, every one of them marked by each full collection; a fleet keeping 30
 * day blocks would hold over 100 MiB of them. Here the chunks of a block share a few typed arrays:
 * 36 bytes a column and about 130 a chunk, 1.0 MiB for the same block.
 */
import { CorruptData } from './bytes.js';
import type { ChunkIndex, Section, TierIndex, TierRef } from './block.js';

/** Per column of a chunk, in `cols`: offset, length, latest value's timestamp, latest value. */
const COL = 4;
/** Per chunk, in `fixed`: the timestamps' section and the strings' section. */
const FIXED = 4;

/** JSON cannot carry -0: the writer puts "-0" for it. */
function jsonValue(v: number | string): number {
  return typeof v === 'string' ? Number(v) : v;
}

/** The chunks of one block, compact (see the module's comment). */
export class ChunkTable {
  /** The block's column names; a chunk refers to its columns by their index here. */
  private readonly names: string[] = [];
  private readonly nameIds = new Map<string, number>();
  /** The block's tier names, in the order of `tiers`. */
  private readonly tierNames: string[] = [];
  /** Where each chunk's columns start in `ids` (and, times COL, in `cols`); one past the end last. */
  readonly first: Uint32Array;
  readonly ids: Uint32Array;
  readonly cols: Float64Array;
  readonly fixed: Float64Array;
  /** Per chunk and tier: a version 2 tier's section (offset, length), NaN when it has none. */
  private readonly tiers: Float64Array;
  /** Version 1 tiers (an object each), by chunk * tierNames.length + tier. */
  private readonly oldTiers = new Map<number, TierIndex>();
  readonly chunks = new Map<string, Chunk>();

  constructor(list: readonly ChunkIndex[]) {
    let columns = 0;
    const tierIds = new Map<string, number>();
    for (const chunk of list) {
      for (const name in chunk.c) {
        columns++;
        if (!this.nameIds.has(name)) {
          this.nameIds.set(name, this.names.length);
          this.names.push(name);
        }
      }
      for (const name in chunk.t) {
        if (tierIds.has(name)) continue;
        tierIds.set(name, this.tierNames.length);
        this.tierNames.push(name);
      }
    }
    const tierCount = this.tierNames.length;
    this.first = new Uint32Array(list.length + 1);
    this.ids = new Uint32Array(columns);
    this.cols = new Float64Array(columns * COL);
    this.fixed = new Float64Array(list.length * FIXED);
    this.tiers = new Float64Array(list.length * tierCount * 2).fill(Number.NaN);
    let at = 0;
    list.forEach((chunk, i) => {
      this.first[i] = at;
      this.fixed.set([chunk.ts[0], chunk.ts[1], chunk.s[0], chunk.s[1]], i * FIXED);
      for (const name in chunk.c) {
        const section = chunk.c[name] as Section;
        const latest = chunk.l[name];
        if (!latest) throw new CorruptData(`block index: column ${name} of ${chunk.a} has no latest value`);
        this.ids[at] = this.nameIds.get(name) as number;
        this.cols.set([section[0], section[1], latest[0], jsonValue(latest[1])], at * COL);
        at++;
      }
      for (const name in chunk.t) {
        const ref = chunk.t[name] as TierRef;
        const slot = i * tierCount + (tierIds.get(name) as number);
        if (Array.isArray(ref)) this.tiers.set(ref, slot * 2);
        else this.oldTiers.set(slot, ref);
      }
      if (this.chunks.has(chunk.a)) throw new CorruptData(`block index: agent ${chunk.a} has two chunks`);
      this.chunks.set(chunk.a, new Chunk(this, i, chunk.a, chunk.r, chunk.t0, chunk.t1));
    });
    this.first[list.length] = at;
  }

  /** The id of a column name in this block, or -1. */
  nameId(name: string): number {
    return this.nameIds.get(name) ?? -1;
  }

  nameOf(id: number): string {
    return this.names[id] as string;
  }

  /** A chunk's tier of `name`, or undefined. */
  tier(chunk: number, name: string): TierRef | undefined {
    const k = this.tierNames.indexOf(name);
    if (k < 0) return undefined;
    const slot = chunk * this.tierNames.length + k;
    const offset = this.tiers[slot * 2] as number;
    if (!Number.isNaN(offset)) return [offset, this.tiers[slot * 2 + 1] as number];
    return this.oldTiers.get(slot);
  }
}

/** One agent's chunk of a block: where its sections lie, and each column's latest value. */
export class Chunk {
  constructor(
    private readonly table: ChunkTable,
    private readonly i: number,
    /** Agent id. */
    readonly a: string,
    /** Rows (payloads). */
    readonly r: number,
    /** First and last timestamp. */
    readonly t0: number,
    readonly t1: number,
  ) {}

  /** The timestamps' section. */
  get ts(): Section {
    const f = this.table.fixed;
    return [f[this.i * FIXED] as number, f[this.i * FIXED + 1] as number];
  }

  /** The strings' section: environment, deployment type and `extra` templates. */
  get s(): Section {
    const f = this.table.fixed;
    return [f[this.i * FIXED + 2] as number, f[this.i * FIXED + 3] as number];
  }

  /** The section of a column, or undefined when no row of the chunk has it. */
  column(name: string): Section | undefined {
    const id = this.table.nameId(name);
    if (id < 0) return undefined;
    const { first, ids, cols } = this.table;
    for (let k = first[this.i] as number, end = first[this.i + 1] as number; k < end; k++) {
      if (ids[k] === id) return [cols[k * COL] as number, cols[k * COL + 1] as number];
    }
    return undefined;
  }

  /** The chunk's column names, in the order of its index. */
  columnNames(): string[] {
    const { first, ids } = this.table;
    const out: string[] = [];
    for (let k = first[this.i] as number, end = first[this.i + 1] as number; k < end; k++) out.push(this.table.nameOf(ids[k] as number));
    return out;
  }

  /** Calls `fn` with each column's latest value and its timestamp (ties: the larger value). */
  forEachLatest(fn: (name: string, ts: number, value: number) => void): void {
    const { first, ids, cols } = this.table;
    for (let k = first[this.i] as number, end = first[this.i + 1] as number; k < end; k++) {
      fn(this.table.nameOf(ids[k] as number), cols[k * COL + 2] as number, cols[k * COL + 3] as number);
    }
  }

  /** The chunk's tier of `name`, or undefined (a head flush keeps none per chunk). */
  tier(name: string): TierRef | undefined {
    return this.table.tier(this.i, name);
  }
}
