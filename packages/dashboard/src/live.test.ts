// The stream's `resync` message (the server's link to other instances was down, or the history after
// our id is gone, e.g. after a server restart) makes the next batch a resync one (pages reload), and
// the id it carries becomes where the stream stands, so messages counted from a restarted server's
// lower ids are not thrown away as duplicates.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { ApiClient } from './api.js';
import { LiveStream, type LiveBatch } from './live.js';

/** An EventSource that the test drives by hand. */
class FakeEventSource {
  static last: FakeEventSource | null = null;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  private readonly listeners = new Map<string, (e: { data: string; lastEventId: string }) => void>();
  constructor(readonly url: string) {
    FakeEventSource.last = this;
  }
  addEventListener(kind: string, fn: (e: { data: string; lastEventId: string }) => void): void {
    this.listeners.set(kind, fn);
  }
  close(): void {}
  emit(kind: string, lastEventId: string, data: unknown): void {
    this.listeners.get(kind)?.({ data: JSON.stringify(data), lastEventId });
  }
}

const client = { baseUrl: '', createStreamToken: async () => ({ token: 'st.test', expires_at: new Date(Date.now() + 600_000).toISOString() }) } as unknown as ApiClient;
const original = (globalThis as { EventSource?: unknown }).EventSource;

describe('live stream resync', () => {
  afterEach(() => {
    (globalThis as { EventSource?: unknown }).EventSource = original;
  });

  it('turns a resync message into a resync batch and restarts counting from its id', async () => {
    (globalThis as { EventSource?: unknown }).EventSource = FakeEventSource;
    const live = new LiveStream(client, 0);
    const batches: LiveBatch[] = [];
    live.subscribe((b) => batches.push(b));
    live.start();
    try {
      for (let i = 0; i < 50 && !FakeEventSource.last; i++) await new Promise((r) => setTimeout(r, 5));
      const es = FakeEventSource.last as FakeEventSource;
      es.onopen?.();
      es.emit('metrics', '50', { agent_id: 'a', health_score: 90 });
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(batches.at(-1)?.resync, false);
      es.emit('resync', '3', { reason: 'history_gone', message: 'gone' });
      es.emit('metrics', '4', { agent_id: 'b', health_score: 80 });
      await new Promise((r) => setTimeout(r, 20));
      const last = batches.at(-1) as LiveBatch;
      assert.equal(last.resync, true, 'pages reload');
      assert.ok(last.metrics.has('b'), 'the message after the resync is taken, though its id is lower than before');
    } finally {
      live.stop();
    }
  });
});
