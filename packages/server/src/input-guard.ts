/**
 * Text and shapes no route should ever see. PostgreSQL refuses a NUL character in text and an
 * unpaired UTF-16 surrogate cannot be encoded as UTF-8, so either reached the store as a 500; a
 * body nested thousands of levels deep overflows the stack of whatever walks it (JSON.stringify
 * when it is stored). Each is refused as a 400 that names where it is, before validation.
 *
 * A large batch parsed in pieces (json-body.ts) skips the ordinary parser's prototype-poisoning
 * checks; its `__proto__` and `constructor.prototype` keys are refused here, with their path.
 *
 * Cheap on the ingest path: the depth walk touches each object once (about 0.3 ms for a batch of a
 * thousand payloads), and strings are only looked at when the raw text holds a `\u0000` or a
 * surrogate escape at all.
 */
import type { ErrorDetail } from '@agentmon/schema';

/** Deepest nesting of objects and arrays a JSON body may have. */
export const MAX_JSON_DEPTH = 64;

/** A JSON text that may hold a NUL or a surrogate escape (a quick look, confirmed by `badText`). */
const SUSPECT_ESCAPE = /\\u(?:0000|d[89a-f])/i;

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be taken, or null. */
function badText(s: string): string | null {
  if (s.includes('\u0000')) return 'must not contain a NUL character (\\u0000)';
  if (LONE_SURROGATE.test(s)) return 'must not contain an unpaired UTF-16 surrogate (e.g. a lone \\ud800)';
  return null;
}

const pointer = (base: string, key: string | number) => `${base}/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`;

/**
 * The deepest nesting of `value` (1 for a flat object), without recursion; Infinity when `keys` and
 * a key is refused as prototype poisoning, so that the caller looks for where.
 */
function depthOf(value: unknown, keys: boolean): number {
  const stack: unknown[] = [value];
  const depths: number[] = [1];
  let max = 0;
  while (stack.length > 0) {
    const v = stack.pop();
    const d = depths.pop() as number;
    if (d > max) max = d;
    if (d > MAX_JSON_DEPTH) break;
    if (Array.isArray(v)) {
      for (const x of v) {
        if (x === null || typeof x !== 'object') continue;
        stack.push(x);
        depths.push(d + 1);
      }
    } else if (v !== null && typeof v === 'object') {
      for (const k in v) {
        const x = (v as Record<string, unknown>)[k];
        if (keys && poisonKey(k, x) !== null) return Infinity;
        if (x === null || typeof x !== 'object') continue;
        stack.push(x);
        depths.push(d + 1);
      }
    }
  }
  return max;
}

/** Why `key` holding `value` is refused as prototype poisoning (the ordinary JSON parser's rule), or null. */
function poisonKey(key: string, value: unknown): string | null {
  if (key === '__proto__') return 'is a key that is not accepted (__proto__)';
  if (key === 'constructor' && value !== null && typeof value === 'object' && Object.hasOwn(value, 'prototype')) {
    return 'is a key that is not accepted (constructor with a prototype)';
  }
  return null;
}

/**
 * The first place (depth-first, keys in order) where `value` goes too deep, holds bad text (when
 * `text`) or a prototype-poisoning key (when `keys`).
 */
function findProblem(value: unknown, base: string, text: boolean, keys: boolean): ErrorDetail | null {
  const stack: [unknown, string, number][] = [[value, base, 1]];
  while (stack.length > 0) {
    const [v, path, d] = stack.pop() as [unknown, string, number];
    if (typeof v === 'string') {
      const why = text ? badText(v) : null;
      if (why) return { path, message: why };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (d > MAX_JSON_DEPTH) return { path, message: `is nested deeper than ${MAX_JSON_DEPTH} levels` };
    const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
    for (let i = entries.length - 1; i >= 0; i -= 1) {
      const [k, x] = entries[i] as [string | number, unknown];
      const at = pointer(path, k);
      const why = text && typeof k === 'string' ? badText(k) : null;
      if (why) return { path: at, message: `its key ${why}` };
      const poison = keys && typeof k === 'string' ? poisonKey(k, x) : null;
      if (poison) return { path: at, message: poison };
      stack.push([x, at, d + 1]);
    }
  }
  return null;
}

/**
 * What is wrong with a parsed JSON body, or null. `raw` is its text, when the ordinary parser read
 * it (and refused prototype poisoning); null when json-body.ts parsed it in pieces after finding
 * no backslash in its bytes, so no string in it can be bad text, and its keys are checked here.
 */
export function checkJsonBody(body: unknown, raw: string | null): ErrorDetail | null {
  const suspect = raw !== null && SUSPECT_ESCAPE.test(raw);
  const keys = raw === null;
  if (!suspect && depthOf(body, keys) <= MAX_JSON_DEPTH) return null;
  return findProblem(body, '/body', suspect, keys);
}

/** What is wrong with a request's path parameters or query (a NUL, `%00`), or null. */
export function checkUrlParts(params: unknown, query: unknown): ErrorDetail | null {
  for (const [part, values] of [['params', params], ['query', query]] as const) {
    if (values === null || typeof values !== 'object') continue;
    for (const [key, v] of Object.entries(values as Record<string, unknown>)) {
      for (const s of Array.isArray(v) ? v : [v]) {
        const why = typeof s === 'string' ? badText(s) : null;
        if (why) return { path: `/${part}/${key}`, message: why };
      }
    }
  }
  return null;
}
