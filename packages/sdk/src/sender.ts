/**
 * The sender: payloads wait in a bounded buffer (oldest dropped first, the count told to the server
 * later as a custom metric), go out in batches over the session's key, and are retried with backoff
 * and jitter. What a failed batch becomes depends on the answer: sent again after re-registering
 * (401/403/404), split (413), its bad payloads dropped and the rest sent again (400), or retried
 * later (anything else, after Retry-After when the server gives one).
 */
import type { AgentMetrics, CollectionSettings } from '@agentmon/schema';
import { isAgentmonError } from './errors.js';
import { BoundedQueue } from './buffer.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import type { AgentSession } from './session.js';
import { later, now, withTimeout, type Timer } from './timing.js';

/** Custom metric carrying how many payloads the buffer dropped since the last one that got through. */
export const DROPPED_PAYLOADS_METRIC = 'agentmon_dropped_payloads';

/** A payload waiting to be sent; agent_id is stamped at send time (it is unknown before registration). */
export type PendingPayload = Omit<AgentMetrics, 'agent_id'>;

/** What a drain ended with. */
type DrainOutcome = { kind: 'done' } | { kind: 'retry'; afterMs: number | null } | { kind: 'unregistered' };

/** A failure the sender tells the reporter about. */
export interface SendFailure {
  /** Another attempt will be made. */
  willRetry: boolean;
  payloads: number;
}

/** What the sender needs from the reporter. */
export interface SenderHooks {
  /** True while retries may be scheduled (the reporter starts or runs). */
  active(): boolean;
  /** The server's collection settings came with a receipt. */
  settings(config: Partial<CollectionSettings>): void;
  failed(err: unknown, failure: SendFailure): void;
  log(level: 'debug' | 'warn', message: string, data?: Record<string, unknown>): void;
}

/** Options of the sender. */
export interface SenderOptions {
  session: AgentSession;
  maxBuffered: number;
  batchSize: number;
  retry: BackoffOptions;
  hooks: SenderHooks;
}

/** True for answers that mean the key is no longer good (revoked, agent deleted). */
export const isAuthError = (err: unknown) => isAgentmonError(err) && (err.status === 401 || err.status === 403 || err.status === 404);

/** Buffers payloads and sends them in batches, one drain at a time. */
export class PayloadSender {
  private readonly buffer: BoundedQueue<PendingPayload>;
  private batchSize: number;
  private inFlight = 0;
  private attempt = 0;
  private retryTimer: Timer | null = null;
  private draining: Promise<DrainOutcome> | null = null;
  private closed = false;

  /** Counters, for the reporter's stats. */
  readonly counts = {
    sent: 0,
    dropped: 0,
    droppedUnreported: 0,
    rejected: 0,
    batchesSent: 0,
    failedSends: 0,
    consecutiveFailures: 0,
  };
  lastSentAt: string | null = null;

  constructor(private readonly options: SenderOptions) {
    this.buffer = new BoundedQueue(options.maxBuffered);
    this.batchSize = options.batchSize;
  }

  /** Payloads waiting, in flight included. */
  get pending(): number {
    return this.buffer.size + this.inFlight;
  }

  get bufferLimit(): number {
    return this.buffer.limit;
  }

  /** Adds a payload, dropping the oldest when the buffer is full. */
  enqueue(payload: PendingPayload): void {
    const dropped = this.buffer.push(payload, this.inFlight);
    if (dropped > 0) this.noteDropped(dropped);
  }

  /** Starts a drain unless one waits for its retry time. */
  sendSoon(): void {
    if (this.retryTimer || this.closed) return;
    void this.drain().then((outcome) => {
      if (outcome.kind === 'retry') this.scheduleRetry(outcome.afterMs);
    });
  }

  /** Sends what the buffer holds now, without waiting for a retry timer; registers first when needed. */
  async sendNow(): Promise<void> {
    this.cancel();
    if (!this.options.session.apiKey) await this.options.session.register();
    const outcome = await this.drain();
    if (outcome.kind === 'retry') this.scheduleRetry(outcome.afterMs);
  }

  /**
   * Sends until the buffer is empty or `deadline` passes (stop): retries at once after a failure's
   * wait, registering again when the key is gone. No retry is scheduled past it: the sender closes.
   */
  async sendUntil(deadline: number): Promise<void> {
    this.closed = true;
    this.cancel();
    let attempt = 0;
    while (this.buffer.size > 0 && now() < deadline) {
      const outcome = await withTimeout(this.drain(), deadline - now(), 'flush', true).catch(() => ({ kind: 'retry', afterMs: null }) as DrainOutcome);
      if (outcome.kind === 'done' && this.buffer.size === 0) break;
      // A failed registration is tried again at the next turn, until the deadline.
      if (outcome.kind === 'unregistered') await this.options.session.register();
      const wait = Math.min(deadline - now(), outcome.kind === 'retry' && outcome.afterMs !== null ? outcome.afterMs : backoffDelay(attempt++, this.options.retry));
      if (wait > 0 && this.buffer.size > 0) await new Promise<void>((resolve) => later(resolve, wait, true));
    }
  }

  /** Lets sendSoon and retries work again (a monitor started after a stop). */
  reopen(): void {
    this.closed = false;
  }

