/**
 * ISO 8601 timestamps on the ingest path, without a Date per call: every step formats its clock and
 * the payload's time and reads back the times it stored, and Date's own formatter and parser (an
 * object and a runtime call each) cost more than the arithmetic here. Each function gives exactly
 * what the built-in it replaces gives (toISOString, Date.parse, parseDateTime); forms other than
 * the common one go to that built-in.
 */
import { dateTimeMs, daysFromCivil, daysInMonth } from '@agentmon/schema';

const DAY_MS = 86_400_000;
/** 1000-01-01T00:00:00.000Z and 10000-01-01T00:00:00.000Z: the range formatted and parsed here. */
const FAST_MIN_MS = -30_610_224_000_000;
const FAST_END_MS = 253_402_300_800_000;

const pad = (n: number, width: number) => String(n).padStart(width, '0');
/** `HH:MM:` of each minute of a day, `SS.` of each second, `mmmZ` of each millisecond. */
const HOUR_MINUTE: readonly string[] = Array.from({ length: 1440 }, (_, m) => `${pad(Math.floor(m / 60), 2)}:${pad(m % 60, 2)}:`);
const SECOND: readonly string[] = Array.from({ length: 60 }, (_, s) => `${pad(s, 2)}.`);
const MILLI: readonly string[] = Array.from({ length: 1000 }, (_, ms) => `${pad(ms, 3)}Z`);

let dayKey = Number.NaN;
let dayPrefix = '';
let minuteKey = Number.NaN;
let minutePrefix = '';

/** True for a time whose ISO form is `YYYY-MM-DDTHH:MM:SS.sssZ` (whole milliseconds, years 1000 to 9999). */
export function isCanonicalMs(ms: number): boolean {
  return Number.isInteger(ms) && ms >= FAST_MIN_MS && ms < FAST_END_MS;
}

/** `new Date(ms).toISOString()`, RangeError included. */
export function isoFromMs(ms: number): string {
  if (!isCanonicalMs(ms)) return new Date(ms).toISOString();
  const minute = Math.floor(ms / 60_000);
  if (minute !== minuteKey) {
    const day = Math.floor(minute / 1440);
    if (day !== dayKey) {
      dayPrefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
      dayKey = day;
    }
    minutePrefix = dayPrefix + HOUR_MINUTE[minute - day * 1440];
    minuteKey = minute;
  }
  const inMinute = ms - minute * 60_000;
  const second = Math.floor(inMinute / 1000);
  return minutePrefix + SECOND[second] + MILLI[inMinute - second * 1000];
}

let clockMs = Number.NaN;
let clockText = '';
/** Date.parse(clockText): a step reads back the time it just stamped. */
let clockParsed = Number.NaN;

/**
 * isoFromMs for a clock reading: a batch steps every agent at the same `nowMs`, so the last one is
 * kept and given again.
 */
export function clockIso(nowMs: number): string {
  if (nowMs !== clockMs) {
    clockText = isoFromMs(nowMs);
    clockParsed = Number.NaN;
    clockParsed = parseIsoMs(clockText);
    clockMs = nowMs;
  }
  return clockText;
}

const digit = (s: string, i: number) => s.charCodeAt(i) - 48;
const isDigit = (c: number) => c >= 0 && c <= 9;

/**
 * Milliseconds of `YYYY-MM-DDTHH:MM:SS.sssZ` (toISOString's own form, years 1000 to 9999) naming a
 * real instant; NaN for anything else, which the caller hands to the parser it replaces. On that
 * form Date.parse and parseDateTime agree with it (a leap second or 31 April is left to them).
 */
export function canonicalIsoMs(s: unknown): number {
  if (typeof s !== 'string' || s.length !== 24) return Number.NaN;
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58) return Number.NaN;
  if (s.charCodeAt(16) !== 58 || s.charCodeAt(19) !== 46 || s.charCodeAt(23) !== 90) return Number.NaN;
  const d0 = digit(s, 0), d1 = digit(s, 1), d2 = digit(s, 2), d3 = digit(s, 3);
  const m0 = digit(s, 5), m1 = digit(s, 6), a0 = digit(s, 8), a1 = digit(s, 9);
  const h0 = digit(s, 11), h1 = digit(s, 12), i0 = digit(s, 14), i1 = digit(s, 15), s0 = digit(s, 17), s1 = digit(s, 18);
  const f0 = digit(s, 20), f1 = digit(s, 21), f2 = digit(s, 22);
  if (!(isDigit(d0) && isDigit(d1) && isDigit(d2) && isDigit(d3) && isDigit(m0) && isDigit(m1) && isDigit(a0) && isDigit(a1))) return Number.NaN;
  if (!(isDigit(h0) && isDigit(h1) && isDigit(i0) && isDigit(i1) && isDigit(s0) && isDigit(s1) && isDigit(f0) && isDigit(f1) && isDigit(f2))) return Number.NaN;
  const year = d0 * 1000 + d1 * 100 + d2 * 10 + d3;
  const month = m0 * 10 + m1;
  const day = a0 * 10 + a1;
  const hour = h0 * 10 + h1;
  const minute = i0 * 10 + i1;
  const second = s0 * 10 + s1;
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return Number.NaN;
  return daysFromCivil(year, month, day) * DAY_MS + hour * 3_600_000 + minute * 60_000 + second * 1000 + f0 * 100 + f1 * 10 + f2;
}

/** `Date.parse(s)` for a stored timestamp. */
export function parseIsoMs(s: string): number {
  if (s === clockText && !Number.isNaN(clockParsed)) return clockParsed;
  const ms = canonicalIsoMs(s);
  return Number.isNaN(ms) ? Date.parse(s) : ms;
}

/** `parseDateTime(s)?.getTime()` for a payload's timestamp: undefined when it is not one. */
export function parseDateTimeMs(s: string): number | undefined {
  const ms = dateTimeMs(s);
  return Number.isNaN(ms) ? undefined : ms;
}
