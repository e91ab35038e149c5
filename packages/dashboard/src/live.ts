/**
 * The live stream: one EventSource on GET /events/stream with a short-lived stream token, resumed
 * after errors with a fresh token and `last_event_id`. Messages are coalesced: subscribers get at
 * most one batch per `flushMs` (1,000 agents send ~17 metrics ticks a second; only each agent's
 * latest tick is kept), delivered on an animation frame so the page never redraws faster than it
 * paints. A `resync` message (messages may be missing) makes the next batch a `resync` one:
 * subscribers reload.
 */
import type { AlertStreamData, MetricsStreamData, StatusStreamData, StreamEventKind, SystemEvent } from '@agentmon/schema';
import { STREAM_EVENT_KINDS, backoffDelay } from '@agentmon/schema/plain';
import { ApiError, type ApiClient } from './api.js';

/** What arrived since the last batch. */
export interface LiveBatch {
  /** The latest metrics tick per agent. */
  metrics: Map<string, MetricsStreamData>;
  status: StatusStreamData[];
  alerts: AlertStreamData[];
  events: SystemEvent[];
  /** The stream was down for a while: messages may be missing, reload what is shown. */
  resync: boolean;
}

/** Connection state, for the header's indicator. */
export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'closed';


const emptyBatch = (): LiveBatch => ({ metrics: new Map(), status: [], alerts: [], events: [], resync: false });

/** The dashboard's single stream connection. */
export class LiveStream {
  private es: EventSource | null = null;
  private lastId = 0;
  private pending = emptyBatch();
  private hasPending = false;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private lastFlush = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private tokenTimer: ReturnType<typeof setTimeout> | null = null;
  private token: { token: string; expiresMs: number } | null = null;
  private attempts = 0;
  private stopped = true;
  private readonly subscribers = new Set<(batch: LiveBatch) => void>();
  private readonly stateListeners = new Set<(state: LiveState) => void>();
  state: LiveState = 'closed';

  constructor(
    private readonly client: ApiClient,
    private readonly flushMs = 1000,
  ) {}

  /** Opens the stream (idempotent). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.setState('connecting');
    void this.connect();
  }

  /** Closes the stream and every timer. */
  stop(): void {
    this.stopped = true;
    this.es?.close();
    this.es = null;
    for (const t of [this.flushTimer, this.retryTimer, this.tokenTimer]) if (t) clearTimeout(t);
    this.flushTimer = this.retryTimer = this.tokenTimer = null;
    this.setState('closed');
  }

  /** Receives batches until the returned function is called. */
  subscribe(fn: (batch: LiveBatch) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  /** Hears state changes until the returned function is called. */
  onState(fn: (state: LiveState) => void): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  private setState(state: LiveState): void {
    if (this.state === state) return;
    this.state = state;
    for (const fn of this.stateListeners) fn(state);
  }

  /** A stream token valid for at least 30 more seconds; fetched again shortly before expiry. */
  private async freshToken(): Promise<string> {
    if (this.token && this.token.expiresMs - Date.now() > 30_000) return this.token.token;
    const t = await this.client.createStreamToken();
    const expiresMs = Date.parse(t.expires_at);
    this.token = { token: t.token, expiresMs };
    if (this.tokenTimer) clearTimeout(this.tokenTimer);
    // Keep a valid token at hand, so a reconnect never starts with an expired one.
    const refreshIn = Math.max(5_000, expiresMs - Date.now() - 60_000);
    this.tokenTimer = setTimeout(() => {
      this.token = null;
      if (!this.stopped) this.freshToken().catch(() => undefined);
    }, refreshIn);
    return t.token;
  }

  private async connect(): Promise<void> {
    let token: string;
    try {
      token = await this.freshToken();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return this.stop();
      return this.retry();
    }
    if (this.stopped) return;
    const params = new URLSearchParams({ token });
    if (this.lastId > 0) params.set('last_event_id', String(this.lastId));
    const es = new EventSource(`${this.client.baseUrl}/api/v1/events/stream?${params}`);
    this.es = es;
    const wasDown = this.attempts > 0;
    es.onopen = () => {
      this.attempts = 0;
      this.setState('live');
      if (wasDown) {
        this.pending.resync = true;
        this.schedule();
      }
    };
    es.onerror = () => {
      // Our own reconnect (fresh token, last_event_id) rather than EventSource's (same, maybe expired, token).
      es.close();
      if (this.es === es) this.es = null;
      this.retry();
    };
    for (const kind of STREAM_EVENT_KINDS) es.addEventListener(kind, (e) => this.receive(kind, e as MessageEvent<string>));
    es.addEventListener('resync', (e) => this.resync(e as MessageEvent<string>));
  }

  /**
   * The server says messages may be missing (its link to the other instances was down, or the
   * history after our last id is gone): reload what is shown, and take its id as where we stand,
   * even when lower than ours (a restarted server counts from 1 again).
   */
  private resync(e: MessageEvent<string>): void {
    const id = Number(e.lastEventId);
    if (e.lastEventId !== '' && Number.isInteger(id) && id >= 0) this.lastId = id;
    this.pending.resync = true;
    this.schedule();
  }

  private retry(): void {
    if (this.stopped) return;
    this.setState('reconnecting');
    // agentmon's one backoff: 1 s doubling to 30 s, half of each step random, so tabs do not come back at once.
    const delay = backoffDelay(this.attempts, { initialDelayMs: 1000, maxDelayMs: 30_000 });
    this.attempts++;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, delay);
  }

  private receive(kind: StreamEventKind, e: MessageEvent<string>): void {
    const id = Number(e.lastEventId);
    if (Number.isFinite(id) && id > 0) {
      if (id <= this.lastId) return; // replayed twice across a reconnect
      this.lastId = id;
    }
    let data: unknown;
    try {
      data = JSON.parse(e.data);
    } catch {
      return;
    }
    const p = this.pending;
    if (kind === 'metrics') {
      const m = data as MetricsStreamData;
      p.metrics.set(m.agent_id, m);
    } else if (kind === 'status') p.status.push(data as StatusStreamData);
    else if (kind === 'alert') p.alerts.push(data as AlertStreamData);
    else p.events.push(data as SystemEvent);
    this.schedule();
  }

  private schedule(): void {
    this.hasPending = true;
    if (this.flushTimer) return;
    const wait = Math.max(0, this.lastFlush + this.flushMs - Date.now());
    this.flushTimer = setTimeout(() => {
      const frame = typeof requestAnimationFrame === 'function' && document.visibilityState === 'visible' ? requestAnimationFrame : (f: () => void) => f();
      frame(() => this.flush());
    }, wait);
  }

  private flush(): void {
    this.flushTimer = null;
    if (!this.hasPending) return;
    const batch = this.pending;
    this.pending = emptyBatch();
    this.hasPending = false;
    this.lastFlush = Date.now();
    for (const fn of this.subscribers) {
      try {
        fn(batch);
      } catch (err) {
        console.error('agentmon: a live subscriber failed', err);
      }
    }
  }
}
