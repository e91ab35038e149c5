// The column codecs are lossless to the bit: random and adversarial doubles, sparse columns,
// timestamps across Date's whole range, varints up to 2^53, and packed sections.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteReader, ByteWriter, CorruptData, crc32 } from './bytes.js';
import { decimalDigits, decodeColumn, decodeTimestamps, encodeColumn, encodeTimestamps, pack, unpack } from './codec.js';
import { seededRandom as prng } from '../../testing/random.js';

/** A double from 64 random bits (any finite value: denormals, huge, negative, -0). */
function randomBits(r: () => number): number {
  const view = new DataView(new ArrayBuffer(8));
  for (;;) {
    view.setUint32(0, Math.floor(r() * 2 ** 32));
    view.setUint32(4, Math.floor(r() * 2 ** 32));
    const v = view.getFloat64(0);
    if (Number.isFinite(v)) return v;
  }
}

const ADVERSARIAL = [
  0, -0, 1, -1, 0.1, 0.2, 0.1 + 0.2, 1 / 3, -1 / 3, Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE,
  Number.EPSILON, 2 ** 53, 2 ** 53 - 1, -(2 ** 53), 2 ** 50, 2 ** 50 - 1, 2 ** 52 + 0.5, 1e15, 1e16, 1e21, 1e-7, 123.456,
  9007199254740.992, 0.30000000000000004, 45.23, 99.99, 1.5e-300, 2.2250738585072014e-308, 4.9e-324, 1e308, 12345678901234.5,
  0.000001, 0.1234567890123456, 100, 1e-15, 5e-16,
];

function roundTrip(values: number[]): number[] {
  const w = new ByteWriter();
  encodeColumn(values, values.length, w);
  const stored = pack(w.view8());
  const out = new Float64Array(values.length);
  decodeColumn(new ByteReader(unpack(stored)), values.length, out);
  return [...out];
}

function assertBitExact(got: number[], want: number[], what: string): void {
  assert.equal(got.length, want.length, what);
  want.forEach((w, i) => {
    assert.ok(Object.is(got[i], w), `${what}: value ${i}: got ${got[i]}, want ${w}`);
  });
}

describe('value columns', () => {
  it('keep every adversarial double, alone, mixed and in every order', () => {
    assertBitExact(roundTrip(ADVERSARIAL), ADVERSARIAL, 'adversarial');
    for (const v of ADVERSARIAL) assertBitExact(roundTrip([v, v, v]), [v, v, v], `constant ${v}`);
    for (const v of ADVERSARIAL) assertBitExact(roundTrip([v, 45.23, v]), [v, 45.23, v], `mixed ${v}`);
    const r = prng(1);
    for (let round = 0; round < 50; round++) {
      const shuffled = [...ADVERSARIAL].sort(() => r() - 0.5);
      assertBitExact(roundTrip(shuffled), shuffled, `shuffle ${round}`);
    }
  });

  it('keep random doubles of every bit pattern', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const r = prng(seed);
      const values = Array.from({ length: 1 + Math.floor(r() * 300) }, () => randomBits(r));
      assertBitExact(roundTrip(values), values, `seed ${seed}`);
    }
  });

  it('keep decimal series, integer counters and ramps (the decimal codec) exactly', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const r = prng(seed);
      const k = Math.floor(r() * 8);
      const scale = 10 ** Math.floor(r() * 12);
      let counter = Math.floor(r() * 1e9);
      const values = Array.from({ length: 500 }, (_, i) => {
        if (seed % 3 === 0) return (counter += Math.floor(r() * 1000));
        if (seed % 3 === 1) return Math.round(r() * scale * 10 ** k) / 10 ** k;
        return Math.round((i * 0.37 + r()) * 10 ** k) / 10 ** k - 50;
      });
      assertBitExact(roundTrip(values), values, `seed ${seed}`);
    }
  });

  it('keep sparse columns: absent values stay absent, present ones exact', () => {
    const r = prng(7);
    for (let round = 0; round < 30; round++) {
      const values = Array.from({ length: 1 + Math.floor(r() * 200) }, () => (r() < 0.3 ? Number.NaN : r() < 0.5 ? randomBits(r) : Math.round(r() * 1e4) / 100));
      const got = roundTrip(values);
      values.forEach((v, i) => {
        if (Number.isNaN(v)) assert.ok(Number.isNaN(got[i]), `round ${round} value ${i} absent`);
        else assert.ok(Object.is(got[i], v), `round ${round} value ${i}`);
      });
    }
    assert.ok(roundTrip([Number.NaN, Number.NaN]).every(Number.isNaN));
  });

  it('store short decimals in about a byte or two each', () => {
    const r = prng(3);
    let cpu = 40;
    const values = Array.from({ length: 720 }, () => {
      cpu = Math.min(100, Math.max(0, cpu + (r() - 0.5) * 4));
      return Math.round(cpu * 100) / 100;
    });
    const w = new ByteWriter();
    encodeColumn(values, values.length, w);
    assert.ok(pack(w.view8()).length < values.length * 2, `${pack(w.view8()).length} bytes for ${values.length} values`);
  });

  it('finds the fewest decimals that give a value back, and none for -0 or full-precision doubles', () => {
    assert.equal(decimalDigits(45.23), 2);
    assert.equal(decimalDigits(1832), 0);
    assert.equal(decimalDigits(0.9871), 4);
    assert.equal(decimalDigits(-0), -1);
    assert.equal(decimalDigits(1 / 3), -1);
    assert.equal(decimalDigits(2 ** 60), -1);
    assert.equal(decimalDigits(0.1 + 0.2), -1, '0.30000000000000004 needs 17 decimals');
  });
});

