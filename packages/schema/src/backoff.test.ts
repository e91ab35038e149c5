import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap, with half of each step random', () => {
    const opts = { initialDelayMs: 100, maxDelayMs: 1000 };
    assert.equal(backoffDelay(0, opts, () => 0), 50);
    assert.equal(backoffDelay(0, opts, () => 1), 100);
    assert.equal(backoffDelay(2, opts, () => 1), 400);
    assert.equal(backoffDelay(10, opts, () => 1), 1000);
    assert.equal(backoffDelay(10, opts, () => 0), 500);
    assert.equal(backoffDelay(1e9, opts, () => 0.5), 750, 'huge attempt numbers stay finite');
  });

  it('spreads a fleet out: delays for the same attempt differ', () => {
    const delays = new Set(Array.from({ length: 20 }, () => backoffDelay(3)));
    assert.ok(delays.size > 10);
    for (const d of delays) assert.ok(d >= 4000 && d <= 8000, String(d));
  });
});
