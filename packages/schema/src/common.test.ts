// Tests of common.ts: the ISO 8601 rule the wire uses (parseDateTime, isDateTime, toUtcIso), its
// registration as TypeBox's `date-time` format, and the small schema builders every model uses.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from 'typebox';
import { Format } from 'typebox/format';
import { Value } from 'typebox/value';
import {
  AnyMap,
  DateTime,
  ISO_DATE_TIME_PATTERN,
  Nullable,
  StringEnum,
  isDateTime,
  parseDateTime,
  toUtcIso,
} from './common.js';

// TypeBox's own `date-time` (RFC 3339) demands an offset; agentmon reads offset-less timestamps as
// UTC, so the wire's rule is registered in its place, as a server using these schemas must do.
Format.Set('date-time', isDateTime);

/** Milliseconds since the epoch of a UTC wall-clock time. */
const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number => {
  const date = new Date(Date.UTC(2000, mo - 1, d, h, mi, s, ms));
  date.setUTCFullYear(y);
  return date.getTime();
};

/** parseDateTime's result in milliseconds, failing the test when it returns undefined. */
const parsedMs = (value: string): number => {
  const parsed = parseDateTime(value);
  assert.ok(parsed instanceof Date, `${JSON.stringify(value)} should parse`);
  return parsed.getTime();
};

describe('parseDateTime: accepted forms', () => {
  const cases: ReadonlyArray<readonly [input: string, expected: number, why: string]> = [
    ['2026-11-26T16:44:16Z', utc(2026, 11, 26, 16, 44, 16), 'Z'],
    ['2026-11-26T16:44:16z', utc(2026, 11, 26, 16, 44, 16), 'lower-case z'],
    ['2026-11-26t16:44:16Z', utc(2026, 11, 26, 16, 44, 16), 'lower-case t'],
    ['2026-11-26 16:44:16', utc(2026, 11, 26, 16, 44, 16), "space separator (Python's str(datetime))"],
    ['2026-11-26T16:44:16', utc(2026, 11, 26, 16, 44, 16), 'no offset: read as UTC'],
    ['2026-11-26T16:44', utc(2026, 11, 26, 16, 44, 0), 'no seconds'],
    ['2026-11-26T16:44:16+00:00', utc(2026, 11, 26, 16, 44, 16), "+00:00 (Python's aware isoformat)"],
    ['2026-11-26T16:44:16-00:00', utc(2026, 11, 26, 16, 44, 16), '-00:00'],
    ['2026-11-26T16:44:16+02:00', utc(2026, 11, 26, 14, 44, 16), '+02:00'],
    ['2026-11-26T16:44:16-05:00', utc(2026, 11, 26, 21, 44, 16), '-05:00'],
    ['2026-11-26T16:44:16+0530', utc(2026, 11, 26, 11, 14, 16), '+0530 (no colon)'],
    ['2026-11-26T16:44:16+05:30', utc(2026, 11, 26, 11, 14, 16), '+05:30'],
    ['2026-11-26T16:44:16-0930', utc(2026, 11, 27, 2, 14, 16), '-0930 crossing midnight'],
    ['2026-11-26T16:44:16+02', utc(2026, 11, 26, 14, 44, 16), '+02 (hours only)'],
    ['2026-11-26T16:44:16+23:59', utc(2026, 11, 25, 16, 45, 16), '+23:59, the largest offset'],
    ['2026-01-01T01:00:00+02:00', utc(2025, 12, 31, 23, 0, 0), 'offset crossing a year'],
    ['2026-11-26T16:44:16.123456', utc(2026, 11, 26, 16, 44, 16, 123), "microseconds (Python's isoformat), truncated"],
    ['2026-11-26T16:44:16.123456+00:00', utc(2026, 11, 26, 16, 44, 16, 123), 'microseconds with offset'],
    ['2026-11-26T16:44:16.999999Z', utc(2026, 11, 26, 16, 44, 16, 999), 'microseconds never round up a second'],
    ['2026-11-26T16:44:16.5Z', utc(2026, 11, 26, 16, 44, 16, 500), 'one fractional digit'],
    ['2026-11-26T16:44:16.123Z', utc(2026, 11, 26, 16, 44, 16, 123), 'milliseconds (JavaScript toISOString)'],
    ['2026-11-26T16:44:16.123456789Z', utc(2026, 11, 26, 16, 44, 16, 123), 'nanoseconds'],
    ['2024-02-29T00:00:00Z', utc(2024, 2, 29), '29 February of a leap year'],
    ['2000-02-29T00:00:00Z', utc(2000, 2, 29), '29 February of 2000 (divisible by 400)'],
    ['2026-12-31T23:59:59Z', utc(2026, 12, 31, 23, 59, 59), 'last second of a year'],
    ['2026-01-01T00:00:00Z', utc(2026, 1, 1), 'first second of a year'],
    ['2026-06-30T23:59:60Z', utc(2026, 6, 30, 23, 59, 59), 'leap second, held at :59'],
    ['0099-03-01T00:00:00Z', utc(99, 3, 1), 'a year below 100 is that year, not 19xx'],
    ['0004-02-29T00:00:00Z', utc(4, 2, 29), '29 February of year 4 (leap)'],
    ['1970-01-01T00:00:00Z', 0, 'the epoch'],
  ];
  for (const [input, expected, why] of cases) {
    it(`${input}: ${why}`, () => {
      assert.equal(parsedMs(input), expected);
      assert.equal(isDateTime(input), true);
      assert.match(input, ISO_DATE_TIME_PATTERN);
    });
  }

  it('returns a fresh Date each call', () => {
    const a = parseDateTime('2026-11-26T16:44:16Z');
    const b = parseDateTime('2026-11-26T16:44:16Z');
    assert.ok(a && b);
    assert.notEqual(a, b);
    assert.equal(a.getTime(), b.getTime());
  });
});

