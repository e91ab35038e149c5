import { test } from 'node:test';
import assert from 'node:assert/strict';
import { numberText } from './text.js';
import { seededRandom as prng } from '../testing/random.js';

test('numberText is String(x) for short decimals, long fractions, integers, extremes and oddities', () => {
  const r = prng(3);
  const xs = [0, -0, 1, -1, 0.1, 0.2, 0.1 + 0.2, 1e-6, 1e-7, 9.99e-7, 0.000001, 0.0000015, 999_999_999.5, 999_999_999.999999, 1e9, 1e9 + 0.5, 1e21, 123.456, 0.05, 99.99, 5e-324, Number.MAX_VALUE, Number.EPSILON, NaN, Infinity, -Infinity, -0.05, -1e-6, -999_999_999.5];
  for (let i = 0; i < 200_000; i++) {
    const decimals = i % 8;
    const scale = 10 ** Math.floor(r() * 12 - 3);
    const x = Math.round(r() * scale * 10 ** decimals) / 10 ** decimals;
    xs.push(x, -x, r() * scale, x + Number.EPSILON * x);
  }
  for (const x of xs) assert.equal(numberText(x), String(x), `${x}`);
});
