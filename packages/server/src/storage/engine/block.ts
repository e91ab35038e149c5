/**
 * Blocks: the engine's sealed, immutable files. A block holds the payloads of one time partition
 * (a UTC day) that one head flush or one compaction produced, as a chunk per agent, each chunk a set
 * of sections: timestamps, a section per column, the strings (environment, deployment type, the
 * templates of `extra`), and per rollup tier one section holding the bucket list and every column;
 * then the fleet tiers of the whole block, an index (JSON, packed) and a footer.
 *
 * A tier is one section (version 2) because it is read whole: a chart of one agent asks its
 * buckets and a column or two, and a merge writes every column. As a section each (version 1,
 * still read), each cost a read, a checksum and an inflate of a few hundred bytes, where zlib's
 * per-call cost dominates: 46,000 tier sections were two thirds of a merge's deflate calls for
 * 1,000 agents. The names of the tiers' columns are listed once in the index (`n`).
 *
 * Every section is packed (codec.ts) and followed by its CRC-32, checked when it is read. A block is
 * written to a temporary name, fsynced, then renamed, so a crash never leaves a torn block behind
 * under its real name; the manifest (manifest.ts) names the blocks that exist.
 *
 *   [magic "AMSB" u8 version 3x0] [section]... [index] [footer: f64 indexOffset, u32 indexLength, u32 indexCrc, magic]
 */
import { closeSync, fsyncSync, openSync, readSync, renameSync, writeSync, fstatSync } from 'node:fs';
import { ByteReader, ByteWriter, CorruptData, crc32 } from './bytes.js';
import { decodeColumn, decodeTimestamps, decodeUints, encodeColumn, encodeTimestamps, encodeUints, pack, unpack } from './codec.js';
import { AgentRows } from './rows.js';
import { computeTier, decodeTierBuckets, decodeTierColumn, encodeTierBuckets, encodeTierColumn, TierMerger, type TierBuckets, type TierColumn, type TierTable } from './tiers.js';
import { extraTemplate } from './extra.js';
import { ChunkTable, type Chunk } from './chunk-table.js';
import { CUSTOM_METRIC_PREFIX } from '@agentmon/schema';

const MAGIC = Buffer.from('AMSB', 'latin1');
/** Written: tiers as one section each. Read: this and 1 (tiers as a section per column). */
const VERSION = 2;
const FOOTER_BYTES = 20;

/** Where a section lies in its block file: offset and length (packed bytes + CRC). */
export type Section = [offset: number, length: number];

/** A rollup tier of a width, as a block keeps it. */
export interface TierSpec {
  name: string;
  ms: number;
}

/** A tier in a version 1 block: its bucket list and a section per column. */
export interface TierIndex {
  b: Section;
  c: Record<string, Section>;
}

/** Where a tier lies: one section (version 2: buckets, then each column) or a TierIndex (version 1). */
export type TierRef = Section | TierIndex;

/** A block's index without its chunk list: what a reader keeps of it beside its ChunkTable. */
export type BlockHeader = Omit<BlockIndex, 'chunks'>;

/** The index of a chunk as the file lists it: one agent's rows in the block (a reader keeps it as a Chunk). */
export interface ChunkIndex {
  /** Agent id. */
  a: string;
  /** Rows (payloads). */
  r: number;
  /** First and last timestamp. */
  t0: number;
  t1: number;
  ts: Section;
  /** Environment, deployment type and `extra` templates: dictionaries and per-row indexes. */
  s: Section;
  /** A section per column. */
  c: Record<string, Section>;
  /** Per column, the latest value's timestamp and the value (ties: larger), for the latest-value cache. */
  l: Record<string, [number, number | string]>;
  /** Tiers by name. */
  t: Record<string, TierRef>;
}

/** A block's index as the file holds it. */
export interface BlockIndex {
  v: number;
  /** Rows and time range of the whole block. */
  r: number;
  t0: number;
  t1: number;
  chunks: ChunkIndex[];
  /** Fleet tiers: every chunk's tier merged. */
  f: Record<string, TierRef>;
  /** Version 2: the names of the tiers' columns; a tier section names its columns by index here. */
  n?: string[];
}

