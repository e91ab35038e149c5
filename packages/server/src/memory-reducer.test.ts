import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getHeapStatistics } from 'node:v8';
import { FOLLOW_UP_MS, IDLE_BUSY, MAX_BUSY, MAX_RETRY_MS, MemoryReducer } from './memory-reducer.js';

const MiB = 1024 * 1024;

/**
 * A reducer on a hand-driven clock, event loop and heap; `collected` counts its collections, which
 * shrink the heap to `live` plus what `kept` says V8 held back that time. `work(ms, busyMs)` moves
 * the clock on by `ms`, of which the event loop was busy `busyMs`, checking every second as the
 * server's timer does, and returns how many of those checks collected.
 */
function rig(idleMs: number) {
  // `kept`: committed bytes a collection leaves above the live ones (V8 keeping its young
  // generation while the recent allocation rate looks high).
  const state = { now: 0, busy: 0, heap: 50 * MiB, live: 50 * MiB, kept: 0, collected: 0 };
  const reducer = new MemoryReducer({
    idleMs,
    growthBytes: 32 * MiB,
    clock: () => state.now,
    busyMs: () => state.busy,
    heapBytes: () => state.heap,
    usedBytes: () => state.live,
    collect: () => {
      state.collected += 1;
      state.heap = state.live + state.kept;
      state.kept = 0;
    },
  });
  const work = (ms: number, busyMs: number): number => {
    let collections = 0;
    for (let t = 0; t < ms; t += 1000) {
      const step = Math.min(1000, ms - t);
      state.now += step;
      state.busy += (busyMs * step) / ms;
      if (reducer.check()) collections += 1;
    }
    return collections;
  };
  return { state, reducer, work };
}

test('a grown heap is collected once the event loop has been quiet for idleMs, and only once', () => {
  const { state, work } = rig(3000);
  state.heap = 300 * MiB;
  assert.equal(work(10_000, 10_000), 0, 'busy all along: no collection');
  assert.equal(work(2000, 0), 0, 'quiet for 2 s of a 3 s window still holds a second of the load');
  assert.equal(work(1000, 0), 1, 'quiet for the whole window: collected');
  assert.equal(state.collected, 1);
  assert.equal(work(10_000, 0), 0, 'nothing grew since the collection');
  assert.equal(state.collected, 1);
});

test('light traffic counts as quiet: a scrape or a chart every second does not keep the memory', () => {
  const { state, work } = rig(3000);
  state.heap = 300 * MiB;
  // 10 ms of work a second (1 %): what a scraper, a dashboard and a few agents' payloads cost.
  assert.equal(work(3000, 30), 1, 'collected within idleMs of the load ending, though requests kept coming');
  assert.equal(state.collected, 1);
});

test('a server busy at MAX_BUSY or more is never collected, however much its heap grew', () => {
  const { state, work } = rig(3000);
  state.heap = 500 * MiB;
  assert.equal(work(60_000, 60_000 * MAX_BUSY), 0);
  assert.equal(work(60_000, 60_000 * 0.5), 0);
  assert.equal(state.collected, 0);
});

/** A rig whose heap grew to 300 MiB under a load, collected after 3 s of quiet with `kept` MiB held back by V8. */
function collectedOnce(keptMiB: number) {
  const rigged = rig(3000);
  rigged.work(5000, 5000);
  rigged.state.heap = 300 * MiB;
  rigged.state.kept = keptMiB * MiB;
  assert.equal(rigged.work(3000, 0), 1);
  return rigged;
}

test('a collection that leaves the young generation grown is followed by one more after FOLLOW_UP_MS of quiet', () => {
  const { state, work } = collectedOnce(140);
  assert.equal(state.heap, 190 * MiB, 'the first collection kept 140 MiB above the live heap');
  assert.equal(work(FOLLOW_UP_MS - 500, 0), 0, 'the follow-up waits for a quiet spell longer than V8 rates allocation over');
  assert.equal(work(1000, 0), 1);
  assert.equal(state.collected, 2);
  assert.equal(state.heap, 50 * MiB);
  assert.equal(work(60_000, 0), 0, 'no third one: nothing grew');
});

