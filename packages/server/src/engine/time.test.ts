import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDateTime } from '@agentmon/schema';
import { canonicalIsoMs, clockIso, isoFromMs, parseDateTimeMs, parseIsoMs } from './time.js';
import { seededRandom as prng } from '../testing/random.js';

const dateIso = (ms: number) => new Date(ms).toISOString();
const thrown = (f: () => unknown) => {
  try {
    f();
    return null;
  } catch (err) {
    return (err as Error).constructor;
  }
};

describe('isoFromMs and clockIso', () => {
  it('give toISOString for times across the years, within a minute and a day, in any order', () => {
    const r = prng(1);
    const times = [0, -1, 1, 86_399_999, 86_400_000, 951_782_400_000, 4_107_542_400_000, -30_610_224_000_000, 253_402_300_799_999, -62_198_755_200_000];
    for (let i = 0; i < 20_000; i++) times.push(Math.floor((r() - 0.2) * 3e14));
    for (let i = 0; i < 2_000; i++) times.push(1_740_000_000_000 + Math.floor(r() * 200_000)); // the same few minutes, out of order
    for (const ms of times) {
      assert.equal(isoFromMs(ms), dateIso(ms), String(ms));
      assert.equal(clockIso(ms), dateIso(ms), String(ms));
    }
  });

  it('take fractions and years beyond 9999 from Date, and throw where it throws', () => {
    for (const ms of [1.5, -1.5, 253_402_300_800_000, 8.64e15, -8.64e15]) assert.equal(isoFromMs(ms), dateIso(ms));
    for (const ms of [Number.NaN, Infinity, 8.64e15 + 1]) {
      assert.equal(thrown(() => isoFromMs(ms)), RangeError);
      assert.equal(thrown(() => clockIso(ms)), RangeError);
    }
  });
});

describe('canonicalIsoMs, parseIsoMs and parseDateTimeMs', () => {
  it('agree with Date.parse and parseDateTime on the canonical form, valid or not', () => {
    const r = prng(2);
    const pad = (n: number, w: number) => String(n).padStart(w, '0');
    const samples: string[] = [
      '2024-02-29T23:59:59.999Z',
      '2023-02-29T00:00:00.000Z',
      '2025-04-31T12:00:00.000Z',
      '2025-01-01T24:00:00.000Z',
      '2025-01-01T23:60:00.000Z',
      '2016-12-31T23:59:60.000Z',
      '0999-12-31T23:59:59.999Z',
      '1000-01-01T00:00:00.000Z',
      '9999-12-31T23:59:59.999Z',
      '2025-00-10T00:00:00.000Z',
      '2025-13-10T00:00:00.000Z',
      '2025-01-00T00:00:00.000Z',
      '2025-01-01t00:00:00.000Z',
      '2025-01-01T00:00:00.000z',
      '2025-01-01T00:00:00.000+00:00',
      '2025-01-01 00:00:00.000Z',
      '2025-01-01T00:00:00Z',
      '2025-01-01T00:00:00.0000',
      '2025-01-01T00:00:00.00aZ',
      '+02025-01-01T00:00:00.0Z',
      '',
    ];
    for (let i = 0; i < 20_000; i++) {
      samples.push(`${pad(Math.floor(r() * 10_000), 4)}-${pad(Math.floor(r() * 14), 2)}-${pad(Math.floor(r() * 33), 2)}T${pad(Math.floor(r() * 26), 2)}:${pad(Math.floor(r() * 62), 2)}:${pad(Math.floor(r() * 62), 2)}.${pad(Math.floor(r() * 1000), 3)}Z`);
    }
    for (let i = 0; i < 5_000; i++) samples.push(dateIso(Math.floor((r() - 0.2) * 3e14)));
    for (const s of samples) {
      const fast = canonicalIsoMs(s);
      if (!Number.isNaN(fast)) assert.equal(fast, Date.parse(s), s);
      assert.ok(Object.is(parseIsoMs(s), Date.parse(s)), s);
      assert.equal(parseDateTimeMs(s), parseDateTime(s)?.getTime(), s);
    }
  });

  it('read the clock reading clockIso gave back as its time', () => {
    const now = Date.parse('2025-06-01T10:00:00.123Z');
    assert.equal(parseIsoMs(clockIso(now)), now);
    assert.equal(parseIsoMs(clockIso(now + 0.75)), Date.parse(dateIso(now + 0.75)));
    assert.ok(Number.isNaN(canonicalIsoMs(42 as unknown)));
  });
});