  /** Cancels a scheduled retry. */
  cancel(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private noteDropped(n: number): void {
    this.counts.dropped += n;
    this.counts.droppedUnreported += n;
    this.options.hooks.log('warn', 'buffer full: dropped the oldest payloads', { dropped: n, limit: this.buffer.limit });
  }

  private scheduleRetry(afterMs: number | null): void {
    if (this.retryTimer || this.closed || !this.options.hooks.active()) return;
    const delay = Math.max(afterMs ?? 0, backoffDelay(this.attempt++, this.options.retry));
    this.options.hooks.log('debug', 'retrying later', { delay_ms: delay, buffered: this.buffer.size });
    this.retryTimer = later(() => {
      this.retryTimer = null;
      this.sendSoon();
    }, delay);
  }

  /** One drain at a time; it sends batches until the buffer is empty or a send fails. */
  private drain(): Promise<DrainOutcome> {
    this.draining ??= this.drainLoop()
      .catch((err: unknown): DrainOutcome => {
        this.options.hooks.failed(err, { willRetry: true, payloads: 0 });
        return { kind: 'retry', afterMs: null };
      })
      .finally(() => {
        this.draining = null;
      });
    return this.draining;
  }

  private async drainLoop(): Promise<DrainOutcome> {
    const { session, hooks } = this.options;
    let reauthenticated = false;
    while (this.buffer.size > 0) {
      const { client, agentId, apiKey: keyUsed } = session;
      if (!client || !agentId || !keyUsed) return { kind: 'unregistered' };
      const batch = this.buffer.shift(this.batchSize);
      this.inFlight = batch.length;
      const reportedDropped = this.counts.droppedUnreported;
      const wire: AgentMetrics[] = batch.map((p) => ({ agent_id: agentId, ...p }));
      if (reportedDropped > 0) {
        // The newest payload of the batch carries the count, so it sits beside the data that survived.
        const last = wire[wire.length - 1] as AgentMetrics;
        wire[wire.length - 1] = { ...last, custom_metrics: { ...(last.custom_metrics ?? {}), [DROPPED_PAYLOADS_METRIC]: reportedDropped } };
      }
      try {
        const receipt = await client.sendMetricsBatch(wire);
        this.inFlight = 0;
        this.counts.sent += batch.length;
        this.counts.batchesSent += 1;
        this.counts.droppedUnreported = Math.max(0, this.counts.droppedUnreported - reportedDropped);
        this.counts.consecutiveFailures = 0;
        this.attempt = 0;
        this.lastSentAt = new Date(now()).toISOString();
        if (receipt?.config) hooks.settings(receipt.config);
        continue;
      } catch (err) {
        this.inFlight = 0;
        const outcome = this.afterFailure(err, batch);
        if (outcome === 'next') continue;
        if (outcome === 'reauth') {
          if (reauthenticated || !(await session.reauthenticate(keyUsed))) return { kind: 'retry', afterMs: null };
          reauthenticated = true;
          continue;
        }
        return { kind: 'retry', afterMs: isAgentmonError(err) ? err.retryAfterMs : null };
      }
    }
    return { kind: 'done' };
  }

  /** Decides what a failed batch becomes: sent again now, after re-registering, or later. */
  private afterFailure(err: unknown, batch: PendingPayload[]): 'next' | 'reauth' | 'later' {
    const { hooks } = this.options;
    const requeue = (items: PendingPayload[]) => {
      const dropped = this.buffer.unshift(items);
      if (dropped > 0) this.noteDropped(dropped);
    };
    if (!isAgentmonError(err)) {
      // Not an HTTP answer: the batch itself cannot be sent (say, JSON cannot carry it). Trying again cannot help.
      this.counts.rejected += batch.length;
      hooks.failed(err, { willRetry: false, payloads: batch.length });
      return 'next';
    }
    if (isAuthError(err)) {
      requeue(batch);
      hooks.failed(err, { willRetry: true, payloads: batch.length });
      return 'reauth';
    }
    if (err.status === 413) {
      if (batch.length > 1) {
        this.batchSize = Math.max(1, Math.floor(batch.length / 2));
        requeue(batch);
        return 'next';
      }
      this.counts.rejected += 1;
      hooks.failed(err, { willRetry: false, payloads: 1 });
      return 'next';
    }
    if (err.status === 400) {
      // All or nothing: the details name the bad payloads (/body/<i>/...); the others go again.
      const bad = new Set<number>();
      for (const d of err.details) {
        const m = /^\/body\/(\d+)(\/|$)/.exec(d.path);
        if (m && Number(m[1]) < batch.length) bad.add(Number(m[1]));
      }
      const refused = bad.size > 0 ? batch.filter((_, i) => bad.has(i)) : batch;
      this.counts.rejected += refused.length;
      hooks.failed(err, { willRetry: false, payloads: refused.length });
      if (bad.size > 0) requeue(batch.filter((_, i) => !bad.has(i)));
      return 'next';
    }
    requeue(batch);
    this.counts.failedSends += 1;
    this.counts.consecutiveFailures += 1;
    hooks.failed(err, { willRetry: true, payloads: batch.length });
    return 'later';
  }
}
