import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getHeapStatistics } from 'node:v8';
import { FOLLOW_UP_MS, MemoryReducer } from './memory-reducer.js';

const MiB = 1024 * 1024;

/**
 * A reducer on a hand-driven clock and heap; `collected` counts its collections, which shrink the
 * heap to `live` plus what `kept` says V8 held back that time.
 */
function rig(idleMs: number) {
  // `kept`: committed bytes a collection leaves above the live ones (V8 keeping its young
  // generation while the recent allocation rate looks high).
  const state = { now: 0, heap: 50 * MiB, live: 50 * MiB, kept: 0, collected: 0 };
  const reducer = new MemoryReducer({
    idleMs,
    growthBytes: 32 * MiB,
    clock: () => state.now,
    heapBytes: () => state.heap,
    usedBytes: () => state.live,
    collect: () => {
      state.collected += 1;
      state.heap = state.live + state.kept;
      state.kept = 0;
    },
  });
  return { state, reducer };
}

test('a grown heap is collected once the server has been quiet for idleMs, and only once', () => {
  const { state, reducer } = rig(3000);
  state.heap = 300 * MiB;
  reducer.touch();
  state.now = 2999;
  assert.equal(reducer.check(), false, 'still within the idle period after the last request');
  state.now = 3000;
  assert.equal(reducer.check(), true);
  assert.equal(state.collected, 1);
  state.now = 10_000;
  assert.equal(reducer.check(), false, 'nothing grew since the collection');
  assert.equal(state.collected, 1);
});

/** A rig whose heap grew to 300 MiB, collected at 3 s of quiet with `kept` MiB held back by V8. */
function collectedOnce(keptMiB: number) {
  const rigged = rig(3000);
  rigged.state.heap = 300 * MiB;
  rigged.state.kept = keptMiB * MiB;
  rigged.state.now = 3000;
  assert.equal(rigged.reducer.check(), true);
  return rigged;
}

test('a collection that leaves the young generation grown is followed by one more after FOLLOW_UP_MS of quiet', () => {
  const { state, reducer } = collectedOnce(140);
  assert.equal(state.heap, 190 * MiB, 'the first collection kept 140 MiB above the live heap');
  state.now = 3000 + FOLLOW_UP_MS - 1;
  assert.equal(reducer.check(), false, 'the follow-up waits for a quiet spell longer than V8 rates allocation over');
  state.now = 3000 + FOLLOW_UP_MS;
  assert.equal(reducer.check(), true);
  assert.equal(state.collected, 2);
  assert.equal(state.heap, 50 * MiB);
  state.now = 60_000;
  assert.equal(reducer.check(), false, 'no third one: nothing grew');
});

test('a request before the follow-up cancels it; growth decides again', () => {
  const { state, reducer } = collectedOnce(20);
  state.now = 4000;
  assert.equal(reducer.check(), false, 'heap within 32 MiB of used: no follow-up due');
  state.heap = 300 * MiB;
  state.kept = 140 * MiB;
  state.now = 10_000;
  assert.equal(reducer.check(), true, 'grew again: collected');
  state.now = 11_000;
  reducer.touch();
  state.now = 11_000 + FOLLOW_UP_MS + 3000;
  assert.equal(reducer.check(), false, 'the request cancelled the follow-up, and the heap has not grown since');
  assert.equal(state.collected, 2);
});

test('a busy server is never collected, however much its heap grew', () => {
  const { state, reducer } = rig(3000);
  state.heap = 500 * MiB;
  for (let t = 0; t < 60_000; t += 1000) {
    state.now = t;
    reducer.touch();
    assert.equal(reducer.check(), false);
  }
  assert.equal(state.collected, 0);
});

test('growth below the threshold is left to V8', () => {
  const { state, reducer } = rig(1000);
  state.heap = 50 * MiB + 31 * MiB;
  state.now = 5000;
  assert.equal(reducer.check(), false);
  state.heap = 50 * MiB + 33 * MiB;
  assert.equal(reducer.check(), true);
});

test('idleMs 0 turns it off', () => {
  let collected = 0;
  const reducer = new MemoryReducer({ idleMs: 0, heapBytes: () => 1e12, clock: () => 1e9, collect: () => (collected += 1) });
  assert.equal(reducer.check(), false);
  reducer.start();
  reducer.stop();
  assert.equal(collected, 0);
});

test("V8's own collection is reachable without --expose-gc and frees what nothing holds", () => {
  const reducer = new MemoryReducer({ idleMs: 1, growthBytes: 0, clock: () => Date.now() + 10_000 });
  const used = () => getHeapStatistics().used_heap_size;
  let junk: number[][] | null = [];
  for (let i = 0; i < 64; i += 1) junk.push(new Array<number>(128 * 1024).fill(i));
  const withJunk = used();
  assert.equal(junk.length, 64);
  // 64 MiB of arrays that nothing refers to any more: the collection must free them.
  junk = null;
  assert.equal(reducer.check(), true);
  assert.equal(reducer.collections, 1);
  assert.ok(used() < withJunk - 48 * MiB, `heap used ${used()} after, ${withJunk} with the arrays`);
});
