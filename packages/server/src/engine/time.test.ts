import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ISO_DATE_TIME_PATTERN, parseDateTime } from '@agentmon/schema';
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

/**
 * The rule as the pattern and Date state it, written the plain way (parseDateTime reads the text
 * character by character instead): the reference the generated texts below are held against.
 */
function referenceMs(value: string): number {
  const m = ISO_DATE_TIME_PATTERN.exec(value);
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, s = '0', frac = '', zone] = m;
  const [month, day, hour, minute, second] = [mo, d, h, mi, s].map(Number) as [number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return Number.NaN;
  const ms = frac === '' ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, Math.min(second, 59), ms));
  date.setUTCFullYear(Number(y), month - 1, day);
  if (date.getUTCDate() !== day) return Number.NaN;
  let t = date.getTime();
  if (zone && zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '');
    const [oh, om] = [Number(digits.slice(0, 2)), Number(digits.slice(2) || '0')];
    if (oh > 23 || om > 59) return Number.NaN;
    t -= (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  return new Date(t).getUTCFullYear() < 1 ? Number.NaN : t;
}

describe("parseDateTime (the schema's date-time rule): equal to its pattern over generated texts", () => {
  const random = prng(20261203);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const num = (digits: number, max: number): string => String(Math.floor(random() * (max + 1))).padStart(digits, '0');
  /** A text near the rule: every part drawn from valid and edge values, then maybe mutated. */
  function candidate(): string {
    // Mostly valid parts (random in range), else one from the edges around the rule.
    const part = (valid: () => string, edges: readonly string[]): string => (random() < 0.85 ? valid() : pick(edges));
    const year = part(() => num(4, 9999), ['0000', '0001', '0004', '0099', '0100', '1900', '2000', '2024', '9999']);
    const month = part(() => String(1 + Math.floor(random() * 12)).padStart(2, '0'), ['00', '02', '13', '99']);
    const day = part(() => String(1 + Math.floor(random() * 28)).padStart(2, '0'), ['00', '29', '30', '31', '32']);
    const hour = part(() => num(2, 23), ['24', '99']);
    const minute = part(() => num(2, 59), ['60', '99']);
    const seconds = part(() => pick(['', `:${num(2, 59)}`, `:${num(2, 59)}.${num(1 + Math.floor(random() * 9), 999_999_999).slice(0, 9)}`]), [':60', ':61', ':00.', ':5', ':00.1234567890']);
    const zone = part(() => pick(['', 'Z', 'z', `+${num(2, 23)}`, `-${num(2, 23)}:${num(2, 59)}`, `+${num(2, 23)}${num(2, 59)}`]), ['+24', '+05:60', '+05:', '+5', 'Zz', ' ', '+23:59', '-23:59']);
    let text = `${year}-${month}-${day}${part(() => pick(['T', 't', ' ']), ['x', '_', ''])}${hour}:${minute}${seconds}${zone}`;
    if (random() < 0.2) {
      // One character replaced, dropped or inserted somewhere.
      const at = Math.floor(random() * (text.length + 1));
      const c = pick(['0', '9', ':', '-', '.', 'T', 'Z', '+', ' ', '\n', '٣', '\u0000']);
      const op = random();
      text = op < 0.33 ? text.slice(0, at) + c + text.slice(at + 1) : op < 0.66 ? text.slice(0, at) + text.slice(at + 1) : text.slice(0, at) + c + text.slice(at);
    }
    return text;
  }

  it('accepts and reads exactly what the pattern and Date give, on 200,000 texts', () => {
    let accepted = 0;
    for (let i = 0; i < 200_000; i++) {
      const text = candidate();
      const expected = referenceMs(text);
      const got = parseDateTime(text)?.getTime() ?? Number.NaN;
      if (!Object.is(got, expected)) assert.fail(`${JSON.stringify(text)}: parseDateTime gives ${got}, the pattern ${expected}`);
      if (!Number.isNaN(expected)) accepted++;
    }
    // The generator must exercise both sides, or the comparison says little.
    assert.ok(accepted > 20_000 && accepted < 180_000, `${accepted} of 200,000 generated texts accepted`);
  });

  it('agrees on every day of years around the leap rules, and on every fraction of a second', () => {
    for (const year of ['0001', '0004', '0100', '0400', '1900', '1970', '2000', '2023', '2024', '2100']) {
      for (let month = 1; month <= 12; month++) {
        for (let day = 0; day <= 32; day++) {
          const text = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}T12:00:00Z`;
          assert.ok(Object.is(parseDateTime(text)?.getTime() ?? Number.NaN, referenceMs(text)), text);
        }
      }
    }
    for (let f = 0; f < 1000; f++) {
      for (const frac of [String(f), String(f).padStart(3, '0'), `${String(f).padStart(3, '0')}999999`]) {
        const text = `2026-11-26T16:44:16.${frac}+01:30`;
        assert.equal(parseDateTime(text)?.getTime(), referenceMs(text), text);
      }
    }
  });
});
