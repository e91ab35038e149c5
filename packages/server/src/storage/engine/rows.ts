/**
 * One agent's payloads in memory, column-wise and in (timestamp, arrival) order: the head keeps an
 * agent's recent payloads this way until they are sealed into a block, and a block is built from
 * them. A column is named as queries name it (`cpu_usage_percent`, `custom.queue_depth`) and holds
 * NaN where a payload has no value (NaN itself is never stored: the store refuses it).
 */
import { CUSTOM_METRIC_PREFIX, SERIES_METRIC_NAMES } from '@agentmon/schema';
import { newBuiltins, type PointRow } from './records.js';

/** The built-in columns, in the order every block lists them. */
export const BUILTIN_COLUMNS: readonly string[] = SERIES_METRIC_NAMES;
/** Each built-in column's index in BUILTIN_COLUMNS. */
export const BUILTIN_INDEX: ReadonlyMap<string, number> = new Map(SERIES_METRIC_NAMES.map((name, i) => [name, i]));

/** Bytes of one slab: above glibc's mmap threshold as `npm start` and the `agentmon` command fix it (128 KiB), so it is mapped on its own and unmapped when it dies. */
export const SLAB_BYTES = 2 * 1024 * 1024;
/** Columns larger than this get their own buffer (rare in a head: an agent's few hundred rows are 4 KiB a column). */
const SLAB_MAX_TAKE = SLAB_BYTES / 16;

/**
 * Columns carved out of large shared buffers. The head makes about thirty small columns an agent
 * (a few hundred bytes each) for every flush, 30,000 C allocations for a 1,000-agent fleet every
 * few seconds under load, scattered through the C allocator's heap between longer-lived ones: once
 * the load was over, that heap kept 89 MiB resident of which `malloc_trim` found 68 free (glibc
 * gives back the free pages in the middle of its heap only when asked, which Node never does).
 * A head's columns live and die together (the head is flushed as one), so they come from a few
 * 2 MiB slabs of its own that go back to the system whole when the flushed head is collected.
 * A column that grows takes a new, larger piece; the old piece is left unused until the slab dies.
 */
export class ColumnSlab {
  private slab: Float64Array | null = null;
  private used = 0;

  /** A fresh column of `n` doubles (zeros). */
  take(n: number): Float64Array {
    if (n * 8 > SLAB_MAX_TAKE) return new Float64Array(n);
    let slab = this.slab;
    if (!slab || this.used + n > slab.length) {
      slab = new Float64Array(SLAB_BYTES / 8);
      this.slab = slab;
      this.used = 0;
    }
    const out = slab.subarray(this.used, this.used + n);
    this.used += n;
    return out;
  }
}

/** An agent's rows, growable, ordered by timestamp and then by arrival. */
export class AgentRows {
  n = 0;
  ts: Float64Array;
  readonly cols = new Map<string, Float64Array>();
  /** The built-in columns by their index in BUILTIN_COLUMNS (the same arrays as in `cols`). */
  private readonly builtin: (Float64Array | undefined)[] = new Array<Float64Array | undefined>(BUILTIN_COLUMNS.length);
  /**
   * The custom columns by their key without the prefix (the same arrays as in `cols`). An insert
   * looks a payload's keys up here: building each value's column name cost a concatenation, and a
   * hash of the new string for the lookup, per value (1.8 % of the main thread under batch ingest,
   * for two custom metrics a payload), where a payload's keys come from JSON.parse already hashed.
   */
  private readonly custom = new Map<string, Float64Array>();
  environment: string[] = [];
  deploymentType: string[] = [];
  /** The payload's `extra` as JSON text, or as a template (extra.ts) when `extraTemplates`. */
  extra: string[] = [];
  /** True when `extra` holds templates (rows read back from a block), false for JSON text. */
  extraTemplates = false;

  /** `slab`: where the columns come from (the head's); without it each column is its own allocation. */
  constructor(
    private capacity = 8,
    private readonly slab: ColumnSlab | null = null,
  ) {
    this.ts = this.alloc(capacity);
  }

  private alloc(n: number): Float64Array {
    return this.slab ? this.slab.take(n) : new Float64Array(n);
  }

  /** The column of `name`, created (all NaN) on first use. */
  column(name: string): Float64Array {
    let col = this.cols.get(name);
    if (!col) {
      col = this.alloc(this.capacity).fill(Number.NaN);
      this.cols.set(name, col);
      const i = BUILTIN_INDEX.get(name);
      if (i !== undefined) this.builtin[i] = col;
    }
    return col;
  }

  /** The column of custom metric `key` (its name without the prefix), created on first use. */
  private customColumn(key: string): Float64Array {
    let col = this.custom.get(key);
    if (!col) {
      col = this.column(CUSTOM_METRIC_PREFIX + key);
      this.custom.set(key, col);
    }
    return col;
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    const ts = this.alloc(capacity);
    ts.set(this.ts);
    this.ts = ts;
    for (const [name, col] of this.cols) {
      const next = this.alloc(capacity).fill(Number.NaN);
      next.set(col);
      this.cols.set(name, next);
      const i = BUILTIN_INDEX.get(name);
      if (i !== undefined) this.builtin[i] = next;
    }
    for (const key of this.custom.keys()) this.custom.set(key, this.cols.get(CUSTOM_METRIC_PREFIX + key) as Float64Array);
    this.capacity = capacity;
  }

