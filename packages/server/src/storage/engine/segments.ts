/**
 * What a query reads of one agent: its segments, each a run of its rows in (timestamp, arrival)
 * order, either in the head (memory) or a chunk of a block (decoded on demand, through a cache of
 * decoded sections: blocks never change, so a decoded section never goes stale).
 */
import type { BlockReader, ChunkStrings, Section, TierSpec } from './block.js';
import type { Chunk } from './chunk-table.js';
import type { TierBuckets, TierColumn } from './tiers.js';
import type { AgentRows } from './rows.js';

/** The rollup tier of a segment: its buckets and the partials of a column. */
export interface SegmentTier {
  buckets: TierBuckets;
  column(name: string): TierColumn | null;
}

/** A run of one agent's rows. */
export interface AgentSegment {
  /** The block the segment is a chunk of; null for the head. */
  readonly block: number | null;
  readonly rows: number;
  readonly t0: number;
  readonly t1: number;
  /** Timestamps (at least `rows` long). */
  ts(): Float64Array;
  /** A column (NaN where absent), or null when no row of the segment has it. */
  column(name: string): Float64Array | null;
  /** The segment's tier of `spec`, or null when it keeps none (the head). */
  tier(spec: TierSpec): SegmentTier | null;
  /** Column names with values in the segment. */
  columnNames(): string[];
}

/**
 * An LRU of decoded sections, bounded by their approximate bytes. A key is a number: the block id
 * times 2^32 plus the section's offset (offsets stay below 2^32, block ids below 2^21), so a lookup
 * builds no string.
 */
export class SectionCache {
  private readonly entries = new Map<number, { value: unknown; bytes: number }>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** The key of a section of a block. */
  static key(block: number, offset: number): number {
    return block * 4_294_967_296 + offset;
  }

  get<T>(key: number, load: () => T, size: (value: T) => number): T {
    const hit = this.entries.get(key);
    if (hit) {
      // Recently used go last; refreshing on every hit costs two Map operations, so only now and then.
      if (++this.hits % 8 === 0) {
        this.entries.delete(key);
        this.entries.set(key, hit);
      }
      return hit.value as T;
    }
    const value = load();
    const bytes = size(value) + 64;
    if (bytes <= this.maxBytes / 4) {
      this.entries.set(key, { value, bytes });
      this.bytes += bytes;
      this.evict();
    }
    return value;
  }

  /** Adds to an entry what its value came to hold since it was cached (a tier's decoded columns). */
  grow(key: number, bytes: number): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.bytes += bytes;
    this.bytes += bytes;
    this.evict();
  }

  /** Drops the least recently used entries until the cache is within its bytes. */
  private evict(): void {
    while (this.bytes > this.maxBytes) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      const entry = this.entries.get(oldest.value);
      this.entries.delete(oldest.value);
      this.bytes -= entry?.bytes ?? 0;
    }
  }

  private hits = 0;

  /** Forgets every entry of a block (its file is going away). */
  dropBlock(blockId: number): void {
    const from = SectionCache.key(blockId, 0);
    const to = SectionCache.key(blockId + 1, 0);
    for (const [key, entry] of this.entries) {
      if (key >= from && key < to) {
        this.entries.delete(key);
        this.bytes -= entry.bytes;
      }
    }
  }

  get size(): number {
    return this.bytes;
  }
}

/** Rows of the head. */
export class HeadSegment implements AgentSegment {
  readonly block = null;
  constructor(readonly data: AgentRows) {}

  get rows(): number {
    return this.data.n;
  }
  get t0(): number {
    return this.data.ts[0] as number;
  }
  get t1(): number {
    return this.data.ts[this.data.n - 1] as number;
  }
  ts(): Float64Array {
    return this.data.ts;
  }
  column(name: string): Float64Array | null {
    return this.data.cols.get(name) ?? null;
  }
  tier(): SegmentTier | null {
    return null;
  }
  columnNames(): string[] {
    return [...this.data.cols.keys()];
  }
}

const floatBytes = (a: Float64Array | null): number => (a ? a.byteLength : 0);

/** A chunk of a block. */
export class ChunkSegment implements AgentSegment {
  constructor(
    readonly block: number,
    private readonly reader: BlockReader,
    readonly chunk: Chunk,
    private readonly cache: SectionCache,
    private readonly hasTiers: boolean,
  ) {}

  get rows(): number {
    return this.chunk.r;
  }
  get t0(): number {
    return this.chunk.t0;
  }
  get t1(): number {
    return this.chunk.t1;
  }

  private key(section: Section): number {
    return SectionCache.key(this.block, section[0]);
  }

  ts(): Float64Array {
    return this.cache.get(this.key(this.chunk.ts), () => this.reader.readTimestamps(this.chunk), floatBytes);
  }

  column(name: string): Float64Array | null {
    const section = this.chunk.column(name);
    if (!section) return null;
    return this.cache.get(this.key(section), () => this.reader.readColumn(this.chunk, name), floatBytes);
  }

  tier(spec: TierSpec): SegmentTier | null {
    if (!this.hasTiers) return null;
    const ref = this.chunk.tier(spec.name);
    if (!ref) return null;
    // One entry per tier: its columns are decoded into it as they are asked, and counted as they are.
    const key = this.key(Array.isArray(ref) ? ref : ref.b);
    const cache = this.cache;
    const read = cache.get(
      key,
      () => {
        const loaded = this.reader.readTier(ref, spec.ms);
        loaded.onGrow = (bytes) => cache.grow(key, bytes);
        return loaded;
      },
      (t) => t.bytes,
    );
    return read;
  }

  columnNames(): string[] {
    return this.chunk.columnNames();
  }

  strings(): ChunkStrings {
    return this.cache.get(this.key(this.chunk.s), () => this.reader.readStrings(this.chunk), (s) => s.templates.length * 64);
  }
}