/** JSON cannot carry -0: it is written as the string "-0" (chunk-table.ts reads it back). */
function jsonNumber(v: number): number | string {
  return Object.is(v, -0) ? '-0' : v;
}

/** How a block is written. */
export interface BlockWriterOptions {
  /** Rollup tiers to keep per chunk and for the block (none: queries read its raw rows). */
  tiers: readonly TierSpec[];
  /**
   * False: the tiers for the whole block only (the fleet's), none per chunk. A head flush keeps
   * these: written uncompressed, per-chunk tiers took three times the bytes of the rows for a fleet
   * reporting every 2 min, for a block a merge soon replaces; the fleet's take a few kilobytes and
   * spare a fleet-wide chart from decoding every agent's chunk (100 ms against 7 for a day of
   * 1,000 agents, right after a load). Default true.
   */
  chunkTiers?: boolean;
  /** Deflate level of the sections that shrink by it (0: none; merged blocks, which stay, take 6). */
  deflateLevel: number;
}

/** Bytes gathered before they are written to the file. */
const WRITE_BUFFER = 4 * 1024 * 1024;

/** Writes a block file section by section; `finish` makes it durable under its final name. */
export class BlockWriter {
  private readonly fd: number;
  private offset = 0;
  private readonly chunks: ChunkIndex[] = [];
  private readonly fleet = new Map<string, TierMerger>();
  private rows = 0;
  private t0 = Number.POSITIVE_INFINITY;
  private t1 = Number.NEGATIVE_INFINITY;
  private readonly scratch = new ByteWriter(1 << 16);
  /** One tier column's bytes, before its length is known. */
  private readonly columnScratch = new ByteWriter(1 << 12);
  /** Tier column names by their index in the block's `n`. */
  private readonly tierNames = new Map<string, number>();
  private readonly tiers: readonly TierSpec[];
  private readonly chunkTiers: boolean;
  private readonly level: number;
  /** Sections not yet written, and the offset in the file where they start. */
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private written = 0;

  constructor(
    private readonly tmpPath: string,
    private readonly finalPath: string,
    options: BlockWriterOptions,
  ) {
    this.tiers = options.tiers;
    this.chunkTiers = options.chunkTiers ?? true;
    this.level = options.deflateLevel;
    this.fd = openSync(tmpPath, 'w');
    const header = Buffer.alloc(8);
    MAGIC.copy(header, 0);
    header[4] = VERSION;
    this.write(header);
    for (const tier of this.tiers) this.fleet.set(tier.name, new TierMerger());
  }

  private write(data: Uint8Array): void {
    this.pending.push(data);
    this.pendingBytes += data.length;
    this.offset += data.length;
    if (this.pendingBytes >= WRITE_BUFFER) this.drain();
  }

