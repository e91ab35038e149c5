/**
 * SeriesEngine: agentmon's own time-series store, the embedded default (docs/series-engine.md).
 *
 * Write path: a batch is checked, appended to the write-ahead log as one record (group commit,
 * fdatasync), and once durable applied to the head: per agent, its recent payloads column-wise in
 * memory (rows.ts). The head is flushed into a block (block.ts) per UTC-day partition when it holds
 * `headMaxRows` payloads, when ingest pauses with at least `idleFlushRows`, or when its oldest row
 * is `maxHeadAgeMs` old; then the manifest moves the log's checkpoint past the flushed segments,
 * which are deleted. Blocks of a partition are merged (compaction) into larger ones, level by
 * level, and into one when the partition has been quiet for `quietMergeMs`.
 *
 * Deletions: retention sets an agent's cut (rows before it are gone, in every segment), deleting an
 * agent hides it in every existing block and drops it from the head; both are log records, so they
 * survive a crash, and the next manifest carries them. A block whose rows are all gone is deleted;
 * compaction drops the hidden rows of the blocks it merges.
 *
 * Reads: query.ts over the head and the blocks' chunks; the rollup tiers of the blocks for whole
 * tier buckets; and the latest value of every series, kept in memory, for `last` without interval.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CUSTOM_METRIC_PREFIX, SERIES_METRIC_NAMES, isSeriesMetricName } from '@agentmon/schema';
import { StoreBusyError, type LatestTable, type SeriesBacklog, type SeriesPoint, type SeriesQuery, type SeriesRow, type SeriesStore } from '../ports.js';
import { describePlan, planRollup, ROLLUP_TIERS, type SeriesPlan } from '../rollup-plan.js';
import { bucketStart } from './aggregate.js';
import { BlockReader, type TierSpec } from './block.js';
import { CorruptData } from './bytes.js';
import { fillTemplate } from './extra.js';
import { emptyManifest, readManifest, writeManifest, type BlockEntry, type Manifest } from './manifest.js';
import { compareIds, queryMetrics, runQuery, type FleetTier, type QuerySource } from './query.js';
import type { TierColumn, TierTable } from './tiers.js';
import { decodeRecord, encodeCut, encodeInsert, encodePurge, toPointRow, type PointRow } from './records.js';
import { AgentRows, ColumnSlab } from './rows.js';
import { AgentLatest, columnOf, type LatestColumn } from './latest.js';
import { ChunkSegment, HeadSegment, SectionCache, type AgentSegment } from './segments.js';
import { packRows, Sealer } from './sealer.js';
import { listSegments, readSegment, WriteAheadLog } from './wal.js';

const DAY_MS = 86_400_000;
const TIERS: readonly TierSpec[] = ROLLUP_TIERS;

/** Something the engine reports: background work that failed, a torn log tail, import progress. */
export type EngineLog = (level: 'info' | 'warn' | 'error', message: string, data?: Record<string, unknown>) => void;

/** Options of the engine; the defaults suit a fleet of thousands of agents on one machine. */
export interface SeriesEngineOptions {
  /** Directory of the engine's files (created when missing). */
  dir: string;
  /** False: queries read raw rows only (tiers are still kept). For comparisons; default true. */
  readRollups?: boolean;
  /** Flush the head when it holds this many payloads (default 50,000). */
  headMaxRows?: number;
  /**
   * Refuse inserts (StoreBusyError, HTTP 503) while the head and the head being flushed hold this
   * many payloads: flushes are not keeping up, and memory must stay bounded (default 4 x headMaxRows).
   */
  headLimitRows?: number;
  /** Refuse inserts while this many bytes wait for the write-ahead log's disk (default 64 MiB). */
  logBacklogBytes?: number;
  /** Flush the head when ingest pauses for `idleFlushMs` and it holds at least this many payloads (default 5,000). */
  idleFlushRows?: number;
  /** How long ingest must pause before an idle flush (default 2,000 ms). */
  idleFlushMs?: number;
  /** Flush the head when its oldest payload arrived this long ago (default 10 min). */
  maxHeadAgeMs?: number;
  /** Blocks of one level merged at a time (default 4). */
  mergeFanIn?: number;
  /** Seal a partition's fresh flush blocks into one (compressed, with tiers) after it received no flush for this long (default 5 s). */
  quietMergeMs?: number;
  /** Merge all of a partition's blocks into one after it received no flush for this long (default 10 min). */
  coldMergeMs?: number;
  /** Bytes of decoded sections kept for reuse (default 24 MiB). */
  cacheBytes?: number;
  /** Run flushes and merges on timers (default true); tests drive them with maintain(). */
  background?: boolean;
  /** Encode and compress blocks on a worker thread (default true), off the server's event loop. */
  sealInWorker?: boolean;
  /** Runs flush and merge jobs (default: a Sealer); tests pass one that stalls or fails. */
  sealer?: Pick<Sealer, 'run' | 'close'>;
  log?: EngineLog;
}

interface OpenBlock {
  entry: BlockEntry;
  reader: BlockReader;
  /** Its fleet tiers, decoded on first use (blocks never change). */
  fleet?: Map<string, TierTable>;
}

