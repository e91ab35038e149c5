/**
 * `npm run bench:parse`: the measurement behind packages/server/src/json-body.ts. It builds batch
 * bodies of the bench fleet (bench/payloads.ts: BENCH_BATCH_SIZE payloads each, as `npm run bench`
 * sends them), then parses each as the server's JSON body parser does, both ways, in one process
 * with the server's young generation (run with `--max-semi-space-size=32`, as `npm start`):
 *
 *   whole   the body decoded into one string (a large object in V8) and parsed by the ordinary
 *           parser with its prototype-poisoning checks, then the input guard's walk
 *   pieces  parseLargeArray: pieces of under 128 KiB decoded and parsed, then the same walk
 *
 * A dozen parsed batches are kept alive, as batches in flight are in the server, so collections
 * cost what they cost there. Prints ms per batch for each way, alternating rounds, and checks both
 * ways give the same array.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { makeFleet, metricsPayload, prng } from './payloads.js';
import { intEnv } from './env.js';
import { checkJsonBody } from '../packages/server/src/input-guard.js';
import { parseLargeArray } from '../packages/server/src/json-body.js';

// Fastify's own JSON parser (what the server falls back to), from Fastify's dependencies.
const require = createRequire(createRequire(import.meta.url).resolve('fastify'));
const secureJson = require('secure-json-parse') as { parse(text: string, options: Record<string, string>): unknown };

const BATCH = intEnv('BENCH_BATCH_SIZE', 1000, 1);
const BODIES = 24;
const ROUNDS = intEnv('PARSE_ROUNDS', 3, 1);
const BATCHES_PER_ROUND = intEnv('PARSE_BATCHES', 400, 1);
const LIVE = 12;

const fleet = makeFleet(BATCH);
const r = prng(7);
const start = Date.parse('2026-01-01T00:00:00Z');
const bodies: Buffer[] = [];
for (let b = 0; b < BODIES; b++) {
  const payloads = fleet.map((p, i) => metricsPayload(p, `agent-${String(i).padStart(6, '0')}-0000-4000-8000-000000000000`, start + b * 10_000, 10, r));
  bodies.push(Buffer.from(JSON.stringify(payloads)));
}

/** The body as the socket hands it over: 64 KiB chunks, joined by the framework into one buffer. */
function received(body: Buffer): Buffer {
  const chunks: Buffer[] = [];
  for (let i = 0; i < body.length; i += 65536) chunks.push(Buffer.from(body.subarray(i, i + 65536)));
  return Buffer.concat(chunks);
}

function whole(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  const parsed = secureJson.parse(text, { protoAction: 'error', constructorAction: 'error' });
  assert.equal(checkJsonBody(parsed, text), null);
  return parsed;
}

function pieces(raw: Buffer): unknown {
  const parsed = parseLargeArray(raw);
  assert.ok(parsed !== undefined, 'the bench body was not parsed in pieces');
  assert.equal(checkJsonBody(parsed, null), null);
  return parsed;
}

for (const body of bodies.slice(0, 3)) assert.deepEqual(pieces(body), whole(body));

const live: unknown[] = [];
function round(parse: (raw: Buffer) => unknown): number {
  const t0 = performance.now();
  for (let k = 0; k < BATCHES_PER_ROUND; k++) {
    live.push(parse(received(bodies[k % BODIES] as Buffer)));
    if (live.length > LIVE) live.shift();
  }
  return (performance.now() - t0) / BATCHES_PER_ROUND;
}

console.log(`bodies: ${BATCH} payloads, ${((bodies[0] as Buffer).length / 1024).toFixed(0)} KiB each; ${BATCHES_PER_ROUND} batches a round, ${LIVE} kept alive`);
const times = { whole: [] as number[], pieces: [] as number[] };
round(whole);
round(pieces);
for (let i = 0; i < ROUNDS; i++) {
  times.whole.push(round(whole));
  times.pieces.push(round(pieces));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
console.log('| way | ms per batch (median of rounds) | rounds |');
console.log('|---|--:|---|');
for (const [name, xs] of Object.entries(times)) console.log(`| ${name} | ${median(xs).toFixed(2)} | ${xs.map((x) => x.toFixed(2)).join(' / ')} |`);
console.log(`pieces / whole: ${(median(times.pieces) / median(times.whole)).toFixed(2)}`);
