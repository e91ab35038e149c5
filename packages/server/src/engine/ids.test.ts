import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uuidv7 } from './ids.js';

test('uuidv7 ids are UUIDs of version 7 that sort in creation order, within a millisecond too', () => {
  const ids = Array.from({ length: 5000 }, () => uuidv7(1_700_000_000_000));
  for (const id of ids.slice(0, 10)) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, ids.length);
  const later = uuidv7(1_700_000_100_000);
  assert.ok(later > (ids.at(-1) as string));
  assert.equal(parseInt(later.replace(/-/g, '').slice(0, 12), 16), 1_700_000_100_000);
});