  private drain(): void {
    if (this.pendingBytes === 0) return;
    const data = this.pending.length === 1 ? (this.pending[0] as Uint8Array) : Buffer.concat(this.pending, this.pendingBytes);
    let done = 0;
    while (done < data.length) done += writeSync(this.fd, data, done, data.length - done, this.written + done);
    this.written += data.length;
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Packs what `fill` encodes, writes it with its CRC, and returns where it went. */
  private section(fill: (w: ByteWriter) => void): Section {
    const w = this.scratch;
    w.length = 0;
    fill(w);
    const packed = pack(w.view8(), this.level);
    const crc = Buffer.allocUnsafe(4);
    crc.writeUInt32LE(crc32(packed), 0);
    const at = this.offset;
    this.write(packed);
    this.write(crc);
    return [at, packed.length + 4];
  }

  /** Adds an agent's rows (sorted by timestamp, then arrival); empty row sets are skipped. */
  addChunk(agent: string, rows: AgentRows): void {
    const n = rows.n;
    if (n === 0) return;
    const ts = rows.ts;
    const chunk: ChunkIndex = { a: agent, r: n, t0: ts[0] as number, t1: ts[n - 1] as number, ts: [0, 0], s: [0, 0], c: {}, l: {}, t: {} };
    chunk.ts = this.section((w) => encodeTimestamps(ts, n, w));
    const columns = new Map<string, Float64Array>();
    for (const [name, col] of rows.cols) {
      let any = false;
      for (let i = 0; i < n && !any; i++) any = !Number.isNaN(col[i]);
      if (any) columns.set(name, col);
    }
    const names = [...columns.keys()].sort();
    for (const name of names) {
      const col = columns.get(name) as Float64Array;
      chunk.c[name] = this.section((w) => encodeColumn(col, n, w));
      let lastTs = Number.NEGATIVE_INFINITY;
      let last = 0;
      for (let i = 0; i < n; i++) {
        const v = col[i] as number;
        if (Number.isNaN(v)) continue;
        const t = ts[i] as number;
        if (t > lastTs || (t === lastTs && v > last)) {
          lastTs = t;
          last = v;
        }
      }
      chunk.l[name] = [lastTs, jsonNumber(last)];
    }
    chunk.s = this.section((w) => encodeStrings(rows, n, w));
    for (const tier of this.tiers) {
      const table = computeTier(ts, n, columns, tier.ms);
      if (this.chunkTiers) chunk.t[tier.name] = this.tierSection(table, tier.ms);
      (this.fleet.get(tier.name) as TierMerger).add(table);
    }
    this.chunks.push(chunk);
    this.rows += n;
    this.t0 = Math.min(this.t0, chunk.t0);
    this.t1 = Math.max(this.t1, chunk.t1);
  }

  /** A tier as one section: its buckets, the column count, then per column its name's index, length and bytes. */
  private tierSection(table: TierTable, width: number): Section {
    return this.section((w) => {
      encodeTierBuckets(table.buckets, width, w);
      w.uvarint(table.cols.size);
      const c = this.columnScratch;
      for (const [name, col] of table.cols) {
        let id = this.tierNames.get(name);
        if (id === undefined) {
          id = this.tierNames.size;
          this.tierNames.set(name, id);
        }
        c.length = 0;
        encodeTierColumn(col, table.buckets, width, c);
        w.uvarint(id);
        w.uvarint(c.length);
        w.bytes(c.view8());
      }
    });
  }

  /** Chunks added so far. */
  get chunkCount(): number {
    return this.chunks.length;
  }

  /** Writes the fleet tiers, the index and the footer, fsyncs and renames; returns the index. */
  finish(): BlockIndex {
    const f: Record<string, TierRef> = {};
    for (const tier of this.tiers) f[tier.name] = this.tierSection((this.fleet.get(tier.name) as TierMerger).table(), tier.ms);
    const index: BlockIndex = { v: VERSION, r: this.rows, t0: this.t0, t1: this.t1, chunks: this.chunks, f, n: [...this.tierNames.keys()] };
    const packed = pack(Buffer.from(JSON.stringify(index), 'utf8'), 6);
    const indexOffset = this.offset;
    this.write(packed);
    const footer = Buffer.alloc(FOOTER_BYTES);
    footer.writeDoubleLE(indexOffset, 0);
    footer.writeUInt32LE(packed.length, 8);
    footer.writeUInt32LE(crc32(packed), 12);
    MAGIC.copy(footer, 16);
    this.write(footer);
    this.drain();
    fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.tmpPath, this.finalPath);
    return index;
  }

  /** Closes without finishing (the caller removes the temporary file). */
  abort(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}

/**
 * The strings of a chunk: dictionaries of environments, deployment types and `extra` templates,
 * and per row the index of each (left out when a dictionary has one entry).
 */
function encodeStrings(rows: AgentRows, n: number, w: ByteWriter): void {
  const dictionary = (values: readonly string[]): void => {
    const ids = new Map<string, number>();
    const idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i] as string;
      let id = ids.get(v);
      if (id === undefined) {
        id = ids.size;
        ids.set(v, id);
      }
      idx[i] = id;
    }
    w.uvarint(ids.size);
    for (const v of ids.keys()) w.str(v);
    if (ids.size > 1) encodeUints(idx, n, w);
  };
  dictionary(rows.environment);
  dictionary(rows.deploymentType);
  const templates: string[] = rows.extraTemplates ? rows.extra : new Array<string>(n);
  for (let i = 0; i < n && !rows.extraTemplates; i++) {
    const row = i;
    templates[i] = extraTemplate(rows.extra[i] as string, (key) => {
      const col = rows.cols.get(CUSTOM_METRIC_PREFIX + key);
      const v = col ? (col[row] as number) : Number.NaN;
      return Number.isNaN(v) ? undefined : v;
    });
  }
  dictionary(templates);
}

