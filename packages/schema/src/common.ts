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
  if (value !== lastText) {
    lastMs = parseMs(value);
    lastText = value;
  }
  // A Date of its own each time: a caller may change the one it gets.
  return Number.isNaN(lastMs) ? undefined : new Date(lastMs);
}

/** parseDateTime as epoch milliseconds, NaN when `value` is not a date-time. */
function parseMs(value: string): number {
  const date = parseUncached(value);
  return date === undefined ? Number.NaN : date.getTime();
}

function parseUncached(value: string): Date | undefined {
  const m = ISO_DATE_TIME_PATTERN.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '0', frac = '', zone] = m;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const ms = frac === '' ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, Math.min(second, 59), ms));
  date.setUTCFullYear(Number(y), month - 1, day); // Date.UTC reads years 0-99 as 1900-1999
  if (date.getUTCDate() !== day) return undefined; // 31 February and friends
  let t = date.getTime();
  if (zone && zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offsetHours = Number(digits.slice(0, 2));
    const offsetMins = Number(digits.slice(2) || '0');
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    t -= sign * (offsetHours * 60 + offsetMins) * 60_000;
  }
  // Year 0000 (and what an offset pushes before year 1) is not a date every store can keep.
  if (new Date(t).getUTCFullYear() < 1) return undefined;
  return new Date(t);
}

/** True when `value` is an ISO 8601 date-time agentmon accepts (the `date-time` format's rule). */
export function isDateTime(value: string): boolean {
  return parseDateTime(value) !== undefined;
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
