// The live bus keeps its last messages in a ring that readers walk with their own cursor: a reader
// resuming with Last-Event-ID gets exactly the kept messages after its id, in order, however often
// the ring wrapped, and learns when the messages it needs are gone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LiveBus, type LiveMessage } from './bus.js';

/** Every message after `id`, read the way a stream client reads them. */
function readAfter(bus: LiveBus, id: number): LiveMessage[] | 'gone' {
  const got: LiveMessage[] = [];
  for (let cursor = id; ; ) {
    const n = bus.next(cursor);
    if (n.kind === 'gone') return 'gone';
    if (n.kind === 'none') return got;
    got.push(n.message);
    cursor = n.message.id;
  }
}

describe('live bus ring', () => {
  it('gives the kept messages after an id, in order, after the ring wrapped; older ones are gone', () => {
    const bus = new LiveBus(5);
    for (let i = 1; i <= 13; i++) bus.publish('metrics', { i });
    const after10 = readAfter(bus, 10);
    assert.notEqual(after10, 'gone');
    assert.deepEqual((after10 as LiveMessage[]).map((m) => m.id), [11, 12, 13]);
    assert.deepEqual((readAfter(bus, 8) as LiveMessage[]).map((m) => [m.id, (m.data as { i: number }).i]), [[9, 9], [10, 10], [11, 11], [12, 12], [13, 13]]);
    assert.equal(readAfter(bus, 7), 'gone', 'message 8 left the ring');
    assert.equal(readAfter(bus, 14), 'gone', 'an id this bus never gave (a restart) has no history here');
  });

  it('wakes subscribers for each message until they leave, counts the bytes a reader is behind, and serialises what nobody heard only when read', () => {
    const bus = new LiveBus(100);
    let woken = 0;
    const stop = bus.subscribe(() => woken++);
    bus.publish('status', { i: 1 });
    bus.publish('status', { i: 2 });
    stop();
    bus.publish('status', { i: 3 });
    assert.equal(woken, 2);
    const frames = (readAfter(bus, 0) as LiveMessage[]).map((m) => m.frame.toString('utf8'));
    assert.deepEqual(frames, [1, 2, 3].map((i) => `id: ${i}\nevent: status\ndata: {"i":${i}}\n\n`));
    // Message 3 came with nobody listening: it is serialised when read (a resuming client gets it
    // whole), and only what was framed for a subscriber counts toward how far behind a reader is.
    assert.equal(bus.bytesAfter(1), Buffer.byteLength(frames[1] as string));
    assert.equal(bus.bytesAfter(3), 0);
  });
});
