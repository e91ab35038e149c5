/**
 * The live bus: every message the stream sends (system events, alert transitions, status moves,
 * metrics ticks) with a monotonic id, a bounded replay buffer for Last-Event-ID, and subscribers.
 * In-process: each server instance streams what it saw (see the README's scale-out note).
 */
import type { StreamEventKind } from '@agentmon/schema';

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
  private readonly buffer: LiveMessage[] = [];
  private readonly subscribers = new Set<LiveSubscriber>();

  constructor(private readonly bufferSize = 5000) {}

  /** Number of connected subscribers. */
  get size(): number {
    return this.subscribers.size;
  }

  /** Sends a message to every subscriber and keeps it for replay. */
  publish(kind: StreamEventKind, data: unknown): void {
    const message: LiveMessage = { id: this.nextId++, kind, data };
    this.buffer.push(message);
    if (this.buffer.length > this.bufferSize) this.buffer.splice(0, this.buffer.length - this.bufferSize);
    for (const s of this.subscribers) s(message);
  }

  /**
   * Subscribes; with `lastEventId`, first replays the kept messages after it (those older than the
   * buffer are gone: the client reloads). Returns the unsubscribe function.
   */
  subscribe(subscriber: LiveSubscriber, lastEventId?: number): () => void {
    if (lastEventId !== undefined) for (const m of this.buffer) if (m.id > lastEventId) subscriber(m);
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }
}