describe('timestamps', () => {
  it('keep steady, jittered, repeated and extreme timestamps', () => {
    const r = prng(11);
    const cases: number[][] = [
      Array.from({ length: 1000 }, (_, i) => 1.7e12 + i * 10_000),
      Array.from({ length: 1000 }, (_, i) => 1.7e12 + i * 10_000 + Math.floor(r() * 50)),
      [5, 5, 5, 6, 6, 1000],
      [-8.64e15, -1, 0, 1, 8.64e15],
      [8.64e15 - 1, 8.64e15],
      [-8.64e15],
    ];
    for (const ts of cases) {
      const w = new ByteWriter();
      encodeTimestamps(ts, ts.length, w);
      const out = new Float64Array(ts.length);
      decodeTimestamps(new ByteReader(w.view8()), ts.length, out);
      assertBitExact([...out], ts, `timestamps ${ts.slice(0, 3).join(',')}`);
    }
  });
});

describe('bytes', () => {
  it('round-trips varints up to 2^53 and zigzag integers of both signs', () => {
    const w = new ByteWriter(1);
    const unsigned = [0, 1, 127, 128, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53];
    const signed = [0, -1, 1, -(2 ** 51), 2 ** 51, -123456789012];
    for (const v of unsigned) w.uvarint(v);
    for (const v of signed) w.svarint(v);
    w.str('héllo, 世界');
    const r = new ByteReader(w.view8());
    for (const v of unsigned) assert.equal(r.uvarint(), v);
    for (const v of signed) assert.ok(Object.is(r.svarint(), v));
    assert.equal(r.str(), 'héllo, 世界');
    assert.ok(r.done());
  });

  it('reports bytes that end early as corrupt, never as data', () => {
    const w = new ByteWriter();
    w.uvarint(2 ** 40);
    w.f64(1.5);
    const cut = w.view8().subarray(0, 4);
    const r = new ByteReader(cut);
    assert.throws(() => {
      r.uvarint();
      r.f64();
    }, CorruptData);
    assert.throws(() => unpack(Buffer.from([1, 0xff, 0xff, 0x00])), CorruptData);
    assert.throws(() => unpack(Buffer.from([9])), CorruptData);
  });

  it('computes the standard CRC-32', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
    assert.equal(crc32(Buffer.alloc(0)), 0);
  });
});
