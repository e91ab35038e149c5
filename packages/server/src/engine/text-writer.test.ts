import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TextWriter, utf8, writeText } from './text-writer.js';
import { seededRandom as prng } from '../testing/random.js';

const text = (w: TextWriter) => new TextDecoder().decode(w.bytes());

test('a number is written as JSON.stringify writes it: short decimals, integers, long fractions, extremes, non-finite', () => {
  const r = prng(7);
  const xs = [0, -0, 1, -1, 9, 10, 99, 100, 0.1, -0.1, 0.1 + 0.2, 1e-6, -1e-6, 1e-7, 0.000001, 0.0000015, 999_999_999.5, 1e9, 1e9 + 0.5, 1e15 - 1, 1e15, -1e15, 2 ** 53, 1e21, -1e21, 123.456, 0.05, 5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, Number.EPSILON, NaN, Infinity, -Infinity, 45.007, 3.000001];
  for (let i = 0; i < 100_000; i++) {
    const decimals = i % 8;
    const scale = 10 ** Math.floor(r() * 18 - 4);
    const x = Math.round(r() * scale * 10 ** decimals) / 10 ** decimals;
    xs.push(x, -x, r() * scale, x + Number.EPSILON * x);
  }
  // Small first size: the writer grows many times on the way.
  const w = new TextWriter(new Uint8Array(1));
  const parts: string[] = [];
  for (const x of xs) {
    w.number(x).text(',');
    parts.push(JSON.stringify(x), ',');
    const one = new TextWriter(new Uint8Array(1)).number(x);
    assert.equal(text(one), JSON.stringify(x), `${x}`);
  }
  assert.equal(text(w), parts.join(''));
});

test('text is written as UTF-8 whatever it holds, and raw bytes as they are', () => {
  const pieces = ['', 'a', '"é"', '😀', 'x'.repeat(40_000), ',{"k":"日本"}', '\u00ff\u0100\u07ff\u0800\uffff', 'z'];
  const w = new TextWriter(new Uint8Array(1));
  let expected = '';
  for (let n = 0; n < 200; n++) {
    const piece = pieces[(n * 7) % pieces.length] as string;
    if (n % 3 === 0) w.raw(utf8(piece));
    else w.text(piece);
    expected += piece;
  }
  assert.deepEqual(Buffer.from(w.bytes()), Buffer.from(expected, 'utf8'));
});

test('writeText gives the bytes written, past its size hint too, and answers written inside another stay apart', () => {
  const large = writeText(8, (w) => {
    for (let i = 0; i < 200_000; i++) w.number(i).text(',');
  });
  assert.equal(new TextDecoder().decode(large), Array.from({ length: 200_000 }, (_, i) => `${i},`).join(''));
  let inner: Uint8Array | undefined;
  const outer = writeText(8, (w) => {
    w.text('[');
    inner = writeText(8, (v) => v.text('"inner"'));
    w.text('"outer"]');
  });
  assert.equal(new TextDecoder().decode(outer), '["outer"]');
  assert.equal(new TextDecoder().decode(inner), '"inner"');
});