describe('parseDateTime: rejected values', () => {
  const cases: ReadonlyArray<readonly [input: string, why: string]> = [
    ['2026-02-30T00:00:00Z', '30 February'],
    ['2026-02-29T00:00:00Z', '29 February of a common year'],
    ['1900-02-29T00:00:00Z', '29 February of 1900 (divisible by 100, not 400)'],
    ['0100-02-29T00:00:00Z', '29 February of year 100'],
    ['2026-04-31T00:00:00Z', '31 April'],
    ['2026-06-31T00:00:00Z', '31 June'],
    ['2026-13-01T00:00:00Z', 'month 13'],
    ['2026-00-01T00:00:00Z', 'month 00'],
    ['2026-01-00T00:00:00Z', 'day 00'],
    ['2026-01-32T00:00:00Z', 'day 32'],
    ['2026-11-26T24:00:00Z', 'hour 24'],
    ['2026-11-26T16:60:00Z', 'minute 60'],
    ['2026-11-26T16:44:61Z', 'second 61'],
    ['2026-11-26T16:44:16+24:00', 'offset of 24 hours'],
    ['2026-11-26T16:44:16+05:60', 'offset minute 60'],
    ['2026-11-26T16:44:16+99:99', 'offset 99:99'],
    ['', 'empty string'],
    ['garbage', 'garbage'],
    ['not a date at all 2026-11-26T16:44:16Z', 'prefix'],
    ['2026-11-26T16:44:16Z trailing', 'suffix'],
    [' 2026-11-26T16:44:16Z', 'leading space'],
    ['2026-11-26T16:44:16Z ', 'trailing space'],
    ['2026-11-26T16:44:16\n', 'trailing newline'],
    ['2026-11-26', 'date only'],
    ['16:44:16', 'time only'],
    ['2026-11-26T16', 'hour only'],
    ['2026-11-26T', 'separator only'],
    ['20261126T164416Z', 'ISO basic format'],
    ['2026/11/26T16:44:16Z', 'slashes'],
    ['26-11-2026T16:44:16Z', 'day first'],
    ['2026-1-26T16:44:16Z', 'one-digit month'],
    ['2026-11-6T16:44:16Z', 'one-digit day'],
    ['2026-11-26T6:44:16Z', 'one-digit hour'],
    ['26-11-26T16:44:16Z', 'two-digit year'],
    ['+002026-11-26T16:44:16Z', 'expanded year'],
    ['2026-11-26X16:44:16Z', 'bad separator'],
    ['2026-11-26T16:44:16.Z', 'fraction without digits'],
    ['2026-11-26T16:44:16.1234567890Z', 'ten fractional digits'],
    ['2026-11-26T16:44.5Z', 'fraction without seconds'],
    ['2026-11-26T16:44:16+2', 'one-digit offset'],
    ['2026-11-26T16:44:16+2:00', 'one-digit offset hour'],
    ['2026-11-26T16:44:16+02:0', 'one-digit offset minute'],
    ['2026-11-26T16:44:16+02:00Z', 'offset and Z'],
    ['2026-11-26T16:44:16 +02:00', 'space before offset'],
    ['2026-11-26T16:44:16UTC', 'zone name'],
    ['2026-11-26T16:44:16[Europe/Paris]', 'RFC 9557 suffix'],
    ['1764175456', 'epoch seconds as a string'],
    ['Thu, 26 Nov 2026 16:44:16 GMT', 'RFC 1123'],
    ['２０２６-11-26T16:44:16Z', 'full-width digits'],
  ];
  for (const [input, why] of cases) {
    it(`${JSON.stringify(input)}: ${why}`, () => {
      assert.equal(parseDateTime(input), undefined);
      assert.equal(isDateTime(input), false);
      assert.throws(() => toUtcIso(input), RangeError);
    });
  }
});