/** Agentmon's embedded time-series engine. */
export class SeriesEngine implements SeriesStore {
  private readonly dir: string;
  private readonly blocksDir: string;
  private readonly walDir: string;
  private manifest: Manifest = emptyManifest();
  private readonly blocks = new Map<number, OpenBlock>();
  /** Block ids in arrival order (by their first flush sequence number). */
  private order: number[] = [];
  private head = new Map<string, AgentRows>();
  /** The head being sealed into blocks by a flush: still read until its blocks are in place. */
  private frozen: Map<string, AgentRows> | null = null;
  /** Where the head's columns come from: one per head, dropped with it (rows.ts). */
  private headSlab = new ColumnSlab();
  /** Agents purged since start, in order: a flush or merge learns which were purged while it ran. */
  private readonly purgeLog: string[] = [];
  /** Blocks a merge is reading (not deleted under it). */
  private readonly merging = new Set<number>();
  private readonly sealer: Pick<Sealer, 'run' | 'close'>;
  private headRows = 0;
  /** Per agent, its rows in the head when it was last flushed: the next head's starting size. */
  private readonly lastHeadSize = new Map<string, number>();
  private headSince = 0;
  private lastInsertAt = 0;
  /** Payloads inserted per second recently (the merge budget's clock), and what a merge costs per payload. */
  private readonly ingestRate = new RecentRate(10_000);
  private mergeMsPerRow = 0.05;
  private wal: WriteAheadLog | null = null;
  private readonly latest = new Map<string, AgentLatest>();
  private readonly counts = new Map<string, number>();
  private totalRows = 0;
  private readonly cache: SectionCache;
  private plan: SeriesPlan | null = null;
  private opened = false;
  private closed = false;
  private maintaining: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly options: Required<Omit<SeriesEngineOptions, 'log' | 'sealer' | 'headLimitRows'>> & { log: EngineLog; headLimitRows: number };
  /** Partition -> when it last received a flush (ms since epoch, wall clock). */
  private readonly partitionTouched = new Map<number, number>();
  private readonly lockPath: string;

  constructor(options: SeriesEngineOptions) {
    this.options = {
      readRollups: true,
      headMaxRows: 50_000,
      idleFlushRows: 5_000,
      idleFlushMs: 2_000,
      maxHeadAgeMs: 600_000,
      mergeFanIn: 4,
      quietMergeMs: 5_000,
      coldMergeMs: 600_000,
      cacheBytes: 24 * 1024 * 1024,
      background: true,
      sealInWorker: true,
      logBacklogBytes: 64 * 1024 * 1024,
      log: () => undefined,
      ...options,
      headLimitRows: options.headLimitRows ?? 4 * (options.headMaxRows ?? 50_000),
    };
    this.dir = options.dir;
    this.blocksDir = join(this.dir, 'blocks');
    this.walDir = join(this.dir, 'wal');
    this.lockPath = join(this.dir, 'LOCK');
    this.cache = new SectionCache(this.options.cacheBytes);
    this.sealer = options.sealer ?? new Sealer(this.options.sealInWorker);
  }

  /** A view of the same data that reads raw rows only (the contract compares tiers with it). */
  rawView(): SeriesStore {
    return new RawView(this);
  }

  /** What the last query read: raw rows only, or a rollup tier (and which raw edges). */
  lastPlan(): SeriesPlan | null {
    return this.plan;
  }

  // ------------------------------------------------------------------ lifecycle

  async migrate(): Promise<number[]> {
    this.open();
    const applied: number[] = [];
    if (!this.manifest.migrations.includes(1)) {
      this.manifest.migrations.push(1);
      applied.push(1);
    }
    if (!this.manifest.migrations.includes(2)) {
      // Rollup tiers: rewrite every block written without them.
      for (const id of [...this.order]) {
        const block = this.blocks.get(id) as OpenBlock;
        if (!block.entry.tiers) await this.rewrite([block], block.entry.level);
      }
      this.manifest.migrations.push(2);
      applied.push(2);
    }
    if (applied.length > 0) this.saveManifest();
    return applied;
  }

  async ping(): Promise<void> {
    this.open();
    if (this.closed) throw new Error('the series engine is closed');
  }

  async close(): Promise<void> {
    if (this.closed || !this.opened) {
      this.closed = true;
      return;
    }
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.maintaining?.catch(() => undefined);
    await this.wal?.settle();
    // Seal what the head holds, so the next start replays nothing.
    try {
      if (this.headRows > 0) await this.flush();
    } catch (err) {
      this.options.log('error', 'series engine: flushing the head on close failed; the log keeps its payloads', { err: String(err) });
    }
    await this.wal?.close();
    await this.sealer.close();
    for (const block of this.blocks.values()) block.reader.close();
    this.blocks.clear();
    rmSync(this.lockPath, { force: true });
  }

  /** Opens the data directory on first use: lock, manifest, blocks, log replay. */
  private open(): void {
    if (this.opened) return;
    if (this.closed) throw new Error('the series engine is closed');
    mkdirSync(this.blocksDir, { recursive: true });
    this.takeLock();
    this.manifest = readManifest(this.dir) ?? emptyManifest();
    const live = new Set(this.manifest.blocks.map((b) => b.id));
    // Blocks a crash left unnamed (a flush or merge that did not reach the manifest) go.
    for (const name of readdirSync(this.blocksDir)) {
      const id = /^(\d+)\.blk$/.exec(name)?.[1];
      if (id === undefined || !live.has(Number(id))) rmSync(join(this.blocksDir, name), { force: true });
    }
    for (const entry of this.manifest.blocks) this.blocks.set(entry.id, { entry, reader: BlockReader.open(this.blockPath(entry.id)) });
    this.sortBlocks();
    for (const [agent, cut] of Object.entries(this.manifest.cuts)) this.cutsMap.set(agent, cut);
    this.rebuildCounts();
    this.replay();
    this.opened = true;
    if (this.options.background) {
      this.timer = setInterval(() => this.tick(), 500);
      this.timer.unref();
    }
  }