/** The strings of a chunk, per row. */
export interface ChunkStrings {
  environment: string[];
  deploymentType: string[];
  /** `extra` templates (extra.ts), to be filled from the row's custom columns. */
  templates: string[];
}

export function decodeStrings(data: Uint8Array, n: number): ChunkStrings {
  const r = new ByteReader(data);
  const dictionary = (): string[] => {
    const size = r.uvarint();
    const values: string[] = [];
    for (let i = 0; i < size; i++) values.push(r.str());
    if (size <= 1) return new Array<string>(n).fill(values[0] ?? '');
    const idx = new Uint32Array(n);
    decodeUints(r, n, idx);
    return Array.from(idx, (i) => {
      const v = values[i];
      if (v === undefined) throw new CorruptData(`string index ${i} of ${size}`);
      return v;
    });
  };
  return { environment: dictionary(), deploymentType: dictionary(), templates: dictionary() };
}

/** An open block: its index, and section reads checked against their CRC. */
export class BlockReader {
  /** The chunks by agent, in the index's order. */
  readonly chunks: ReadonlyMap<string, Chunk>;
  /** The index but for its chunk list, which `chunks` holds compactly. */
  readonly index: BlockHeader;

  private constructor(
    readonly path: string,
    private readonly fd: number,
    index: BlockIndex,
    readonly bytes: number,
  ) {
    const { chunks, ...header } = index;
    this.chunks = new ChunkTable(chunks).chunks;
    this.index = header;
  }

  /** Opens a block and reads its index; throws CorruptData when the file is not a whole block. */
  static open(path: string): BlockReader {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size < 8 + FOOTER_BYTES) throw new CorruptData(`${path}: ${size} bytes is too short for a block`);
      const footer = Buffer.alloc(FOOTER_BYTES);
      readSync(fd, footer, 0, FOOTER_BYTES, size - FOOTER_BYTES);
      if (!footer.subarray(16).equals(MAGIC)) throw new CorruptData(`${path}: no block footer`);
      const indexOffset = footer.readDoubleLE(0);
      const indexLength = footer.readUInt32LE(8);
      if (indexOffset + indexLength + FOOTER_BYTES !== size) throw new CorruptData(`${path}: index bounds do not match the file`);
      const packed = Buffer.alloc(indexLength);
      readSync(fd, packed, 0, indexLength, indexOffset);
      if (crc32(packed) !== footer.readUInt32LE(12)) throw new CorruptData(`${path}: index checksum mismatch`);
      const index = JSON.parse(Buffer.from(unpack(packed)).toString('utf8')) as BlockIndex;
      if (index.v !== VERSION && index.v !== 1) throw new CorruptData(`${path}: block version ${index.v}`);
      return new BlockReader(path, fd, index, size);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** The unpacked bytes of a section, its CRC checked. */
  read(section: Section): Uint8Array {
    const [offset, length] = section;
    if (length < 5) throw new CorruptData(`${this.path}: section at ${offset} is ${length} bytes`);
    const buf = Buffer.allocUnsafe(length);
    const got = readSync(this.fd, buf, 0, length, offset);
    if (got !== length) throw new CorruptData(`${this.path}: section at ${offset} ends early`);
    const packed = buf.subarray(0, length - 4);
    if (crc32(packed) !== buf.readUInt32LE(length - 4)) throw new CorruptData(`${this.path}: section at ${offset} fails its checksum`);
    return unpack(packed);
  }

  readTimestamps(chunk: Chunk): Float64Array {
    const out = new Float64Array(chunk.r);
    decodeTimestamps(new ByteReader(this.read(chunk.ts)), chunk.r, out);
    return out;
  }

