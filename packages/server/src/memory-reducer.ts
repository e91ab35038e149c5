/**
 * Gives memory back once a burst of work is over. Under a heavy load (batches of a thousand
 * payloads, answers of a million values) V8 grows its heap several times past what stays alive,
 * and keeps it: a server that took a load and then went quiet held 270 MiB of heap for 60 MiB of
 * live objects. V8's own memory reducer rarely acts on a server, whose small idle requests never
 * look like the allocation pause it waits for. So when no request has started or ended for
 * `idleMs` and the committed heap has grown by `growthBytes` since the last collection, one full
 * collection runs; V8 then returns the emptied old-generation pages to the system. A busy server
 * is never paused by it, and an idle one that has not grown is left alone.
 *
 * The young generation (up to 64 MiB under load, with the `agentmon` command's 32 MiB
 * semi-spaces) is shrunk only by a collection that finds the recent allocation rate low, and V8
 * judges that rate over the last 5 s of collections: the first collection still sees the load's
 * rate. So when that one leaves the committed heap `growthBytes` above the used heap, a second
 * runs after FOLLOW_UP_MS more of quiet, and finds the rate near zero (measured with 64 MiB
 * semi-spaces: 185 MiB committed for 42 MiB used after the first, about 50 after the second).
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Quiet time after a collection before the follow-up: longer than V8's 5 s allocation-rate window. */
export const FOLLOW_UP_MS = 5500;

export interface MemoryReducerOptions {
  /** Quiet time before a collection, ms (0: never collect). */
  idleMs: number;
  /** Growth of the committed heap since the last collection that makes one worth its pause. */
  growthBytes?: number;
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

/** Watches request activity and collects once when a grown server goes quiet. */
export class MemoryReducer {
  private readonly idleMs: number;
  private readonly growthBytes: number;
  private readonly heapBytes: () => number;
  private readonly usedBytes: () => number;
  private readonly collect: (() => void) | null;
  private readonly clock: () => number;
  private lastActivity: number;
  /** Committed heap right after the last collection (or at start). */
  private baseline: number;
  /** When the follow-up collection is due (quiet since the last one), or null. */
  private followUpAt: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Collections run so far (shown in /metrics). */
  collections = 0;

  constructor(options: MemoryReducerOptions) {
    this.idleMs = options.idleMs;
    this.growthBytes = options.growthBytes ?? 32 * 1024 * 1024;
    this.heapBytes = options.heapBytes ?? (() => getHeapStatistics().total_heap_size);
    this.usedBytes = options.usedBytes ?? (() => getHeapStatistics().used_heap_size);
    this.collect = options.idleMs > 0 ? (options.collect === undefined ? v8Collector() : options.collect) : null;
    this.clock = options.clock ?? Date.now;
    this.lastActivity = this.clock();
    this.baseline = this.heapBytes();
  }

  /** A request started or ended. */
  touch(): void {
    this.lastActivity = this.clock();
    // Work resumed: the rate the follow-up waits for is gone; growth decides again.
    this.followUpAt = null;
  }

  /** Collects if the server has been quiet for idleMs and the heap grew enough, or a follow-up is due; true when it did. */
  check(): boolean {
    const now = this.clock();
    if (!this.collect || now - this.lastActivity < this.idleMs) return false;
    if (this.followUpAt !== null) {
      if (now < this.followUpAt) return false;
      this.followUpAt = null;
      this.run();
      return true;
    }
    if (this.heapBytes() - this.baseline < this.growthBytes) return false;
    this.run();
    if (this.heapBytes() - this.usedBytes() >= this.growthBytes) this.followUpAt = now + FOLLOW_UP_MS;
    return true;
  }

  private run(): void {
    this.collect?.();
    this.collections += 1;
    this.baseline = this.heapBytes();
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
