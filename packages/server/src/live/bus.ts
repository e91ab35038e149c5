/**
 * The live bus: every message the stream sends (system events, alert transitions, status moves,
 * metrics ticks) with a monotonic id, serialised once into its SSE frame, and kept in a bounded
 * ring that subscribers read from at their own pace (a cursor each, so a slow reader costs no
 * memory of its own) and that clients resuming with Last-Event-ID replay from.
 * Instances sharing a PostgreSQL store hear each other's messages through a Broadcaster
 * (LISTEN/NOTIFY), so any instance's stream carries the whole fleet.
 */
import { randomUUID } from 'node:crypto';
import { STREAM_EVENT_KINDS, type StreamData, type StreamEventKind } from '@agentmon/schema';
import type { Broadcaster } from '../storage/ports.js';

/**
 * What a message is: one of the stream's kinds, or `resync` (local to this instance, never shared):
 * messages may have been missed (the fan-out between instances was down), reload what is shown.
 */
export type LiveKind = StreamEventKind | 'resync';

/** One stream message. */
export interface LiveMessage {
  readonly id: number;
  readonly kind: LiveKind;
  readonly data: unknown;
  /** The SSE frame (`id:`, `event:`, `data:`), built once for every subscriber. */
  readonly frame: Buffer;
  /** Bytes of the frames delivered before this one (so a reader knows how far behind it is). */
  readonly offset: number;
}

/** Where a reader's next message is, given the id of the last one it has. */
export type NextMessage =
  | { kind: 'message'; message: LiveMessage }
  /** Nothing newer yet. */
  | { kind: 'none' }
  /** The messages after the id have left the ring (or the id is from before a restart). */
  | { kind: 'gone' };

/** A subscriber: told that messages were added; it reads them with `next()`. It must not throw. */
export type LiveSubscriber = () => void;

/** Builds a message's SSE frame. */
function frameOf(id: number, kind: LiveKind, data: unknown): Buffer {
  return Buffer.from(`id: ${id}\nevent: ${kind}\ndata: ${JSON.stringify(data)}\n\n`, 'utf8');
}

/**
 * A kept message. Its frame is built when a subscriber is there to read it: a busy fleet publishes
 * a metrics tick per agent per request, and serialising each one while nobody watches took a
 * twentieth of the ingest path. A message kept with no subscriber is serialised if a client
 * resuming with Last-Event-ID reads it; its bytes do not count toward how far behind readers are
 * (the ring bounds those anyway).
 */
class KeptMessage implements LiveMessage {
  private built: Buffer | null;

  constructor(
    readonly id: number,
    readonly kind: LiveKind,
    readonly data: unknown,
    readonly offset: number,
    eager: boolean,
  ) {
    this.built = eager ? frameOf(id, kind, data) : null;
  }

  get frame(): Buffer {
    this.built ??= frameOf(this.id, this.kind, this.data);
    return this.built;
  }

  /** The frame's length if it was built when kept, else 0. */
  get counted(): number {
    return this.built === null ? 0 : this.built.length;
  }
}

/** Publishes messages, keeps the last ones, and wakes subscribers. */
export class LiveBus {
  private nextId = 1;
  /** The last `bufferSize` messages, a ring: `kept[(start + i) % bufferSize]` is the i-th oldest. */
  private readonly kept: LiveMessage[] = [];
  private start = 0;
  /** Bytes of every frame delivered so far. */
  private bytes = 0;
  private readonly subscribers = new Set<LiveSubscriber>();
  private readonly origin = randomUUID();
  private broadcaster: Broadcaster | null = null;
  private onBroadcastError: (err: Error) => void = () => undefined;

  constructor(private readonly bufferSize = 5000) {}

  /**
   * Shares this bus with the other instances on `broadcaster`: what is published here goes to them,
   * and what they publish arrives here. When the broadcaster lost its connection and got it back,
   * subscribers get a `resync` message: what the others published meanwhile never arrived.
   * Returns the function that stops listening.
   */
  async attach(broadcaster: Broadcaster, hooks: { error: (err: Error) => void; reconnected?: () => void }): Promise<() => Promise<void>> {
    this.broadcaster = broadcaster;
    this.onBroadcastError = hooks.error;
    const kinds: ReadonlySet<string> = new Set(STREAM_EVENT_KINDS);
    const stop = await broadcaster.listen(
      (m) => {
        if (m.origin !== this.origin && kinds.has(m.kind)) this.deliver(m.kind as StreamEventKind, m.data);
      },
      {
        error: hooks.error,
        reconnected: () => {
          hooks.reconnected?.();
          this.deliver('resync', { reason: 'fan_out_reconnected', message: 'the connection to the other instances was lost and is back; messages may be missing' });
        },
      },
    );
    return async () => {
      this.broadcaster = null;
      await stop();
    };
  }

  /** Number of connected subscribers. */
  get size(): number {
    return this.subscribers.size;
  }

  /** How many messages the ring holds (the newest ones). */
  get keptCount(): number {
    return this.kept.length;
  }

  /** The id of the newest message (0 before the first). */
  get lastId(): number {
    return this.nextId - 1;
  }

  /** Sends a message to every subscriber here and on the other instances. */
  publish<K extends StreamEventKind>(kind: K, data: StreamData[K]): void {
    this.deliver(kind, data);
    this.broadcaster?.publish({ origin: this.origin, kind, data }).catch((err: unknown) => this.onBroadcastError(err as Error));
  }

  /** Keeps a message for this instance's subscribers and wakes them. */
  private deliver(kind: LiveKind, data: unknown): void {
    const id = this.nextId++;
    const message = new KeptMessage(id, kind, data, this.bytes, this.subscribers.size > 0);
    this.bytes += message.counted;
    // A ring, so keeping a message costs the same with a full buffer (a busy fleet) as an empty one.
    if (this.kept.length < this.bufferSize) this.kept.push(message);
    else {
      this.kept[this.start] = message;
      this.start = (this.start + 1) % this.bufferSize;
    }
    for (const s of this.subscribers) s();
  }

  /** The message after `id`, for a reader that has every message up to `id`. */
  next(id: number): NextMessage {
    if (id >= this.lastId) return id > this.lastId ? { kind: 'gone' } : { kind: 'none' };
    const oldest = this.kept[this.start] as LiveMessage;
    // Ids are consecutive, so the message after `id` sits at a known place in the ring.
    const index = id + 1 - oldest.id;
    if (index < 0) return { kind: 'gone' };
    return { kind: 'message', message: this.kept[(this.start + index) % this.kept.length] as LiveMessage };
  }

  /** Bytes of the frames after `id` a reader has yet to send; Infinity when they left the ring. */
  bytesAfter(id: number): number {
    const n = this.next(id);
    if (n.kind === 'none') return 0;
    return n.kind === 'gone' ? Infinity : this.bytes - n.message.offset;
  }

  /** Wakes `subscriber` whenever a message is added, until the returned function is called. */
  subscribe(subscriber: LiveSubscriber): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }
}
