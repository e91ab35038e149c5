/**
 * Building blocks shared by every model: nullable fields, timestamps, string maps,
 * and the ISO 8601 rule the wire uses.
 */
import { Type, type TSchema, type TUnsafe, type Static } from 'typebox';

/**
 * An ISO 8601 date-time. Offsets are optional on input: a timestamp without one (as Python's
 * naive `datetime.utcnow().isoformat()` prints it) is read as UTC. Output is always UTC with `Z`.
 */
export const ISO_DATE_TIME_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * The last text parsed and its time (NaN: not a date-time). A batch from a relay stamps a whole
 * fleet with one time, and validation and ingest both parse it: 2,000 parses of one string become
 * one.
 */
let lastText = '';
let lastMs = Number.NaN;

/** Parses an ISO 8601 date-time (offset optional, UTC assumed); `undefined` when it is not one. */
export function parseDateTime(value: string): Date | undefined {
  const ms = dateTimeMs(value);
  // A Date of its own each time: a caller may change the one it gets.
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/** parseDateTime as epoch milliseconds, NaN when `value` is not a date-time (no Date made; one-text cache). */
export function dateTimeMs(value: string): number {
  if (value !== lastText) {
    lastMs = parseMs(value);
    lastText = value;
  }
  return lastMs;
}

/**
 * parseDateTime as epoch milliseconds, NaN when `value` is not a date-time: ISO_DATE_TIME_PATTERN
 * read character by character. Every payload is parsed on ingest (validation, then its time), and
 * the pattern's match array, its nine strings and two Dates were a twentieth of what the ingest path
 * allocated; this allocates nothing. The server's engine/time.test.ts holds it equal to the
 * pattern over generated and adversarial texts.
 */
function parseMs(value: string): number {
  const n = value.length;
  // yyyy-mm-ddThh:mm is the shortest form (16), with seconds, nine digits and an offset the longest.
  if (n < 16 || n > 41) return Number.NaN;
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 2);
  const day = digits(value, 8, 2);
  const hour = digits(value, 11, 2);
  const minute = digits(value, 14, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0) return Number.NaN;
  const sep = value.charCodeAt(10);
  if (value.charCodeAt(4) !== DASH || value.charCodeAt(7) !== DASH || value.charCodeAt(13) !== COLON) return Number.NaN;
  if (sep !== 0x54 /* T */ && sep !== 0x74 /* t */ && sep !== 0x20 /* space */) return Number.NaN;
  let i = 16;
  let second = 0;
  let ms = 0;
  if (i < n && value.charCodeAt(i) === COLON) {
    second = digits(value, i + 1, 2);
    if (second < 0) return Number.NaN;
    i += 3;
    if (i < n && value.charCodeAt(i) === DOT) {
      // Up to nine digits; the first three are the milliseconds (truncated, never rounded up).
      const from = ++i;
      while (i < n && i - from < 9 && isDigit(value.charCodeAt(i))) {
        if (i - from < 3) ms += (value.charCodeAt(i) - ZERO) * (i - from === 0 ? 100 : i - from === 1 ? 10 : 1);
        i++;
      }
      if (i === from) return Number.NaN;
    }
  }
  let offsetMinutes = 0;
  if (i < n) {
    const c = value.charCodeAt(i);
    if (c === 0x5a /* Z */ || c === 0x7a /* z */) {
      i++;
    } else if (c === 0x2b /* + */ || c === DASH) {
      const hours = digits(value, i + 1, 2);
      if (hours < 0) return Number.NaN;
      i += 3;
      let minutes = 0;
      if (i < n) {
        if (value.charCodeAt(i) === COLON) i++;
        minutes = digits(value, i, 2);
        if (minutes < 0) return Number.NaN;
        i += 2;
      }
      if (hours > 23 || minutes > 59) return Number.NaN;
      offsetMinutes = (c === DASH ? -1 : 1) * (hours * 60 + minutes);
    } else {
      return Number.NaN;
    }
  }
  if (i !== n) return Number.NaN;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return Number.NaN;
  if (day > daysInMonth(year, month)) return Number.NaN; // 31 February and friends
  // A leap second is held at :59.
  const t = daysFromCivil(year, month, day) * 86_400_000 + ((hour * 60 + minute - offsetMinutes) * 60 + Math.min(second, 59)) * 1000 + ms;
  // Year 0000 (and what an offset pushes before year 1) is not a date every store can keep.
  return t < YEAR_1_MS ? Number.NaN : t;
}

const ZERO = 0x30;
const DASH = 0x2d;
const COLON = 0x3a;
const DOT = 0x2e;
/** 0001-01-01T00:00:00Z. */
const YEAR_1_MS = daysFromCivil(1, 1, 1) * 86_400_000;

function isDigit(c: number): boolean {
  return c >= ZERO && c <= ZERO + 9;
}

/** The number written by `count` ASCII digits at `at`, or -1 when one of them is not a digit (or missing). */
function digits(value: string, at: number, count: number): number {
  if (at + count > value.length) return -1;
  let v = 0;
  for (let k = at; k < at + count; k++) {
    const c = value.charCodeAt(k);
    if (!isDigit(c)) return -1;
    v = v * 10 + (c - ZERO);
  }
  return v;
}

/** Days of a month of the proleptic Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days from 1970-01-01 to a proleptic Gregorian date, as Date counts them (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year; // years counted from March, so a leap day ends one
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * ((month + 9) % 12) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** True when `value` is an ISO 8601 date-time agentmon accepts (the `date-time` format's rule). */
export function isDateTime(value: string): boolean {
  return !Number.isNaN(dateTimeMs(value));
}

/** Normalises an accepted ISO 8601 date-time to the wire's UTC form (`...Z`, milliseconds). */
export function toUtcIso(value: string | Date): string {
  if (value instanceof Date) return value.toISOString();
  const parsed = parseDateTime(value);
  if (!parsed) throw new RangeError(`not an ISO 8601 date-time: ${value}`);
  return parsed.toISOString();
}

/** A timestamp on the wire: ISO 8601, UTC. */
export const DateTime = (options: { description?: string } = {}) =>
  Type.String({ format: 'date-time', ...options });

/** `Optional[T]` in the seed: the value or null. */
export function Nullable<T extends TSchema>(schema: T): TUnsafe<Static<T> | null> {
  return Type.Unsafe<Static<T> | null>({ anyOf: [schema, { type: 'null' }] });
}

/** `Dict[str, Any]`. */
export const AnyMap = (options: { description?: string; default?: Record<string, unknown> } = {}) =>
  Type.Record(Type.String(), Type.Unknown(), options);

/** A string enum as one `enum` keyword, so a bad value gives one clear error listing the allowed ones. */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: { description?: string; default?: T[number] } = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/** A copy of a schema with every `default` removed, at any depth (for partial-update bodies). */
export function withoutDefaults<T extends TSchema>(schema: T): T {
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (typeof node !== 'object' || node === null) return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) if (key !== 'default') out[key] = strip(value);
    return out;
  };
  return strip(schema) as T;
}
