/** byCodePoint orders strings exactly as their UTF-8 bytes, surrogate pairs and U+E000.. included. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { byCodePoint } from './code-point-order.js';

const bytes = (a: string, b: string) => Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));

describe('code point order', () => {
  it('agrees with the byte order of UTF-8 where UTF-16 order does not', () => {
    // U+FF5E (3 bytes, EF BD 9E) against U+1F600 (a surrogate pair, 4 bytes F0 9F 98 80).
    assert.equal(Math.sign(byCodePoint('\uff5e', '\u{1f600}')), -1);
    assert.ok('\uff5e' > '\u{1f600}', 'UTF-16 units put the pair first');
    assert.equal(Math.sign(byCodePoint('\uff5e', '\u{1f600}')), bytes('\uff5e', '\u{1f600}'));
    assert.equal(Math.sign(byCodePoint('agent-1', 'agent-10')), -1);
    assert.equal(byCodePoint('same', 'same'), 0);
  });

  it('agrees with Buffer.compare on random strings from every range', () => {
    const ranges: [number, number][] = [[0x20, 0x7e], [0x80, 0x7ff], [0xd7f0, 0xd7ff], [0xe000, 0xffff], [0x10000, 0x10ffff]];
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const word = () => {
      let s = '';
      for (let i = rand(4); i >= 0; i--) {
        const [lo, hi] = ranges[rand(ranges.length)] as [number, number];
        s += String.fromCodePoint(lo + rand(hi - lo + 1));
      }
      return s;
    };
    for (let i = 0; i < 20_000; i++) {
      const a = word();
      const b = rand(4) === 0 ? a + word() : word();
      assert.equal(Math.sign(byCodePoint(a, b)), bytes(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
  });
});
