import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bucketSeconds, defaultRange, gapRuns, grid, intervalText, medianStep, perInterval, toGrid } from './series.js';

describe('series', () => {
  it('picks buckets no finer than the agent reports', () => {
    assert.equal(bucketSeconds(3600, 10), 30);
    assert.equal(bucketSeconds(3600, 60), 60);
    assert.equal(bucketSeconds(6 * 3600, 60), 300);
    assert.equal(bucketSeconds(7 * 86_400, 60), 7200);
    assert.equal(intervalText(300), '5m');
    assert.equal(intervalText(7200), '2h');
    assert.equal(intervalText(86_400), '1d');
    assert.equal(intervalText(30), '30s');
    assert.equal(defaultRange(24), '24h');
    assert.equal(defaultRange(100), '7d');
  });

  it('joins a missed report and leaves a gap for a silence', () => {
    const xs = grid(0, 900, 60); // 0, 60, ..., 900
    const at = (t: number, v: number) => ({ timestamp: new Date(t * 1000).toISOString(), cpu: v });
    const rows = [at(0, 1), at(120, 2), at(600, 3), at(660, 4)];
    const { values } = toGrid(rows, ['cpu'], xs, 60, 1);
    const cpu = values.cpu as (number | null | undefined)[];
    assert.equal(cpu[0], 1);
    assert.equal(cpu[1], undefined, 'one missed bucket: joined');
    assert.equal(cpu[2], 2);
    assert.deepEqual(cpu.slice(3, 10), [null, null, null, null, null, null, null], 'a long silence: a gap');
    assert.equal(cpu[10], 3);
    assert.equal(cpu[15], null);
  });

  it('joins a history sparser than the grid into a line, and still leaves a long silence as a gap', () => {
    // One value every 2 buckets (history at 60 s on a 30 s grid), then 8 empty buckets, then more.
    const xs = grid(0, 29 * 30, 30);
    const at = (t: number, v: number) => ({ timestamp: new Date(t * 1000).toISOString(), cpu: v });
    const rows = [at(0, 1), at(60, 2), at(120, 3), at(180, 4), at(450, 5), at(510, 6)];
    const cpu = toGrid(rows, ['cpu'], xs, 30, 1).values.cpu as (number | null | undefined)[];
    assert.equal(medianStep(cpu), 2);
    assert.equal(cpu[1], undefined, 'between two reports of the history: joined');
    assert.equal(cpu[3], undefined);
    assert.deepEqual(cpu.slice(7, 15), [null, null, null, null, null, null, null, null], 'more than three steps of silence: a gap');
    assert.equal(cpu[16], undefined);
    // Gap runs: the silence between data, and the trailing one (no data since); not before the first value.
    assert.deepEqual(gapRuns([cpu], cpu.length), [
      [7, 14],
      [18, 29],
    ]);
    assert.deepEqual(gapRuns([[null, null, 1, 2]], 4), [], 'before the first value is not a gap');
  });

  it('counts tasks per interval from sums, or from the rise of running totals', () => {
    const perPayload = perInterval([10, 12, 9], [4, 6, 3]);
    assert.equal(perPayload.cumulative, false);
    assert.deepEqual(perPayload.values, [10, 12, 9]);

    const running = perInterval([300, 620, 950, 1300, 900, 500], [100, 210, 330, 450, 60, 170]);
    assert.equal(running.cumulative, true, 'one drop (a restart) is still a running total');
    assert.deepEqual(running.values, [null, 110, 120, 120, 60, 110]);

    const steady = perInterval([5, 5, 5, 5], [5, 5, 5, 5]);
    assert.equal(steady.cumulative, false, 'the same count each time is per payload');
  });
});