  private takeLock(): void {
    if (existsSync(this.lockPath)) {
      const pid = Number(readFileSync(this.lockPath, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw new Error(`the series data in ${this.dir} is in use by another agentmon process (pid ${pid}); stop it or use another --data-dir`);
      }
    }
    writeFileSync(this.lockPath, String(process.pid));
  }

  private blockPath(id: number): string {
    return join(this.blocksDir, `${String(id).padStart(10, '0')}.blk`);
  }

  private sortBlocks(): void {
    this.order = [...this.blocks.values()].sort((a, b) => a.entry.seq[0] - b.entry.seq[0]).map((b) => b.entry.id);
  }

  /** Replays the log from the manifest's checkpoint into the head. */
  private replay(): void {
    const segments = listSegments(this.walDir).filter((id) => id >= this.manifest.walFrom);
    for (const old of listSegments(this.walDir)) if (old < this.manifest.walFrom) rmSync(join(this.walDir, `${String(old).padStart(10, '0')}.wal`), { force: true });
    let replayed = 0;
    for (const id of segments) {
      const read = readSegment(this.walDir, id);
      if (read.torn) this.options.log('warn', `series engine: write-ahead log segment ${id} ended in ${read.torn}; truncated there (a write cut short by a crash)`);
      for (const body of read.records) {
        let record;
        try {
          record = decodeRecord(body);
        } catch (err) {
          if (!(err instanceof CorruptData)) throw err;
          this.options.log('error', `series engine: an unreadable record in log segment ${id} was skipped`, { err: err.message });
          continue;
        }
        if (record.kind === 'insert') {
          this.applyInsert(record.points);
          replayed += record.points.length;
        } else if (record.kind === 'purge') this.applyPurge(record.agentId);
        else this.applyCut(record.agentId, record.cutTs);
      }
    }
    const next = Math.max(this.manifest.nextId, (segments.at(-1) ?? 0) + 1);
    this.manifest.nextId = next + 1;
    this.wal = WriteAheadLog.open(this.walDir, next);
    if (replayed > 0) this.options.log('info', `series engine: replayed ${replayed} payload(s) from the write-ahead log`);
  }

  // ------------------------------------------------------------------ writes

  async insert(points: readonly SeriesPoint[]): Promise<void> {
    this.open();
    if (points.length === 0) return;
    this.refuseWhenBehind();
    // Everything is checked before anything is written: a bad point anywhere stores nothing.
    const rows = new Array<PointRow>(points.length);
    for (let i = 0; i < points.length; i++) rows[i] = toPointRow(points[i] as SeriesPoint);
    await this.append(encodeInsert(rows), () => this.applyInsert(rows));
    this.lastInsertAt = Date.now();
    this.ingestRate.add(this.lastInsertAt, rows.length);
    if (this.headRows >= this.options.headMaxRows) this.schedule();
  }

  /** Throws StoreBusyError while flushes or the log's disk are too far behind to take more. */
  private refuseWhenBehind(): void {
    const frozenRows = this.frozenRows();
    if (this.headRows + frozenRows >= this.options.headLimitRows) {
      this.schedule();
      throw new StoreBusyError(`the series engine holds ${this.headRows + frozenRows} payloads not yet written to blocks (limit ${this.options.headLimitRows})`, 2);
    }
    const backlog = this.wal?.backlogBytes ?? 0;
    if (backlog >= this.options.logBacklogBytes) throw new StoreBusyError(`${backlog} bytes wait for the write-ahead log's disk`, 1);
  }

  /** Appends a record; `apply` runs once it is durable, in log order, before the next round. */
  private append(record: Uint8Array, apply: () => void): Promise<void> {
    const wal = this.wal;
    if (!wal) throw new Error('the series engine is not open');
    return wal.append(record, apply);
  }

  private applyInsert(points: readonly PointRow[]): void {
    for (const point of points) {
      const agent = point.agent;
      if (point.ts < this.cut(agent)) continue; // older than the agent's retention: already gone
      let rows = this.head.get(agent);
      if (!rows) {
        // As large as the agent's rows before the last flush: a steady agent never grows its arrays.
        rows = new AgentRows(this.lastHeadSize.get(agent) ?? 8, this.headSlab);
        this.head.set(agent, rows);
      }
      if (this.headRows === 0) this.headSince = Date.now();
      rows.insert(point);
      this.headRows++;
      this.totalRows++;
      this.counts.set(agent, (this.counts.get(agent) ?? 0) + 1);
      this.noteLatest(agent, point);
    }
  }

  private noteLatest(agent: string, point: PointRow): void {
    let latest = this.latest.get(agent);
    if (!latest) {
      latest = new AgentLatest();
      this.latest.set(agent, latest);
    }
    const ts = point.ts;
    if (ts > latest.maxTs) latest.maxTs = ts;
    const mask = point.mask;
    for (let i = 0; i < SERIES_METRIC_NAMES.length; i++) if (mask & (1 << i)) latest.putBuiltin(i, ts, point.builtins[i] as number);
    for (let i = 0; i < point.customKeys.length; i++) latest.putCustom(point.customKeys[i] as string, ts, point.customValues[i] as number);
  }

  async deleteAgent(agentId: string): Promise<number> {
    this.open();
    const before = this.counts.get(agentId) ?? 0;
    await this.append(encodePurge(agentId), () => this.applyPurge(agentId));
    await this.dropEmptyBlocks();
    return before;
  }

  private applyPurge(agent: string): void {
    const rows = this.head.get(agent);
    if (rows) {
      this.headRows -= rows.n;
      this.head.delete(agent);
    }
    this.frozen?.delete(agent);
    this.lastHeadSize.delete(agent);
    this.purgeLog.push(agent);
    for (const id of this.order) {
      const block = this.blocks.get(id) as OpenBlock;
      if (block.reader.chunks.has(agent) && !block.entry.purged.includes(agent)) block.entry.purged.push(agent);
    }
    this.totalRows -= this.counts.get(agent) ?? 0;
    this.counts.delete(agent);
    this.sortedAgents = null;
    this.latest.delete(agent);
  }

  async deleteOlderThan(agentId: string, beforeMs: number, limit: number): Promise<number> {
    this.open();
    if (limit <= 0) return 0;
    const cut = this.cut(agentId);
    if (beforeMs <= cut) return 0;
    // The visible timestamps before beforeMs, to place the new cut at most `limit` rows on.
    const times = this.visibleTimesBefore(agentId, beforeMs);
    if (times.length === 0) return 0;
    times.sort((a, b) => a - b);
    let next = beforeMs;
    if (times.length > limit) {
      const stop = times[limit] as number;
      // A cut is a timestamp: payloads sharing the ms at the limit stay for the next call, unless
      // they alone exceed the limit (then they go together, or retention would never move on).
      next = stop > (times[0] as number) ? stop : stop + 1;
    }
    let deleted = 0;
    for (const t of times) if (t < next) deleted++;
    await this.append(encodeCut(agentId, next), () => this.applyCut(agentId, next));
    await this.dropEmptyBlocks();
    return deleted;
  }

  private readonly cutsMap = new Map<string, number>();

  /** An agent's visible payload timestamps before `beforeMs`, in segment order. */
  private visibleTimesBefore(agent: string, beforeMs: number): number[] {
    const cut = this.cut(agent);
    const times: number[] = [];
    for (const seg of this.segments(agent)) {
      if (seg.t0 >= beforeMs || seg.t1 < cut) continue;
      const ts = seg.ts();
      for (let r = 0; r < seg.rows; r++) {
        const t = ts[r] as number;
        if (t >= beforeMs) break;
        if (t >= cut) times.push(t);
      }
    }
    return times;
  }

  private cut(agent: string): number {
    return this.cutsMap.get(agent) ?? Number.NEGATIVE_INFINITY;
  }

  private applyCut(agent: string, cutTs: number): void {
    if (cutTs <= this.cut(agent)) return;
    // Rows the cut hides, counted before it moves.
    const gone = this.visibleTimesBefore(agent, cutTs).length;
    this.cutsMap.set(agent, cutTs);
    const rows = this.head.get(agent);
    if (rows) {
      this.headRows -= rows.removeBefore(cutTs);
      if (rows.n === 0) this.head.delete(agent);
    }
    const left = (this.counts.get(agent) ?? 0) - gone;
    this.totalRows -= gone;
    if (left <= 0) {
      this.counts.delete(agent);
      this.sortedAgents = null;
      this.latest.delete(agent);
    } else {
      this.counts.set(agent, left);
      this.latest.get(agent)?.dropBefore(cutTs);
    }
  }

  // ------------------------------------------------------------------ reads

  async query(q: SeriesQuery): Promise<SeriesRow[]> {
    this.open();
    return this.runQuery(q, this.options.readRollups);
  }

  /** Answers a query, reading tiers when `rollups` allows. */
  runQuery(q: SeriesQuery, rollups: boolean): SeriesRow[] {
    const plan = rollups ? planRollup(q) : null;
    this.plan = describePlan(plan);
    const fast = this.latestAnswer(q);
    if (fast) return fast;
    return runQuery(this.source(), q, plan, plan ? (TIERS.find((t) => t.name === plan.tier.name) ?? null) : null);
  }

  async queryLatest(q: SeriesQuery): Promise<LatestTable | null> {
    this.open();
    return this.latestTable(q);
  }

  /** latestTable's answer as rows (query() gives them). */
  private latestAnswer(q: SeriesQuery): SeriesRow[] | null {
    const table = this.latestTable(q);
    if (!table) return null;
    const { metrics, values, present } = table;
    return table.agents.map((agent, a) => {
      const row: Record<string, number | null> = {};
      for (let m = 0; m < metrics.length; m++) {
        const at = a * metrics.length + m;
        row[metrics[m] as string] = present[at] === 1 ? (values[at] as number) : null;
      }
      return { agent_id: agent, ts: table.ts, values: row };
    });
  }

  /**
   * `last` without an interval, per agent, from the latest values in memory: exact whenever no
   * payload of the agent is newer than the range (then its newest payload in range is its newest).
   * Null when some agent needs its history (the general path answers).
   */
  private latestTable(q: SeriesQuery): LatestTable | null {
    if (q.aggregation !== 'last' || q.intervalMs !== null || q.groupBy === 'none') return null;
    const metrics = queryMetrics(q);
    const agents = q.agentIds === null ? this.agentList() : [...new Set(q.agentIds)].sort(compareIds);
    // Every name queryMetrics passed is a column; a number is a built-in's.
    const columns = metrics.map((m) => columnOf(m) as LatestColumn);
    const builtins = columns.some((c) => typeof c === 'number');
    const width = metrics.length;
    let values = new Float64Array(agents.length * width);
    let present = new Uint8Array(agents.length * width);
    const answered: string[] = [];
    for (const agent of agents) {
      const latest = this.latest.get(agent);
      if (!latest) continue;
      if (latest.maxTs > q.endMs) return null;
      if (latest.maxTs < q.startMs) continue;
      const base = answered.length * width;
      let any = false;
      for (let m = 0; m < width; m++) {
        const v = latest.valueSince(columns[m] as LatestColumn, q.startMs);
        if (v === null) continue;
        values[base + m] = v;
        present[base + m] = 1;
        any = true;
      }
      // A row of nothing but nulls is left out unless a built-in was asked (query()'s rule).
      if (!builtins && !any) continue;
      answered.push(agent);
    }
    if (answered.length < agents.length) {
      values = values.subarray(0, answered.length * width);
      present = present.subarray(0, answered.length * width);
    }
    return { ts: q.startMs, metrics, agents: answered, values, present };
  }

  async agentIds(): Promise<string[]> {
    this.open();
    return this.agentList();
  }

  /** Agents with visible rows, sorted; kept until one comes or goes (sorting a fleet per query costs). */
  private agentList(): string[] {
    if (this.sortedAgents === null || this.sortedAgents.length !== this.counts.size) this.sortedAgents = [...this.counts.keys()].sort(compareIds);
    return this.sortedAgents;
  }

  private sortedAgents: string[] | null = null;

  /** Agents with at least one payload in [startMs, endMs] (all agents when agentIds is null), sorted. */
  async agentsWithPoints(agentIds: readonly string[] | null, startMs: number, endMs: number): Promise<string[]> {
    this.open();
    const agents = agentIds === null ? this.agentList() : [...new Set(agentIds)].sort(compareIds);
    return agents.filter((agent) => {
      const from = Math.max(startMs, this.cut(agent));
      const within = (t0: number, t1: number, ts: () => Float64Array, n: number): boolean => {
        if (t1 < from || t0 > endMs) return false;
        if (t0 >= from && t1 <= endMs) return true;
        const times = ts();
        for (let r = 0; r < n; r++) {
          const t = times[r] as number;
          if (t >= from && t <= endMs) return true;
        }
        return false;
      };
      for (const rows of [this.head.get(agent), this.frozen?.get(agent)]) {
        if (rows && rows.n > 0 && within(rows.ts[0] as number, rows.ts[rows.n - 1] as number, () => rows.ts, rows.n)) return true;
      }
      for (const id of this.order) {
        const block = this.blocks.get(id) as OpenBlock;
        const chunk = block.reader.chunks.get(agent);
        if (!chunk || block.entry.purged.includes(agent)) continue;
        if (within(chunk.t0, chunk.t1, () => new ChunkSegment(id, block.reader, chunk, this.cache, false).ts(), chunk.r)) return true;
      }
      return false;
    });
  }

  backlog(): SeriesBacklog {
    let unmerged = 0;
    for (const block of this.blocks.values()) if (!block.entry.tiers) unmerged++;
    return { headPayloads: this.headRows + this.frozenRows(), blocks: this.blocks.size, unmergedBlocks: unmerged };
  }

  /** Payloads of the head being flushed (0 when no flush runs). */
  private frozenRows(): number {
    let n = 0;
    if (this.frozen) for (const rows of this.frozen.values()) n += rows.n;
    return n;
  }

  async stats(): Promise<{ points: number; bytes: number | null }> {
    this.open();
    let bytes = this.wal?.diskBytes() ?? 0;
    for (const block of this.blocks.values()) bytes += block.reader.bytes;
    return { points: this.totalRows, bytes };
  }

  /** Every stored payload of an agent in [startMs, endMs], with its `extra` (for export and checks). */
  async payloads(agentId: string, startMs: number, endMs: number): Promise<SeriesPoint[]> {
    this.open();
    const out: { point: SeriesPoint; rank: number }[] = [];
    const from = Math.max(startMs, this.cut(agentId));
    let rank = 0;
    for (const seg of this.segments(agentId)) {
      const ts = seg.ts();
      const names = seg.columnNames();
      const strings = seg instanceof ChunkSegment ? seg.strings() : null;
      const head = seg instanceof HeadSegment ? seg.data : null;
      for (let r = 0; r < seg.rows; r++) {
        const t = ts[r] as number;
        if (t < from || t > endMs) continue;
        const values: Record<string, number | null> = {};
        const custom: Record<string, number> = {};
        for (const name of names) {
          const v = (seg.column(name) as Float64Array)[r] as number;
          if (Number.isNaN(v)) continue;
          if (!isSeriesMetricName(name)) custom[name.slice(CUSTOM_METRIC_PREFIX.length)] = v;
          else values[name] = v;
        }
        const valueOf = (key: string): number | undefined => custom[key];
        const extraJson = head ? (head.extra[r] as string) : fillTemplate((strings as NonNullable<typeof strings>).templates[r] as string, valueOf);
        out.push({
          rank: rank + r,
          point: {
            agent_id: agentId,
            ts: t,
            environment: head ? (head.environment[r] as string) : ((strings as NonNullable<typeof strings>).environment[r] as string),
            deployment_type: head ? (head.deploymentType[r] as string) : ((strings as NonNullable<typeof strings>).deploymentType[r] as string),
            values,
            custom,
            extra: JSON.parse(extraJson) as SeriesPoint['extra'],
          },
        });
      }
      rank += seg.rows;
    }
    out.sort((a, b) => a.point.ts - b.point.ts || a.rank - b.rank);
    return out.map((o) => o.point);
  }

  private source(): QuerySource {
    return {
      agents: () => this.agentList(),
      segments: (agent) => this.segments(agent),
      cut: (agent) => this.cut(agent),
      fleetTiers: (spec) => this.fleetTiers(spec),
    };
  }

  /**
   * The fleet tiers of the blocks none of whose rows are hidden (nothing purged, no cut inside):
   * merged blocks, and head flushes (which keep fleet tiers but no tiers per chunk).
   */
  private fleetTiers(spec: TierSpec): FleetTier[] {
    const out: FleetTier[] = [];
    for (const id of this.order) {
      const block = this.blocks.get(id) as OpenBlock;
      if (block.entry.purged.length > 0) continue;
      const index = block.reader.index.f[spec.name];
      if (!index) continue;
      if (!block.reader.everyChunk((chunk) => this.cut(chunk.a) <= chunk.t0)) continue;
      block.fleet ??= new Map();
      let table = block.fleet.get(spec.name);
      if (!table) {
        const read = block.reader.readTier(index, spec.ms);
        const cols = new Map<string, TierColumn>();
        for (const name of read.names()) {
          const col = read.column(name);
          if (col) cols.set(name, col);
        }
        table = { buckets: read.buckets, cols };
        block.fleet.set(spec.name, table);
      }
      out.push({ block: id, table, t0: block.reader.index.t0, t1: block.reader.index.t1 });
    }
    return out;
  }

  /** An agent's segments in arrival order: its chunks in the blocks it is not purged from, then the head. */
  private segments(agent: string): AgentSegment[] {
    const out: AgentSegment[] = [];
    const cut = this.cut(agent);
    for (const id of this.order) {
      const block = this.blocks.get(id) as OpenBlock;
      const chunk = block.reader.chunks.get(agent);
      if (!chunk || chunk.t1 < cut || block.entry.purged.includes(agent)) continue;
      out.push(new ChunkSegment(id, block.reader, chunk, this.cache, block.entry.tiers));
    }
    const frozen = this.frozen?.get(agent);
    if (frozen && frozen.n > 0) out.push(new HeadSegment(frozen));
    const rows = this.head.get(agent);
    if (rows && rows.n > 0) out.push(new HeadSegment(rows));
    return out;
  }

  /** Visible rows per agent and the latest values, from the blocks (the log replay adds the head's). */
  private rebuildCounts(): void {
    this.counts.clear();
    this.latest.clear();
    this.totalRows = 0;
    for (const id of this.order) {
      const block = this.blocks.get(id) as OpenBlock;
      for (const chunk of block.reader.chunks.values()) {
        const agent = chunk.a;
        if (block.entry.purged.includes(agent)) continue;
        const cut = this.cut(agent);
        if (chunk.t1 < cut) continue;
        let visible = chunk.r;
        if (chunk.t0 < cut) {
          const ts = new ChunkSegment(id, block.reader, chunk, this.cache, false).ts();
          visible = 0;
          for (let r = 0; r < chunk.r; r++) if ((ts[r] as number) >= cut) visible++;
        }
        if (visible === 0) continue;
        this.counts.set(agent, (this.counts.get(agent) ?? 0) + visible);
        this.totalRows += visible;
        let latest = this.latest.get(agent);
        if (!latest) this.latest.set(agent, (latest = new AgentLatest()));
        latest.maxTs = Math.max(latest.maxTs, chunk.t1);
        chunk.forEachLatest((name, ts, value) => {
          if (ts >= cut) latest.put(name, ts, value);
        });
      }
    }
  }

  // ------------------------------------------------------------------ maintenance

  private tick(): void {
    if (this.closed || this.maintaining) return;
    const now = Date.now();
    const idle = now - this.lastInsertAt >= this.options.idleFlushMs;
    const due =
      this.headRows >= this.options.headMaxRows ||
      (this.headRows >= this.options.idleFlushRows && idle) ||
      (this.headRows > 0 && now - this.headSince >= this.options.maxHeadAgeMs);
    if (due || this.mergeCandidate(now) !== null) this.schedule();
  }

  /** Runs a round of maintenance in the background unless one is running. */
  private schedule(): void {
    if (this.maintaining || this.closed) return;
    this.maintaining = this.maintain()
      .catch((err: unknown) => this.options.log('error', 'series engine: background flush or merge failed; it will be retried', { err: err instanceof Error ? (err.stack ?? err.message) : String(err) }))
      .finally(() => {
        this.maintaining = null;
      });
  }

  /**
   * One round of maintenance: flushes the head when due (always with `force`), then merges blocks
   * while a merge is due (every partition into one block with tiers, with `force`).
   */
  async maintain(force = false): Promise<void> {
    this.open();
    const now = Date.now();
    const idle = now - this.lastInsertAt >= this.options.idleFlushMs;
    if (
      (force && this.headRows > 0) ||
      this.headRows >= this.options.headMaxRows ||
      (this.headRows >= this.options.idleFlushRows && idle) ||
      (this.headRows > 0 && now - this.headSince >= this.options.maxHeadAgeMs)
    ) {
      await this.flush();
    }
    for (let round = 0; round < 64 && !this.closed; round++) {
      // A full head is flushed before the next merge: under fast ingest, a head left to fill while
      // merges run one after another reaches its limit and ingest is refused (503).
      if (!force && this.headRows >= this.options.headMaxRows) await this.flush();
      const run = force ? this.fullMergeCandidate() : this.mergeCandidate(Date.now());
      if (run === null) break;
      await this.rewrite(run.blocks, run.level);
    }
    // No flush or merge is running (maintenance is one at a time): nobody needs the purge log.
    this.purgeLog.length = 0;
  }

  /**
   * Seals the head into blocks (one per partition) and moves the log's checkpoint past it. The
   * frozen rows stay readable until their blocks are in place.
   */
  async flush(): Promise<void> {
    const wal = this.wal;
    if (!wal || this.headRows === 0 || this.frozen) return;
    // Every record up to here is applied; later ones go to the next segment and the next head.
    const next = this.manifest.nextId++;
    await wal.rotate(next);
    const frozen = this.head;
    this.frozen = frozen;
    this.head = new Map();
    this.headSlab = new ColumnSlab();
    this.headRows = 0;
    for (const [agent, rows] of frozen) this.lastHeadSize.set(agent, Math.max(8, rows.n + (rows.n >> 2)));
    const purgesBefore = this.purgeLog.length;
    const byPartition = new Map<number, Map<string, AgentRows>>();
    for (const [agent, rows] of frozen) {
      let start = 0;
      while (start < rows.n) {
        const partition = bucketStart(rows.ts[start] as number, DAY_MS);
        let end = start + 1;
        while (end < rows.n && bucketStart(rows.ts[end] as number, DAY_MS) === partition) end++;
        let agents = byPartition.get(partition);
        if (!agents) {
          agents = new Map();
          byPartition.set(partition, agents);
        }
        agents.set(agent, start === 0 && end === rows.n ? rows : rows.slice(start, end));
        start = end;
      }
    }
    const planned = [...byPartition].sort((a, b) => a[0] - b[0]).map(([partition, agents]) => ({
      entry: { id: this.manifest.nextId++, partition, level: 0, seq: [next, next], purged: [], tiers: false } as BlockEntry,
      agents,
    }));
    const written: OpenBlock[] = [];
    try {
      await this.sealer.run({
        kind: 'flush',
        tiers: TIERS,
        blocks: planned.map(({ entry, agents }) => ({
          path: this.blockPath(entry.id),
          rows: packRows([...agents.keys()].sort(compareIds).map((agent) => [agent, agents.get(agent) as AgentRows] as const)),
        })),
      });
      for (const { entry } of planned) written.push({ entry, reader: BlockReader.open(this.blockPath(entry.id)) });
    } catch (err) {
      // The frozen rows stay readable and durable in the log: put them back in front of the head.
      for (const block of written) block.reader.close();
      for (const { entry } of planned) rmSync(this.blockPath(entry.id), { force: true });
      this.frozen = null;
      this.unfreeze(frozen);
      throw err;
    }
    // Agents purged while the blocks were written: their rows in them are gone too.
    const purgedMeanwhile = new Set(this.purgeLog.slice(purgesBefore));
    for (const block of written) {
      block.entry.purged = [...purgedMeanwhile].filter((agent) => block.reader.chunks.has(agent));
      this.blocks.set(block.entry.id, block);
      this.partitionTouched.set(block.entry.partition, Date.now());
    }
    this.frozen = null;
    this.sortBlocks();
    this.manifest.walFrom = next;
    this.saveManifest();
    wal.removeBefore(next);
  }

  private unfreeze(frozen: Map<string, AgentRows>): void {
    for (const [agent, rows] of this.head) {
      const older = frozen.get(agent);
      if (!older) frozen.set(agent, rows);
      else older.append(rows);
    }
    this.head = frozen;
    this.headRows = [...frozen.values()].reduce((n, r) => n + r.n, 0);
  }

  /**
   * The next merge due in a partition: `mergeFanIn` adjacent blocks of one level; once it has been
   * quiet for `quietMergeMs`, its fresh flush blocks (no tiers, not compressed) as one; once cold
   * (`coldMergeMs`), all its blocks as one.
   */
  private mergeCandidate(now: number): { blocks: OpenBlock[]; level: number } | null {
    // Merges run one at a time with flushes, so a merge must end before ingest at its present rate
    // fills the head to its limit (ingest would be refused, 503): a larger one waits until ingest
    // slows down. Half the time left is allowed, at the cost per payload past merges took.
    // Ingest that has paused (no insert for idleFlushMs) puts no pressure on the head.
    const rate = now - this.lastInsertAt >= this.options.idleFlushMs ? 0 : this.ingestRate.perSecond(now);
    const roomRows = this.options.headLimitRows - this.options.headMaxRows - this.headRows;
    const mergeRowsLimit = rate > 0 ? Math.max(0, (roomRows / rate) * 1000) / 2 / this.mergeMsPerRow : Number.POSITIVE_INFINITY;
    for (const [partition, blocks] of this.byPartition()) {
      for (let i = 0; i + this.options.mergeFanIn <= blocks.length; i++) {
        const level = (blocks[i] as OpenBlock).entry.level;
        const run = blocks.slice(i, i + this.options.mergeFanIn);
        if (run.every((b) => b.entry.level === level) && blockRows(run) <= mergeRowsLimit) return { blocks: run, level: level + 1 };
      }
      const quietFor = now - (this.partitionTouched.get(partition) ?? 0);
      if (quietFor >= this.options.coldMergeMs && needsRewrite(blocks) && blockRows(blocks) <= mergeRowsLimit) {
        return { blocks, level: Math.max(...blocks.map((b) => b.entry.level)) + 1 };
      }
      if (quietFor >= this.options.quietMergeMs) {
        // The newest blocks without tiers: a run at the end (flushes come last in arrival order).
        let first = blocks.length;
        while (first > 0 && !(blocks[first - 1] as OpenBlock).entry.tiers) first--;
        const fresh = blocks.slice(first);
        if (fresh.length > 0 && blockRows(fresh) <= mergeRowsLimit) return { blocks: fresh, level: Math.max(1, ...fresh.map((b) => b.entry.level + 1)) };
      }
    }
    return null;
  }

  private fullMergeCandidate(): { blocks: OpenBlock[]; level: number } | null {
    for (const blocks of this.byPartition().values()) {
      if (needsRewrite(blocks)) return { blocks, level: Math.max(...blocks.map((b) => b.entry.level)) + 1 };
    }
    return null;
  }

  /** Blocks per partition, each list in arrival order. */
  private byPartition(): Map<number, OpenBlock[]> {
    const out = new Map<number, OpenBlock[]>();
    for (const id of this.order) {
      const block = this.blocks.get(id) as OpenBlock;
      const list = out.get(block.entry.partition) ?? [];
      list.push(block);
      out.set(block.entry.partition, list);
    }
    return out;
  }

  /**
   * Replaces blocks of one partition (adjacent in arrival order) by one block holding their visible
   * rows, agent by agent, in arrival order, compressed and with rollup tiers.
   */
  private async rewrite(inputs: readonly OpenBlock[], level: number): Promise<void> {
    const first = inputs[0];
    if (!first) return;
    const entry: BlockEntry = {
      id: this.manifest.nextId++,
      partition: first.entry.partition,
      level,
      seq: [Math.min(...inputs.map((b) => b.entry.seq[0])), Math.max(...inputs.map((b) => b.entry.seq[1]))],
      purged: [],
      tiers: true,
    };
    const path = this.blockPath(entry.id);
    const cuts: Record<string, number> = {};
    for (const block of inputs) for (const agent of block.reader.chunks.keys()) if (this.cutsMap.has(agent)) cuts[agent] = this.cut(agent);
    const purgesBefore = this.purgeLog.length;
    for (const block of inputs) this.merging.add(block.entry.id);
    let result;
    const started = performance.now();
    try {
      result = await this.sealer.run({ kind: 'merge', inputs: inputs.map((b) => ({ path: b.reader.path, purged: [...b.entry.purged] })), cuts, path, tiers: TIERS });
    } finally {
      for (const block of inputs) this.merging.delete(block.entry.id);
    }
    if (this.closed) {
      rmSync(path, { force: true });
      return;
    }
    const rows = blockRows(inputs);
    if (rows >= 1000) this.mergeMsPerRow = 0.7 * this.mergeMsPerRow + (0.3 * (performance.now() - started)) / rows;
    let replacement: OpenBlock | null = null;
    if (result.written[0]) {
      replacement = { entry, reader: BlockReader.open(path) };
      entry.purged = [...new Set(this.purgeLog.slice(purgesBefore))].filter((agent) => replacement?.reader.chunks.has(agent));
    }
    this.replaceBlocks(inputs, replacement);
  }

  /** Swaps blocks for their replacement in memory and in the manifest, then deletes their files. */
  private replaceBlocks(inputs: readonly OpenBlock[], replacement: OpenBlock | null): void {
    for (const block of inputs) this.blocks.delete(block.entry.id);
    if (replacement) this.blocks.set(replacement.entry.id, replacement);
    this.sortBlocks();
    this.saveManifest();
    for (const block of inputs) {
      block.reader.close();
      this.cache.dropBlock(block.entry.id);
      rmSync(block.reader.path, { force: true });
    }
  }

  /** Deletes blocks whose every row is gone (purged or before its agent's cut): retention drops whole blocks. */
  private async dropEmptyBlocks(): Promise<void> {
    const empty = [...this.blocks.values()].filter(
      (block) =>
        !this.merging.has(block.entry.id) &&
        block.reader.everyChunk((chunk) => block.entry.purged.includes(chunk.a) || chunk.t1 < this.cut(chunk.a)),
    );
    if (empty.length > 0) this.replaceBlocks(empty, null);
  }

  private saveManifest(): void {
    this.manifest.blocks = this.order.map((id) => (this.blocks.get(id) as OpenBlock).entry);
    this.manifest.cuts = Object.fromEntries(this.cutsMap);
    writeManifest(this.dir, this.manifest);
  }

  /** How far an import of an earlier store went: null when none started. */
  importState(): { done: boolean; agents: string[] } | null {
    this.open();
    return this.manifest.imported;
  }

  /** Records an agent imported (null: the import is complete), durably. */
  async markImported(agent: string | null): Promise<void> {
    this.open();
    const state = this.manifest.imported ?? { done: false, agents: [] };
    if (agent === null) {
      state.done = true;
      state.agents = [];
    }
    else if (!state.agents.includes(agent)) state.agents.push(agent);
    this.manifest.imported = state;
    // The agent's payloads are durable in the log; the manifest records that they are all there.
    await this.wal?.settle();
    this.saveManifest();
  }

  /** For tests: puts the store back to before its tiers (blocks written without them, migration 2 undone). */
  dropTiersForTest(): void {
    this.open();
    for (const block of this.blocks.values()) block.entry.tiers = false;
    this.manifest.migrations = this.manifest.migrations.filter((v) => v !== 2);
    this.saveManifest();
  }

  /** What the engine holds, for logs and the bench: head payloads, blocks, bytes on disk. */
  describe(): { headRows: number; blocks: number; blockBytes: number; walBytes: number; cacheBytes: number } {
    let blockBytes = 0;
    for (const block of this.blocks.values()) blockBytes += block.reader.bytes;
    return { headRows: this.headRows, blocks: this.blocks.size, blockBytes, walBytes: this.wal?.diskBytes() ?? 0, cacheBytes: this.cache.size };
  }
}

/** The same engine answering from raw rows only. */
class RawView implements SeriesStore {
  constructor(private readonly engine: SeriesEngine) {}
  migrate(): Promise<number[]> {
    return Promise.resolve([]);
  }
  ping(): Promise<void> {
    return this.engine.ping();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  insert(points: readonly SeriesPoint[]): Promise<void> {
    return this.engine.insert(points);
  }
  async query(q: SeriesQuery): Promise<SeriesRow[]> {
    await this.engine.ping();
    return this.engine.runQuery(q, false);
  }
  deleteAgent(agentId: string): Promise<number> {
    return this.engine.deleteAgent(agentId);
  }
  deleteOlderThan(agentId: string, beforeMs: number, limit: number): Promise<number> {
    return this.engine.deleteOlderThan(agentId, beforeMs, limit);
  }
  agentIds(): Promise<string[]> {
    return this.engine.agentIds();
  }
  agentsWithPoints(agentIds: readonly string[] | null, startMs: number, endMs: number): Promise<string[]> {
    return this.engine.agentsWithPoints(agentIds, startMs, endMs);
  }
  stats(): Promise<{ points: number; bytes: number | null }> {
    return this.engine.stats();
  }
}

/** Events per second over a sliding window of whole seconds (payloads inserted, here). */
class RecentRate {
  private readonly perSec = new Map<number, number>();
  constructor(private readonly windowMs: number) {}

  add(atMs: number, n: number): void {
    const sec = Math.floor(atMs / 1000);
    this.perSec.set(sec, (this.perSec.get(sec) ?? 0) + n);
  }

  perSecond(nowMs: number): number {
    const from = Math.floor((nowMs - this.windowMs) / 1000);
    let total = 0;
    for (const [sec, n] of this.perSec) {
      if (sec < from) this.perSec.delete(sec);
      else total += n;
    }
    return (total * 1000) / this.windowMs;
  }
}

/** Payloads held by blocks. */
function blockRows(blocks: readonly OpenBlock[]): number {
  let n = 0;
  for (const block of blocks) n += block.reader.index.r;
  return n;
}

/** Whether a partition's blocks are worth rewriting as one: several, or one without tiers or with purged agents. */
function needsRewrite(blocks: readonly OpenBlock[]): boolean {
  if (blocks.length >= 2) return true;
  const only = blocks[0];
  return only !== undefined && (!only.entry.tiers || only.entry.purged.length > 0);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Bytes of the files under `dir`, recursively (0 when it does not exist). */
export function directoryBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  let total = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = statSync(path);
    total += st.isDirectory() ? directoryBytes(path) : st.size;
  }
  return total;
}
