/**
 * One live-stream connection: it reads the bus's ring from its own cursor and writes frames to its
 * socket only while the socket takes them (backpressure). A client that falls behind costs no
 * memory of its own (the frames stay in the shared ring); one more than `maxBehindBytes` behind, or
 * whose next message left the ring, is disconnected, and resumes with Last-Event-ID.
 */
import type { LiveBus } from './bus.js';

/** The socket side: what a Node ServerResponse offers. */
export interface StreamSink {
  /** False when the socket's buffer is full: wait for 'drain'. */
  write(chunk: Buffer | string): boolean;
  once(event: 'drain', listener: () => void): unknown;
  /** Ends the connection at once, dropping what is buffered. */
  destroy(): void;
}

/** Why a client was disconnected. */
export interface StreamDrop {
  reason: 'behind' | 'missed';
  /** Bytes it was behind (Infinity: its next message left the ring). */
  behindBytes: number;
}

/** Options of a StreamClient. */
export interface StreamClientOptions {
  /** Most bytes of frames the client may be behind before it is disconnected. */
  maxBehindBytes: number;
  /** The id the client last saw (Last-Event-ID); undefined: new messages only. */
  lastEventId: number | undefined;
  /** Called once when the client is disconnected for being slow. */
  onDrop: (drop: StreamDrop) => void;
}

/** A live-stream connection reading the bus at its own pace. */
export class StreamClient {
  private cursor: number;
  private blocked = false;
  private closed = false;
  /** Until the cursor passes this id the client is catching up on a replay, which may be large. */
  private readonly replayUntil: number;
  private readonly stop: () => void;

  constructor(
    private readonly bus: LiveBus,
    private readonly sink: StreamSink,
    private readonly options: StreamClientOptions,
  ) {
    const { lastEventId } = options;
    this.replayUntil = bus.lastId;
    if (lastEventId === undefined || lastEventId === bus.lastId) this.cursor = bus.lastId;
    else if (bus.next(lastEventId).kind === 'gone') {
      // Its history is gone (older than the ring, or from before a restart): say so, and start at
      // the oldest kept message. The id tells the client where it now stands.
      this.cursor = Math.max(0, bus.lastId - bus.keptCount);
      this.write(`id: ${this.cursor}\nevent: resync\ndata: ${JSON.stringify({ reason: 'history_gone', message: 'messages after the given Last-Event-ID are no longer kept; reload what is shown' })}\n\n`);
    } else this.cursor = lastEventId;
    this.stop = bus.subscribe(() => this.wake());
    this.pump();
  }

  /** Writes a comment (keep-alive) unless the socket is full (then the client is busy anyway). */
  comment(text: string): void {
    if (!this.blocked && !this.closed) this.write(`: ${text}\n\n`);
  }

  /** Stops reading the bus (the connection closed). */
  close(): void {
    this.closed = true;
    this.stop();
  }

  private wake(): void {
    if (this.closed) return;
    if (!this.blocked) return this.pump();
    // Blocked: the frames wait in the ring. Past the limit (a replay aside), or gone from the ring, it is dropped.
    const behind = this.bus.bytesAfter(this.cursor);
    if (behind === Infinity) this.drop({ reason: 'missed', behindBytes: behind });
    else if (behind > this.options.maxBehindBytes && this.cursor >= this.replayUntil) this.drop({ reason: 'behind', behindBytes: behind });
  }

  private pump(): void {
    while (!this.blocked && !this.closed) {
      const next = this.bus.next(this.cursor);
      if (next.kind === 'none') return;
      if (next.kind === 'gone') return this.drop({ reason: 'missed', behindBytes: Infinity });
      this.cursor = next.message.id;
      this.write(next.message.frame);
    }
  }

  private write(chunk: Buffer | string): void {
    if (this.sink.write(chunk)) return;
    this.blocked = true;
    this.sink.once('drain', () => {
      this.blocked = false;
      this.pump();
    });
  }

  private drop(drop: StreamDrop): void {
    if (this.closed) return;
    this.close();
    this.options.onDrop(drop);
    this.sink.destroy();
  }
}