  /** Every row of a chunk, `extra` as templates (what a merge reads). */
  readRows(chunk: Chunk): AgentRows {
    const rows = new AgentRows(Math.max(8, chunk.r));
    rows.n = chunk.r;
    rows.ts.set(this.readTimestamps(chunk));
    for (const name of chunk.columnNames()) {
      const col = this.readColumn(chunk, name);
      if (col) rows.column(name).set(col);
    }
    const strings = this.readStrings(chunk);
    rows.environment = strings.environment;
    rows.deploymentType = strings.deploymentType;
    rows.extra = strings.templates;
    rows.extraTemplates = true;
    return rows;
  }

  /** A column of a chunk (NaN where absent), or null when no row of the chunk has it. */
  readColumn(chunk: Chunk, name: string): Float64Array | null {
    const section = chunk.column(name);
    if (!section) return null;
    const out = new Float64Array(chunk.r);
    decodeColumn(new ByteReader(this.read(section)), chunk.r, out);
    return out;
  }

  readStrings(chunk: Chunk): ChunkStrings {
    return decodeStrings(this.read(chunk.s), chunk.r);
  }

  /** A tier: its buckets now, each column when first asked (TierRead.column). */
  readTier(ref: TierRef, width: number): TierRead {
    if (!Array.isArray(ref)) return new SectionsTier(this, ref, width);
    const bytes = this.read(ref);
    const r = new ByteReader(bytes);
    const buckets = decodeTierBuckets(r, width);
    const names = this.index.n ?? [];
    const columns = new Map<string, [start: number, end: number]>();
    const count = r.uvarint();
    for (let i = 0; i < count; i++) {
      const name = names[r.uvarint()];
      const length = r.uvarint();
      if (name === undefined) throw new CorruptData(`${this.path}: tier section at ${ref[0]} names column ${i} out of the index's list`);
      columns.set(name, [r.pos, r.pos + length]);
      r.bytes(length);
    }
    return new GroupedTier(bytes, buckets, columns, width);
  }

  /** True when `test` holds for every chunk (no array of them built). */
  everyChunk(test: (chunk: Chunk) => boolean): boolean {
    for (const chunk of this.chunks.values()) if (!test(chunk)) return false;
    return true;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * A tier as read: its buckets, and each column decoded when first asked and kept. `bytes` is what
 * it holds so far; `onGrow` hears what each decoded column adds (a cache keeping the read counts it).
 */
export abstract class TierRead {
  private readonly decoded = new Map<string, TierColumn | null>();
  onGrow: ((bytes: number) => void) | null = null;

  constructor(
    readonly buckets: TierBuckets,
    private held: number,
  ) {}

  get bytes(): number {
    return this.held;
  }

  column(name: string): TierColumn | null {
    let col = this.decoded.get(name);
    if (col === undefined) {
      col = this.decode(name);
      this.decoded.set(name, col);
      const added = (col ? col.n.byteLength * 6 : 0) + 64;
      this.held += added;
      this.onGrow?.(added);
    }
    return col;
  }

  abstract names(): string[];
  protected abstract decode(name: string): TierColumn | null;
}

/** A version 2 tier: one section, read whole. */
class GroupedTier extends TierRead {
  constructor(
    private readonly data: Uint8Array,
    buckets: TierBuckets,
    private readonly columns: ReadonlyMap<string, [start: number, end: number]>,
    private readonly width: number,
  ) {
    super(buckets, data.byteLength + buckets.starts.byteLength * 2);
  }

  protected decode(name: string): TierColumn | null {
    const at = this.columns.get(name);
    if (!at) return null;
    return decodeTierColumn(new ByteReader(this.data, at[0], at[1]), this.buckets, this.width);
  }

  names(): string[] {
    return [...this.columns.keys()];
  }
}

/** A version 1 tier: a section for the buckets and one per column, each read when asked. */
class SectionsTier extends TierRead {
  constructor(
    private readonly reader: BlockReader,
    private readonly index: TierIndex,
    private readonly width: number,
  ) {
    const buckets = decodeTierBuckets(new ByteReader(reader.read(index.b)), width);
    super(buckets, buckets.starts.byteLength * 2);
  }

  protected decode(name: string): TierColumn | null {
    const section = this.index.c[name];
    if (!section) return null;
    return decodeTierColumn(new ByteReader(this.reader.read(section)), this.buckets, this.width);
  }

  names(): string[] {
    return Object.keys(this.index.c);
  }
}
