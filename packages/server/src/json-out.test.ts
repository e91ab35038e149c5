import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonBuffer } from './json-out.js';

test('the buffer holds the UTF-8 bytes of the pieces joined, whatever their sizes and characters', () => {
  const texts = ['', 'a', '"é"', '😀', 'x'.repeat(40_000), ',{"k":"日本"}', 'y'.repeat(32 * 1024 - 1), 'z'];
  for (let n = 0; n <= 60; n += 1) {
    const pieces = Array.from({ length: n }, (_, i) => texts[(i * 7 + n) % texts.length] as string);
    assert.deepEqual(jsonBuffer(pieces), Buffer.from(pieces.join(''), 'utf8'), `${n} pieces`);
  }
  const many = Array.from({ length: 5000 }, (_, i) => `{"i":${i},"s":"ü${i}"}`);
  assert.equal(jsonBuffer(many).toString('utf8'), many.join(''));
});
