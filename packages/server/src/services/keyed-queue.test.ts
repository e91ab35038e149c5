import { it } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedQueue } from './keyed-queue.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

it('work sharing a key runs in arrival order, one at a time; work on other keys runs alongside', async () => {
  const q = new KeyedQueue();
  const log: string[] = [];
  const gate = (name: string, ms: number) => async () => {
    log.push(`${name} start`);
    await new Promise((resolve) => setTimeout(resolve, ms));
    log.push(`${name} end`);
    return name;
  };
  const results = await Promise.all([
    q.run(['a', 'b'], gate('ab', 30)),
    q.run(['b'], gate('b', 1)),
    q.run(['c'], gate('c', 1)),
    q.run(['a', 'c'], gate('ac', 1)),
  ]);
  assert.deepEqual(results, ['ab', 'b', 'c', 'ac']);
  // c does not wait for ab; b waits for ab; ac waits for ab and c.
  assert.ok(log.indexOf('c end') < log.indexOf('ab end'));
  assert.ok(log.indexOf('b start') > log.indexOf('ab end'));
  assert.ok(log.indexOf('ac start') > log.indexOf('ab end') && log.indexOf('ac start') > log.indexOf('c end'));
  assert.equal(q.size, 0, 'no key is kept once its work is done');
});

it('a failed work releases its keys; the next one runs', async () => {
  const q = new KeyedQueue();
  const failed = q.run(['a'], async () => {
    await tick();
    throw new Error('boom');
  });
  const next = q.run(['a'], async () => 'ran');
  await assert.rejects(failed, /boom/);
  assert.equal(await next, 'ran');
  assert.equal(q.size, 0);
});