describe('toUtcIso', () => {
  const cases: ReadonlyArray<readonly [input: string, expected: string]> = [
    ['2026-11-26T16:44:16Z', '2026-11-26T16:44:16.000Z'],
    ['2026-11-26T16:44:16', '2026-11-26T16:44:16.000Z'],
    ['2026-11-26 16:44:16', '2026-11-26T16:44:16.000Z'],
    ['2026-11-26T16:44:16.123456', '2026-11-26T16:44:16.123Z'],
    ['2026-11-26T16:44:16.123456+00:00', '2026-11-26T16:44:16.123Z'],
    ['2026-11-26T16:44:16+02:00', '2026-11-26T14:44:16.000Z'],
    ['2026-11-26T16:44:16+0530', '2026-11-26T11:14:16.000Z'],
    ['2026-11-26T16:44:16-05:00', '2026-11-26T21:44:16.000Z'],
    ['2026-11-26T16:44', '2026-11-26T16:44:00.000Z'],
    ['2026-11-26t16:44:16.5z', '2026-11-26T16:44:16.500Z'],
    ['0099-03-01T00:00:00Z', '0099-03-01T00:00:00.000Z'],
  ];
  for (const [input, expected] of cases) {
    it(`${input} -> ${expected}`, () => {
      assert.equal(toUtcIso(input), expected);
      // The output is itself accepted and stable.
      assert.equal(isDateTime(expected), true);
      assert.equal(toUtcIso(expected), expected);
    });
  }

  it('formats a Date as UTC with milliseconds and Z', () => {
    assert.equal(toUtcIso(new Date(Date.UTC(2026, 10, 26, 16, 44, 16, 7))), '2026-11-26T16:44:16.007Z');
    assert.equal(toUtcIso(new Date(0)), '1970-01-01T00:00:00.000Z');
  });

  it('round-trips what JavaScript prints', () => {
    const now = new Date();
    assert.equal(toUtcIso(now.toISOString()), now.toISOString());
  });

  it('throws a RangeError naming the bad value', () => {
    assert.throws(() => toUtcIso('2026-02-30T00:00:00Z'), { name: 'RangeError', message: /2026-02-30T00:00:00Z/ });
  });
});

describe('the date-time format', () => {
  it("TypeBox's built-in rule rejects Python's offset-less isoformat, hence the registration", () => {
    assert.equal(Format.IsDateTime('2026-11-26T16:44:16.123456'), false);
    assert.equal(Format.IsDateTime('2026-11-26T16:44:16.123456Z'), true);
  });

  it('is registered as isDateTime', () => {
    assert.equal(Format.Get('date-time'), isDateTime);
  });

  it('DateTime() is a string with format date-time and keeps its description', () => {
    assert.deepEqual({ ...DateTime() }, { type: 'string', format: 'date-time' });
    assert.deepEqual({ ...DateTime({ description: 'When' }) }, { type: 'string', format: 'date-time', description: 'When' });
  });

  it('DateTime() validates through Value.Check with the registered rule', () => {
    const schema = DateTime();
    for (const ok of ['2026-11-26T16:44:16Z', '2026-11-26T16:44:16', '2026-11-26T16:44:16.123456', '2026-11-26T16:44:16+0530']) {
      assert.equal(Value.Check(schema, ok), true, ok);
    }
    for (const bad of ['2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', 'garbage', '', 1764175456, null, new Date()]) {
      assert.equal(Value.Check(schema, bad), false, String(bad));
    }
  });
});

describe('schema builders', () => {
  it('Nullable(T) accepts T and null, nothing else', () => {
    const schema = Nullable(Type.Integer({ minimum: 0 }));
    assert.equal(Value.Check(schema, 0), true);
    assert.equal(Value.Check(schema, null), true);
    assert.equal(Value.Check(schema, -1), false);
    assert.equal(Value.Check(schema, 1.5), false);
    assert.equal(Value.Check(schema, undefined), false);
    assert.equal(Value.Check(schema, '0'), false);
  });

  it('AnyMap accepts any string-keyed object, not arrays or scalars', () => {
    const schema = AnyMap({ description: 'd' });
    assert.equal((schema as { description?: string }).description, 'd');
    assert.equal(Value.Check(schema, {}), true);
    assert.equal(Value.Check(schema, { a: 1, b: 'x', c: null, d: [1], e: { f: true } }), true);
    for (const bad of [null, [], 'x', 1, true]) assert.equal(Value.Check(schema, bad), false, JSON.stringify(bad));
  });

  it('StringEnum is one enum keyword accepting exactly its values', () => {
    const schema = StringEnum(['a', 'b'] as const, { description: 'd', default: 'b' });
    assert.deepEqual({ ...schema }, { type: 'string', enum: ['a', 'b'], description: 'd', default: 'b' });
    assert.equal(Value.Check(schema, 'a'), true);
    assert.equal(Value.Check(schema, 'b'), true);
    for (const bad of ['c', 'A', '', ' a', null, 1]) assert.equal(Value.Check(schema, bad), false, String(bad));
    assert.equal(Value.Default(schema, undefined), 'b');
  });

  it('StringEnum copies its values', () => {
    const values = ['a', 'b'];
    const schema = StringEnum(values) as unknown as { enum: string[] };
    values.push('c');
    assert.deepEqual(schema.enum, ['a', 'b']);
  });
});
