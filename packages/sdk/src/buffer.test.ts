import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedQueue } from './buffer.js';

describe('BoundedQueue', () => {
  it('keeps order and drops the oldest beyond its limit, saying how many', () => {
    const q = new BoundedQueue<number>(3);
    assert.equal(q.push(1), 0);
    assert.equal(q.push(2), 0);
    assert.equal(q.push(3), 0);
    assert.equal(q.push(4), 1);
    assert.deepEqual(q.toArray(), [2, 3, 4]);
  });

  it('counts items held elsewhere (in flight) against the limit', () => {
    const q = new BoundedQueue<number>(3);
    q.push(1);
    q.push(2);
    const batch = q.shift(2);
    assert.deepEqual(batch, [1, 2]);
    q.push(3, batch.length);
    assert.equal(q.push(4, batch.length), 1, 'two in flight leave room for one');
    assert.deepEqual(q.toArray(), [4]);
    // The batch failed: back in front, and the oldest go when over the limit.
    assert.equal(q.unshift(batch), 0);
    assert.deepEqual(q.toArray(), [1, 2, 4]);
    assert.equal(q.unshift([0]), 1);
    assert.deepEqual(q.toArray(), [1, 2, 4]);
  });

  it('refuses a limit below one', () => {
    assert.throws(() => new BoundedQueue(0), RangeError);
  });
});
