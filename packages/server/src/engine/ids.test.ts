import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RandomPool, uuidv7 } from './ids.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('uuidv7 ids are UUIDs of version 7 that sort in creation order, within a millisecond too', () => {
  const ids = Array.from({ length: 5000 }, () => uuidv7(1_700_000_000_000));
  for (const id of ids.slice(0, 10)) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, ids.length);
  const later = uuidv7(1_700_000_100_000);
  assert.ok(later > (ids.at(-1) as string));
  assert.equal(parseInt(later.replace(/-/g, '').slice(0, 12), 16), 1_700_000_100_000);
});

test('uuidv7 ids made in bursts across milliseconds and pool refills stay unique, ordered and RFC 9562-shaped', () => {
  const T = 1_800_000_000_000;
  const ids: string[] = [];
  // 10,000 ids in one millisecond (two borrowed ones after it), then a few in each of the next ones,
  // and a clock that steps back: far more random bytes than one pool block holds.
  for (let i = 0; i < 10_000; i++) ids.push(uuidv7(T));
  for (let ms = 1; ms < 200; ms++) for (let i = 0; i < 20; i++) ids.push(uuidv7(T + ms));
  for (let i = 0; i < 100; i++) ids.push(uuidv7(T + 50));
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual([...ids].sort(), ids, 'creation order is sort order');
  for (const id of ids) assert.match(id, UUID_V7);
  const hex = (id: string) => id.replace(/-/g, '');
  // The first 4,096 carry T with counters 0..4095; the 4,097th borrows T + 1 and restarts the counter.
  assert.equal(parseInt(hex(ids[0] as string).slice(0, 12), 16), T);
  assert.equal(parseInt(hex(ids[4095] as string).slice(12, 16), 16), 0x7fff);
  assert.equal(parseInt(hex(ids[4096] as string).slice(0, 12), 16), T + 1);
  assert.equal(parseInt(hex(ids[4096] as string).slice(12, 16), 16), 0x7000);
  // The random part (62 bits after the variant) differs between ids.
  assert.equal(new Set(ids.map((id) => hex(id).slice(16))).size, ids.length);
});

test('uuidv7 keeps the low 48 bits of a time outside the field, and refuses a fraction as before', () => {
  assert.match(uuidv7(2 ** 48 + 5 + 3_000_000_000_000), UUID_V7);
  assert.throws(() => uuidv7(Number.NaN), RangeError);
});

test('a random pool hands out every byte of a block once, then refills the whole block', () => {
  let fills = 0;
  // Each fill stamps the block with its generation, so a byte handed out twice would show.
  const pool = new RandomPool(64, (block) => {
    fills += 1;
    block.fill(fills);
  });
  assert.equal(fills, 0, 'no randomness is read before the first take');
  const handedOut = new Set<string>();
  for (let i = 0; i < 500; i++) {
    const n = [8, 3, 16, 1, 0, 64][i % 6] as number;
    const at = pool.take(n);
    assert.ok(at >= 0 && at + n <= 64, 'inside the block');
    for (let j = at; j < at + n; j++) {
      const key = `${fills}:${j}`;
      assert.ok(!handedOut.has(key), `byte ${j} of fill ${fills} handed out twice`);
      handedOut.add(key);
      assert.equal(pool.bytes[j], fills, 'the bytes are those of the latest fill');
    }
  }
  assert.ok(fills > 10);
  assert.throws(() => pool.take(65), RangeError);
  assert.throws(() => pool.take(-1), RangeError);
  assert.throws(() => new RandomPool(0), RangeError);
});

test('the system-backed pool gives distinct 8-byte draws across refills', () => {
  const pool = new RandomPool(1024);
  const seen = new Set<string>();
  for (let i = 0; i < 20_000; i++) {
    const at = pool.take(8);
    seen.add(Buffer.from(pool.bytes.subarray(at, at + 8)).toString('hex'));
  }
  assert.equal(seen.size, 20_000);
});
