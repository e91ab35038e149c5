// The live bus keeps its last messages in a ring that readers walk with their own cursor: a reader
// resuming with Last-Event-ID gets exactly the kept messages after its id, in order, however often
// the ring wrapped, and learns when the messages it needs are gone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StatusStreamData } from '@agentmon/schema';
import { LiveBus, type LiveMessage } from './bus.js';

/** A status message of agent `a<i>`. */
const status = (i: number): StatusStreamData => ({ agent_id: `a${i}`, status: 'online', previous_status: 'unknown', reason: null, health_score: 1, last_seen: null });

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
    for (let i = 1; i <= 13; i++) bus.publish('status', status(i));
    const after10 = readAfter(bus, 10);
    assert.notEqual(after10, 'gone');
    assert.deepEqual((after10 as LiveMessage[]).map((m) => m.id), [11, 12, 13]);
    assert.deepEqual((readAfter(bus, 8) as LiveMessage[]).map((m) => [m.id, (m.data as StatusStreamData).agent_id]), [[9, 'a9'], [10, 'a10'], [11, 'a11'], [12, 'a12'], [13, 'a13']]);
    assert.equal(readAfter(bus, 7), 'gone', 'message 8 left the ring');
    assert.equal(readAfter(bus, 14), 'gone', 'an id this bus never gave (a restart) has no history here');
  });

  it('wakes subscribers for each message until they leave, counts the bytes a reader is behind, and serialises what nobody heard only when read', () => {
    const bus = new LiveBus(100);
    let woken = 0;
    const stop = bus.subscribe(() => woken++);
    bus.publish('status', status(1));
    bus.publish('status', status(2));
    stop();
    bus.publish('status', status(3));
    assert.equal(woken, 2);
    const frames = (readAfter(bus, 0) as LiveMessage[]).map((m) => m.frame.toString('utf8'));
    assert.deepEqual(frames, [1, 2, 3].map((i) => `id: ${i}\nevent: status\ndata: ${JSON.stringify(status(i))}\n\n`));
    // Message 3 came with nobody listening: it is serialised when read (a resuming client gets it
    // whole), and only what was framed for a subscriber counts toward how far behind a reader is.
    assert.equal(bus.bytesAfter(1), Buffer.byteLength(frames[1] as string));
    assert.equal(bus.bytesAfter(3), 0);
  });
});
