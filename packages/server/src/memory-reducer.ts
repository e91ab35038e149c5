/**
 * Gives memory back once a burst of work is over. Under a heavy load (batches of a thousand
 * payloads, answers of a million values) V8 grows its heap several times past what stays alive,
 * and keeps it: a server that took a load and then went quiet held 270 MiB of heap for 60 MiB of
 * live objects. V8's own memory reducer rarely acts on a server, whose small idle requests never
 * look like the allocation pause it waits for. So when the event loop has been busy less than
 * MAX_BUSY of the last `idleMs` and the committed heap has grown by `growthBytes` since the last
 * collection, one full collection runs; V8 then returns the emptied old-generation pages to the
 * system. A busy server is never paused by it, and an idle one that has not grown is left alone.
 *
 * Quiet is a busy fraction, not an absence of requests: a server after a burst still answers a
 * scraper, a dashboard's refresh and the agents' own light reporting, and waiting for no request
 * at all for `idleMs` never came (measured: polled once a second, a server that had taken a load
 * kept 176-182 MiB of heap for 64-117 MiB used until the polling stopped).
 *
 * The young generation (up to 64 MiB under load, with the `agentmon` command's 32 MiB
 * semi-spaces) is shrunk only by a collection that finds the recent allocation rate low, and V8
 * judges that rate over the last 5 s of collections: the first collection still sees the load's
 * rate. So while a collection leaves the committed heap `growthBytes` above the used heap, another
 * runs once the server is quiet FOLLOW_UP_MS after it, then twice as long after that one, and so
 * on (up to MAX_RETRY_MS), or FOLLOW_UP_MS after the last one once the server is idle
 * (IDLE_BUSY): a collection then finds the rate low (measured with 64 MiB semi-spaces: 185 MiB
 * committed for 42 MiB used after the first, about 50 after the second), and a server whose light
 * traffic keeps V8's rate up (a scrape every second allocates about 13 MiB) is not paused every few
 * seconds for nothing.
 */
import { performance } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Quiet time after a collection before the follow-up: longer than V8's 5 s allocation-rate window. */
export const FOLLOW_UP_MS = 5500;

/** The longest wait between collections retried for a heap still far above its used part. */
export const MAX_RETRY_MS = 10 * 60_000;

/**
 * The busy fraction of the event loop under which the server counts as quiet: low enough that a
 * full collection's pause (tens of ms) costs the requests little, high enough that what a server
 * answers after a burst does not count as work. A scrape of a 1,000-agent fleet's `/metrics`
 * takes about 60 ms, so a scraper polling every second alone keeps the loop 6 % busy; a chart or
 * a few agents' payloads a second cost 1 % or less; a load keeps it near 100 %.
 */
export const MAX_BUSY = 0.15;

/**
 * The busy fraction under which the server is idle: then V8's allocation rate is low enough for a
 * collection to shrink the young generation, so a retry due to a heap still far above its used
 * part runs FOLLOW_UP_MS after the last collection whatever its backoff.
 */
export const IDLE_BUSY = 0.01;

export interface MemoryReducerOptions {
  /** Quiet time before a collection, ms (0: never collect). */
  idleMs: number;
  /** Growth of the committed heap since the last collection that makes one worth its pause. */
  growthBytes?: number;
  /** Milliseconds the event loop has been busy since the process started; Node's by default. */
  busyMs?: () => number;
  /** Committed heap bytes; V8's by default. */
  heapBytes?: () => number;
  /** Used heap bytes; V8's by default. */
  usedBytes?: () => number;
  /** Runs a full collection; V8's by default (null when it cannot be had). */
  collect?: (() => void) | null;
  clock?: () => number;
}

/** V8's full collection, exposed for this process (as test runners do), or null when the flag cannot be set. */
function v8Collector(): (() => void) | null {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  }
}

/** A reading of the event loop's busy time at an instant. */
interface BusySample {
  at: number;
  busyMs: number;
}

