import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PIECEWISE_MIN_BYTES, parseLargeArray } from './json-body.js';

/** A seeded generator, so a failure names a case that can be run again. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Texts chosen to look like the cut or to straddle it: brackets, keys without quotes, multi-byte characters. */
const TRICKY = ['},{', '},{agent_id:', '}', '{', ']', '[', ',', ':', 'é},{ü', '日本},{語', '😀},{', 'agent_id'];

function value(r: () => number, depth: number): unknown {
  const k = r();
  if (depth > 3 || k < 0.3) return Math.round(r() * 1e6) / 1e3;
  if (k < 0.5) return TRICKY[Math.floor(r() * TRICKY.length)] + 'x'.repeat(Math.floor(r() * 5));
  if (k < 0.6) return r() < 0.5 ? null : r() < 0.5;
  // Nested arrays of objects hold the cut's bytes outside any string.
  if (k < 0.8) return Array.from({ length: 1 + Math.floor(r() * 3) }, () => ({ a: value(r, depth + 1) }));
  return { n: value(r, depth + 1), s: TRICKY[Math.floor(r() * TRICKY.length)] };
}

function element(r: () => number): Record<string, unknown> {
  return { agent_id: `agent-${Math.floor(r() * 100)}`, v: value(r, 0), w: value(r, 0), pad: 'p'.repeat(Math.floor(r() * 400)) };
}

function arrayOver(minBytes: number, r: () => number): unknown[] {
  const out: unknown[] = [];
  let bytes = 2;
  while (bytes < minBytes) {
    const e = element(r);
    bytes += JSON.stringify(e).length + 1;
    out.push(e);
  }
  return out;
}

test('a large compact array is parsed in pieces into exactly what JSON.parse gives', () => {
  for (let seed = 1; seed <= 40; seed += 1) {
    const data = arrayOver(PIECEWISE_MIN_BYTES + seed * 9_000, rng(seed));
    const text = JSON.stringify(data);
    const parsed = parseLargeArray(Buffer.from(text));
    assert.ok(parsed !== undefined, `seed ${seed}: the piecewise path was not taken`);
    assert.deepEqual(parsed, JSON.parse(text), `seed ${seed}`);
  }
});

test('surrounding whitespace is allowed; a body under the threshold is left to the whole-text parser', () => {
  const data = arrayOver(PIECEWISE_MIN_BYTES, rng(7));
  assert.deepEqual(parseLargeArray(Buffer.from(`\n  ${JSON.stringify(data)}\r\n`)), data);
  assert.equal(parseLargeArray(Buffer.from(JSON.stringify(data.slice(0, 3)))), undefined);
});

test('a large body that is not valid JSON is left to the whole-text parser, wherever the fault is', () => {
  const text = JSON.stringify(arrayOver(PIECEWISE_MIN_BYTES * 2, rng(3)));
  const past = text.indexOf('},{"agent_id"', 100_000) + 1;
  const faults = [
    text.slice(0, -1), // no closing bracket
    `${text.slice(0, -1)},]`, // trailing comma
    `[,${text.slice(1)}`, // leading comma
    text.replace('},{"agent_id"', '}},{"agent_id"'), // one brace too many, at the first element boundary
    `${text.slice(0, past)},{"x":}${text.slice(past)}`, // an element with a key and no value, past the first piece
    `${text.slice(0, text.length - 2)}}{"a":1}]`, // a missing comma at the end
  ];
  for (const [i, bad] of faults.entries()) {
    assert.throws(() => JSON.parse(bad), `fault ${i} is valid JSON`);
    assert.equal(parseLargeArray(Buffer.from(bad)), undefined, `fault ${i}`);
  }
});

test('a cut inside a string or a nested array is never taken as an element boundary', () => {
  // Each element's string holds a fake element `},{i:...` and is long enough that a cut search
  // lands inside it; elements hold arrays of objects whose `},{` is at depth 2.
  const data = Array.from({ length: 400 }, (_, i) => ({
    i,
    s: `${'y'.repeat(300)}},{i:-1,s:`,
    nested: [{ a: i }, { a: -i }, { b: [{ c: 1 }, { c: 2 }] }],
  }));
  const text = JSON.stringify(data);
  assert.ok(text.length > PIECEWISE_MIN_BYTES);
  assert.deepEqual(parseLargeArray(Buffer.from(text)), JSON.parse(text));
});

test('bodies that need the whole-text checks are left to them: any backslash, pretty-printed, not an array of objects', () => {
  const data = arrayOver(PIECEWISE_MIN_BYTES * 2, rng(11));
  const text = JSON.stringify(data);
  const last = text.lastIndexOf('}');
  const withKey = (key: string) => `${text.slice(0, last)},${JSON.stringify(key)}:1${text.slice(last)}`;
  assert.equal(parseLargeArray(Buffer.from(withKey('nul\u0000'))), undefined);
  assert.equal(parseLargeArray(Buffer.from(withKey('a "quoted" key'))), undefined);
  assert.equal(parseLargeArray(Buffer.from(withKey('line\nbreak'))), undefined);
  assert.equal(parseLargeArray(Buffer.from(JSON.stringify(data, null, 2))), undefined);
  assert.equal(parseLargeArray(Buffer.from(JSON.stringify({ wrapped: data }))), undefined);
  assert.equal(parseLargeArray(Buffer.from(JSON.stringify(data.map((_, i) => i)))), undefined);
});

test('a __proto__ key comes out as an own property, never as a prototype (input-guard refuses it)', () => {
  const text = JSON.stringify(arrayOver(PIECEWISE_MIN_BYTES * 2, rng(5)));
  const last = text.lastIndexOf('}');
  const parsed = parseLargeArray(Buffer.from(`${text.slice(0, last)},"__proto__":{"polluted":true}${text.slice(last)}`));
  assert.ok(parsed !== undefined);
  const element = parsed.at(-1) as Record<string, unknown>;
  assert.ok(Object.hasOwn(element, '__proto__'));
  assert.equal(Object.getPrototypeOf(element), Object.prototype);
  assert.equal((element as { polluted?: unknown }).polluted, undefined);
});

test('nested objects that begin with the elements\' first key: a cut there is passed over, the array comes out right', () => {
  // The cut `},{"i":` also matches inside each element, wherever the search lands.
  for (let pad = 0; pad < 60; pad += 1) {
    const data = Array.from({ length: 2500 }, (_, i) => ({ i, pad: 'q'.repeat(pad * 7), nested: [{ i: i + 0.5 }, { i: 1 - i }] }));
    assert.deepEqual(parseLargeArray(Buffer.from(JSON.stringify(data))), data, `pad ${pad}`);
  }
});

test('a body built so that every cut misses is parsed whole after a bounded number of tries', () => {
  // One huge element full of nested `},{"i":` and a small one after it: every cut in the first
  // element is nested, so the pieces never parse until the misses run out.
  const data = [{ i: 0, nested: Array.from({ length: 20_000 }, (_, k) => ({ i: k })) }, { i: 1 }];
  assert.equal(parseLargeArray(Buffer.from(JSON.stringify(data))), undefined);
});
