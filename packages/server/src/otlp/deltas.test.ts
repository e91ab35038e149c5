import { it } from 'node:test';
import assert from 'node:assert/strict';
import { CumulativeDeltas } from './deltas.js';
import type { DataPoint } from './model.js';

const sumPoint = (startMs: number | null, timeMs: number, value: number): DataPoint => ({ attributes: {}, startMs, timeMs, value, count: null, sum: null });
const histPoint = (startMs: number, timeMs: number, count: number, sum: number): DataPoint => ({ attributes: {}, startMs, timeMs, value: null, count, sum });

it('cumulative sums: each point gives what was added since the previous one', () => {
  const d = new CumulativeDeltas();
  assert.deepEqual(d.step('s', 'cumulative', sumPoint(0 + 1000, 61_000, 10)), { value: 10, count: 0, intervalMs: 60_000 });
  assert.deepEqual(d.step('s', 'cumulative', sumPoint(1000, 121_000, 25)), { value: 15, count: 0, intervalMs: 60_000 });
  assert.deepEqual(d.step('s', 'cumulative', sumPoint(1000, 181_000, 25)), { value: 0, count: 0, intervalMs: 60_000 });
});

it('a counter reset (lower value, or a new start time) starts a new run: never a negative', () => {
  const d = new CumulativeDeltas();
  d.step('s', 'cumulative', sumPoint(1000, 61_000, 100));
  // The process restarted without a start time: the value fell, so it is all new.
  assert.deepEqual(d.step('s', 'cumulative', sumPoint(null, 121_000, 7)), { value: 7, count: 0, intervalMs: 60_000 });
  const e = new CumulativeDeltas();
  e.step('s', 'cumulative', sumPoint(1000, 61_000, 100));
  // A new start time with a higher value: the run began at 100_000 and holds 150.
  assert.deepEqual(e.step('s', 'cumulative', sumPoint(100_000, 130_000, 150)), { value: 150, count: 0, intervalMs: 30_000 });
  assert.deepEqual(e.step('s', 'cumulative', sumPoint(100_000, 190_000, 160)), { value: 10, count: 0, intervalMs: 60_000 });
});

it('the first point of a run that began long ago is a baseline only', () => {
  const d = new CumulativeDeltas({ maxFirstIntervalMs: 5 * 60_000 });
  assert.equal(d.step('s', 'cumulative', sumPoint(0 + 1, 3_600_000, 5000)), null);
  assert.deepEqual(d.step('s', 'cumulative', sumPoint(1, 3_660_000, 5012)), { value: 12, count: 0, intervalMs: 60_000 });
});

it('a repeated or older point adds nothing', () => {
  const d = new CumulativeDeltas();
  d.step('s', 'cumulative', sumPoint(1000, 61_000, 10));
  assert.equal(d.step('s', 'cumulative', sumPoint(1000, 61_000, 10)), null);
  assert.equal(d.step('s', 'cumulative', sumPoint(1000, 31_000, 5)), null);
});

it('cumulative histograms: count and sum differenced; a reset restarts both', () => {
  const d = new CumulativeDeltas();
  assert.deepEqual(d.step('h', 'cumulative', histPoint(1000, 61_000, 3, 3)), { value: 3, count: 3, intervalMs: 60_000 });
  assert.deepEqual(d.step('h', 'cumulative', histPoint(1000, 121_000, 4, 5)), { value: 2, count: 1, intervalMs: 60_000 });
  assert.deepEqual(d.step('h', 'cumulative', histPoint(1000, 181_000, 1, 0.5)), { value: 0.5, count: 1, intervalMs: 60_000 });
});

it('delta points are increments already; series are kept apart and bounded', () => {
  const d = new CumulativeDeltas({ maxSeries: 2 });
  assert.deepEqual(d.step('a', 'delta', sumPoint(1000, 11_000, 4)), { value: 4, count: 0, intervalMs: 10_000 });
  d.step('a', 'cumulative', sumPoint(1000, 11_000, 1));
  d.step('b', 'cumulative', sumPoint(1000, 11_000, 1));
  d.step('c', 'cumulative', sumPoint(1000, 11_000, 1));
  assert.equal(d.size, 2);
});