/** Watches how busy the event loop is and collects once when a grown server goes quiet. */
export class MemoryReducer {
  private readonly idleMs: number;
  private readonly growthBytes: number;
  private readonly busyMs: () => number;
  private readonly heapBytes: () => number;
  private readonly usedBytes: () => number;
  private readonly collect: (() => void) | null;
  private readonly clock: () => number;
  /** Busy readings of the last idleMs and one before it, oldest first (one per check). */
  private readonly samples: BusySample[] = [];
  /** Committed heap right after the last collection (or at start). */
  private baseline: number;
  /** When a collection for a heap still far above its used part is next due (if quiet then), or null. */
  private retryAt: number | null = null;
  /** The wait before the next such retry: FOLLOW_UP_MS after a collection for growth, doubling after each retry. */
  private retryMs = FOLLOW_UP_MS;
  /** When the last collection ran. */
  private lastAt = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Collections run so far (shown in /metrics as agentmon_idle_collections_total). */
  collections = 0;

  constructor(options: MemoryReducerOptions) {
    this.idleMs = options.idleMs;
    this.growthBytes = options.growthBytes ?? 32 * 1024 * 1024;
    this.heapBytes = options.heapBytes ?? (() => getHeapStatistics().total_heap_size);
    this.usedBytes = options.usedBytes ?? (() => getHeapStatistics().used_heap_size);
    this.collect = options.idleMs > 0 ? (options.collect === undefined ? v8Collector() : options.collect) : null;
    this.clock = options.clock ?? Date.now;
    this.busyMs = options.busyMs ?? (() => performance.eventLoopUtilization().active);
    this.baseline = this.heapBytes();
    this.samples.push({ at: this.clock(), busyMs: this.busyMs() });
  }

  /**
   * Records a busy reading and gives the fraction of the last idleMs (at least) the event loop was
   * busy; 1 until readings span that long.
   */
  private busyFraction(now: number): number {
    const samples = this.samples;
    samples.push({ at: now, busyMs: this.busyMs() });
    // Drop readings while the one after the oldest is itself idleMs old: the window then spans
    // idleMs and at most one check more.
    while (samples.length > 2 && now - (samples[1] as BusySample).at >= this.idleMs) samples.shift();
    const first = samples[0] as BusySample;
    const span = now - first.at;
    if (span < this.idleMs) return 1;
    return ((samples[samples.length - 1] as BusySample).busyMs - first.busyMs) / span;
  }

  /** Collects if the server has been quiet for idleMs and the heap grew enough, or a retry is due; true when it did. */
  check(): boolean {
    const now = this.clock();
    if (!this.collect) return false;
    const busy = this.busyFraction(now);
    if (busy >= MAX_BUSY) return false;
    const grew = this.heapBytes() - this.baseline >= this.growthBytes;
    if (!grew && !this.retryDue(now, busy)) return false;
    this.retryMs = grew ? FOLLOW_UP_MS : Math.min(MAX_RETRY_MS, this.retryMs * 2);
    this.collect();
    this.collections += 1;
    this.lastAt = now;
    this.baseline = this.heapBytes();
    const slack = this.baseline - this.usedBytes() >= this.growthBytes;
    this.retryAt = slack ? now + this.retryMs : null;
    return true;
  }

  /** Whether a collection for a heap still far above its used part is due, the server being this busy. */
  private retryDue(now: number, busy: number): boolean {
    if (this.retryAt === null) return false;
    if (now >= this.retryAt) return true;
    return busy < IDLE_BUSY && now >= this.lastAt + FOLLOW_UP_MS;
  }

  /** Checks every half idle period (at least every second), without keeping the process alive. */
  start(): void {
    if (!this.collect || this.timer) return;
    this.timer = setInterval(() => this.check(), Math.max(100, Math.min(1000, Math.floor(this.idleMs / 2))));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
