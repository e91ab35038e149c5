// The live bus keeps its last messages in a ring: a client resuming with Last-Event-ID gets exactly
// the kept messages after its id, in order, however often the ring wrapped.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LiveBus, type LiveMessage } from './bus.js';

describe('live bus replay', () => {
  it('replays the kept messages after an id, in order, after the ring wrapped', () => {
    const bus = new LiveBus(5);
    for (let i = 1; i <= 13; i++) bus.publish('metrics', { i });
    const replayed: LiveMessage[] = [];
    bus.subscribe((m) => replayed.push(m), 10)();
    assert.deepEqual(replayed.map((m) => m.id), [11, 12, 13]);
    const all: LiveMessage[] = [];
    bus.subscribe((m) => all.push(m), 0)();
    assert.deepEqual(all.map((m) => [m.id, (m.data as { i: number }).i]), [[9, 9], [10, 10], [11, 11], [12, 12], [13, 13]], 'only the last five are kept');
  });

  it('replays everything after an id before the ring is full, and live messages after', () => {
    const bus = new LiveBus(100);
    for (let i = 1; i <= 3; i++) bus.publish('status', { i });
    const got: number[] = [];
    const stop = bus.subscribe((m) => got.push(m.id), 1);
    bus.publish('status', { i: 4 });
    stop();
    bus.publish('status', { i: 5 });
    assert.deepEqual(got, [2, 3, 4]);
  });
});