  /** The row index a payload at `ts` goes to: after every row at or before `ts` (arrival order within a ms). */
  private slotFor(ts: number): number {
    const n = this.n;
    if (n === 0 || (this.ts[n - 1] as number) <= ts) return n;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.ts[mid] as number) <= ts) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Adds a payload. Slots past `n` are always NaN, so an append only writes what the payload has. */
  insert(row: PointRow): void {
    if (this.n === this.capacity) this.grow();
    const at = this.slotFor(row.ts);
    const n = this.n;
    if (at < n) {
      // A late payload: shift the newer rows up one (rare: agents report in order).
      this.ts.copyWithin(at + 1, at, n);
      for (const col of this.cols.values()) {
        col.copyWithin(at + 1, at, n);
        col[at] = Number.NaN;
      }
      this.environment.splice(at, 0, row.environment);
      this.deploymentType.splice(at, 0, row.deploymentType);
      this.extra.splice(at, 0, row.extraJson);
    } else {
      this.environment.push(row.environment);
      this.deploymentType.push(row.deploymentType);
      this.extra.push(row.extraJson);
    }
    this.ts[at] = row.ts;
    const mask = row.mask;
    const builtins = row.builtins;
    for (let i = 0; i < BUILTIN_COLUMNS.length; i++) {
      if (!(mask & (1 << i))) continue;
      const col = this.builtin[i] ?? this.column(BUILTIN_COLUMNS[i] as string);
      col[at] = builtins[i] as number;
    }
    for (let i = 0; i < row.customKeys.length; i++) this.customColumn(row.customKeys[i] as string)[at] = row.customValues[i] as number;
    this.n = n + 1;
  }

  /** Removes the rows before `cutTs`; returns how many went. */
  removeBefore(cutTs: number): number {
    let k = 0;
    while (k < this.n && (this.ts[k] as number) < cutTs) k++;
    if (k === 0) return 0;
    this.ts.copyWithin(0, k, this.n);
    for (const col of this.cols.values()) {
      col.copyWithin(0, k, this.n);
      col.fill(Number.NaN, this.n - k, this.n);
    }
    this.environment.splice(0, k);
    this.deploymentType.splice(0, k);
    this.extra.splice(0, k);
    this.n -= k;
    return k;
  }

  /** Rows [from, to) as a row set of their own. */
  slice(from: number, to: number): AgentRows {
    const out = new AgentRows(Math.max(8, to - from));
    out.n = to - from;
    out.ts.set(this.ts.subarray(from, to));
    for (const [name, col] of this.cols) out.column(name).set(col.subarray(from, to));
    out.environment = this.environment.slice(from, to);
    out.deploymentType = this.deploymentType.slice(from, to);
    out.extra = this.extra.slice(from, to);
    out.extraTemplates = this.extraTemplates;
    return out;
  }

  /** Adds every row of `newer` (rows that arrived after these), keeping the order. */
  append(newer: AgentRows): void {
    for (let r = 0; r < newer.n; r++) {
      const builtins = newBuiltins();
      let mask = 0;
      const customKeys: string[] = [];
      const customValues: number[] = [];
      for (const [name, col] of newer.cols) {
        const v = col[r] as number;
        if (Number.isNaN(v)) continue;
        const i = BUILTIN_INDEX.get(name);
        if (i !== undefined) {
          builtins[i] = v;
          mask |= 1 << i;
        } else {
          customKeys.push(name.slice(CUSTOM_METRIC_PREFIX.length));
          customValues.push(v);
        }
      }
      this.insert({
        agent: '',
        ts: newer.ts[r] as number,
        environment: newer.environment[r] as string,
        deploymentType: newer.deploymentType[r] as string,
        builtins,
        mask: mask >>> 0,
        customKeys,
        customValues,
        extraJson: newer.extra[r] as string,
      });
    }
  }

  /** One row set of `parts` (each sorted, in arrival order), sorted by timestamp then arrival. */
  static merge(parts: readonly AgentRows[]): AgentRows {
    const total = parts.reduce((n, p) => n + p.n, 0);
    const out = new AgentRows(Math.max(8, total));
    if (parts.length === 0) return out;
    // Stable order: by timestamp, then part (arrival), then row within the part.
    const order: [ts: number, part: number, row: number][] = [];
    parts.forEach((part, p) => {
      for (let r = 0; r < part.n; r++) order.push([part.ts[r] as number, p, r]);
    });
    let sorted = true;
    for (let i = 1; i < order.length && sorted; i++) sorted = (order[i - 1] as [number, number, number])[0] <= (order[i] as [number, number, number])[0];
    if (!sorted) order.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
    const names = new Set<string>();
    for (const part of parts) for (const name of part.cols.keys()) names.add(name);
    out.n = total;
    order.forEach(([ts], i) => {
      out.ts[i] = ts;
    });
    for (const name of names) {
      const col = out.column(name);
      order.forEach(([, p, r], i) => {
        const source = (parts[p] as AgentRows).cols.get(name);
        if (source) col[i] = source[r] as number;
      });
    }
    out.environment = order.map(([, p, r]) => (parts[p] as AgentRows).environment[r] as string);
    out.deploymentType = order.map(([, p, r]) => (parts[p] as AgentRows).deploymentType[r] as string);
    out.extra = order.map(([, p, r]) => (parts[p] as AgentRows).extra[r] as string);
    out.extraTemplates = (parts[0] as AgentRows).extraTemplates;
    if (parts.some((part) => part.extraTemplates !== out.extraTemplates)) throw new Error('cannot merge rows with JSON extra and templated extra');
    return out;
  }

  /** Bytes the arrays hold, roughly (for memory accounting). */
  bytes(): number {
    return this.capacity * 8 * (1 + this.cols.size) + this.extra.reduce((s, e) => s + e.length * 2 + 16, 0);
  }
}