test('a busy spell puts the follow-up off until the server is quiet again, without new growth', () => {
  const { state, work } = collectedOnce(140);
  assert.equal(work(4000, 0), 0);
  assert.equal(work(10_000, 9000), 0, 'busy when the follow-up fell due: put off');
  assert.equal(work(2000, 0), 0, 'not yet quiet for idleMs');
  assert.equal(work(1000, 0), 1, 'quiet again: the follow-up runs though the heap did not grow');
  assert.equal(state.heap, 50 * MiB);
  assert.equal(work(60_000, 0), 0);
});

test('while V8 keeps its young generation under light traffic, collections are retried at doubling intervals, and stop once it gives it back', () => {
  const { state, work } = collectedOnce(140);
  const at: number[] = [];
  const start = state.now;
  const light = 500 * (IDLE_BUSY + MAX_BUSY) / 2;
  for (let t = 0; t < 200_000; t += 500) {
    // Light traffic that keeps V8's allocation rate up: each collection leaves 140 MiB above used.
    state.kept = 140 * MiB;
    if (work(500, light) > 0) at.push(state.now - start);
  }
  const gaps = at.map((t, i) => t - (at[i - 1] ?? 0));
  assert.deepEqual(gaps.slice(0, 4), [FOLLOW_UP_MS, 2 * FOLLOW_UP_MS, 4 * FOLLOW_UP_MS, 8 * FOLLOW_UP_MS]);
  assert.ok(gaps.every((g) => g <= MAX_RETRY_MS));
  const n = state.collected;
  state.kept = 0;
  assert.equal(work(MAX_RETRY_MS, MAX_RETRY_MS * (IDLE_BUSY + MAX_BUSY) / 2), 1, 'the next retry');
  assert.equal(state.heap, 50 * MiB);
  assert.equal(work(2 * MAX_RETRY_MS, 0), 0, 'given back: no more retries');
  assert.equal(state.collected, n + 1);
});

test('once the server is idle, a retry runs FOLLOW_UP_MS after the last collection, whatever the backoff', () => {
  const { state, work } = collectedOnce(140);
  const light = 1000 * (IDLE_BUSY + MAX_BUSY) / 2;
  let n = 0;
  for (let t = 0; t < 60_000; t += 1000) {
    state.kept = 140 * MiB;
    n += work(1000, light);
  }
  assert.equal(n, 3, 'retried after 5.5, 11 and 22 s; the next is 44 s after the last');
  state.kept = 0;
  assert.equal(work(FOLLOW_UP_MS, 0), 1, 'idle: retried now, not 44 s after the last one');
  assert.equal(state.heap, 50 * MiB);
});

test('new growth collects at once and starts the retries over', () => {
  const { state, work } = collectedOnce(140);
  assert.equal(work(FOLLOW_UP_MS, 0), 1, 'first retry');
  state.heap = 400 * MiB;
  state.kept = 140 * MiB;
  assert.equal(work(1000, 0), 1, 'grew: collected without waiting for the retry');
  assert.equal(work(FOLLOW_UP_MS - 1000, 0), 0);
  assert.equal(work(1000, 0), 1, 'retried FOLLOW_UP_MS after it, not after the doubled wait');
});

test('growth below the threshold is left to V8', () => {
  const { state, work } = rig(1000);
  state.heap = 50 * MiB + 31 * MiB;
  assert.equal(work(5000, 0), 0);
  state.heap = 50 * MiB + 33 * MiB;
  assert.equal(work(1000, 0), 1);
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
  let now = 0;
  const reducer = new MemoryReducer({ idleMs: 1, growthBytes: 0, clock: () => now, busyMs: () => 0 });
  const used = () => getHeapStatistics().used_heap_size;
  let junk: number[][] | null = [];
  for (let i = 0; i < 64; i += 1) junk.push(new Array<number>(128 * 1024).fill(i));
  const withJunk = used();
  assert.equal(junk.length, 64);
  // 64 MiB of arrays that nothing refers to any more: the collection must free them.
  junk = null;
  now = 10;
  assert.equal(reducer.check(), true);
  assert.equal(reducer.collections, 1);
  assert.ok(used() < withJunk - 48 * MiB, `heap used ${used()} after, ${withJunk} with the arrays`);
});
