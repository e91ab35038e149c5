/**
 * The live bus: every message the stream sends (system events, alert transitions, status moves,
 * metrics ticks) with a monotonic id, a bounded replay buffer for Last-Event-ID, and subscribers.
 * Instances sharing a PostgreSQL store hear each other's messages through a Broadcaster
 * (LISTEN/NOTIFY), so any instance's stream carries the whole fleet.
 */
import { randomUUID } from 'node:crypto';
import { STREAM_EVENT_KINDS, type StreamEventKind } from '@agentmon/schema';
import type { Broadcaster } from '../storage/ports.js';

/** One stream message. */
export interface LiveMessage {
  id: number;
  kind: StreamEventKind;
  data: unknown;
}

/** A subscriber; it must not throw. */
export type LiveSubscriber = (message: LiveMessage) => void;

/** Publishes messages to subscribers and keeps the last ones for resuming clients. */
export class LiveBus {
  private nextId = 1;
  /** The last `bufferSize` messages, a ring: `kept[(start + i) % bufferSize]` is the i-th oldest. */
  private readonly kept: LiveMessage[] = [];
  private start = 0;
  private readonly subscribers = new Set<LiveSubscriber>();
  private readonly origin = randomUUID();
  private broadcaster: Broadcaster | null = null;
  private onBroadcastError: (err: Error) => void = () => undefined;

  constructor(private readonly bufferSize = 5000) {}

  /**
   * Shares this bus with the other instances on `broadcaster`: what is published here goes to them,
   * and what they publish arrives here. Returns the function that stops listening.
   */
  async attach(broadcaster: Broadcaster, onError: (err: Error) => void): Promise<() => Promise<void>> {
    this.broadcaster = broadcaster;
    this.onBroadcastError = onError;
    const kinds: ReadonlySet<string> = new Set(STREAM_EVENT_KINDS);
    const stop = await broadcaster.listen((m) => {
      if (m.origin !== this.origin && kinds.has(m.kind)) this.deliver(m.kind as StreamEventKind, m.data);
    }, onError);
    return async () => {
      this.broadcaster = null;
      await stop();
    };
  }

  /** Number of connected subscribers. */
  get size(): number {
    return this.subscribers.size;
  }

  /** Sends a message to every subscriber here and on the other instances. */
  publish(kind: StreamEventKind, data: unknown): void {
    this.deliver(kind, data);
    this.broadcaster?.publish({ origin: this.origin, kind, data }).catch((err: unknown) => this.onBroadcastError(err as Error));
  }

  /** Sends a message to this instance's subscribers and keeps it for replay. */
  private deliver(kind: StreamEventKind, data: unknown): void {
    const message: LiveMessage = { id: this.nextId++, kind, data };
    // A ring, so keeping a message costs the same with a full buffer (a busy fleet) as an empty one.
    if (this.kept.length < this.bufferSize) this.kept.push(message);
    else {
      this.kept[this.start] = message;
      this.start = (this.start + 1) % this.bufferSize;
    }
    for (const s of this.subscribers) s(message);
  }

  /**
   * Subscribes; with `lastEventId`, first replays the kept messages after it (those older than the
   * buffer are gone: the client reloads). Returns the unsubscribe function.
   */
  subscribe(subscriber: LiveSubscriber, lastEventId?: number): () => void {
    if (lastEventId !== undefined) {
      for (let i = 0; i < this.kept.length; i++) {
        const m = this.kept[(this.start + i) % this.kept.length] as LiveMessage;
        if (m.id > lastEventId) subscriber(m);
      }
    }
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }
}
