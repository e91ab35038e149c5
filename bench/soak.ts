/**
 * `npm run soak`: the long version of the fault tests. The built server (as `npm start` runs it)
 * takes a fleet reporting in real time for minutes, with live-stream clients watching (one of them
 * never reads), while its resident memory is sampled. At the end every acknowledged payload must be
 * stored, and memory must have stopped growing: it fails (exit 1) on a lost payload or on a memory
 * slope over the second half of the run above SOAK_MAX_GROWTH_MIB_PER_MIN.
 *
 * Knobs: SOAK_AGENTS (1000), SOAK_STEP_SECONDS (10: each agent reports this often), SOAK_MINUTES
 * (10), SOAK_STREAMS (4 reading live-stream clients, plus one that never reads),
 * SOAK_MAX_GROWTH_MIB_PER_MIN (2), SOAK_SAMPLE_SECONDS (10).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { numEnv, intEnv } from './env.js';
import { BenchClient } from './http.js';
import { makeFleet, metricsPayload, prng, registration } from './payloads.js';
import { rssOf } from './proc.js';
import { ServerChild } from './server-child.js';

const AGENTS = intEnv('SOAK_AGENTS', 1000, 1);
const STEP_S = numEnv('SOAK_STEP_SECONDS', 10);
const MINUTES = numEnv('SOAK_MINUTES', 10);
const STREAMS = intEnv('SOAK_STREAMS', 4, 0);
const MAX_GROWTH = numEnv('SOAK_MAX_GROWTH_MIB_PER_MIN', 2);
const SAMPLE_S = numEnv('SOAK_SAMPLE_SECONDS', 10);
/** Batches per step: the fleet's reports spread over the step, as real agents' are. */
const SLICES = 10;
const MiB = 1024 * 1024;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Least-squares slope of y over x. */
export function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** A live-stream client; `read` false: one that never reads (its socket fills, the server must drop it). */
function streamClient(port: number, token: string, read: boolean): { received: () => number; dropped: () => boolean; close: () => void } {
  let bytes = 0;
  let ended = false;
  const req = http.get({ host: '127.0.0.1', port, path: `/api/v1/events/stream?token=${encodeURIComponent(token)}` }, (res) => {
    if (read) res.on('data', (c: Buffer) => (bytes += c.length));
    else res.pause();
    res.on('end', () => (ended = true));
    res.on('close', () => (ended = true));
  });
  req.on('error', () => (ended = true));
  return { received: () => bytes, dropped: () => ended, close: () => req.destroy() };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'agentmon-soak-'));
  const admin = randomBytes(24).toString('hex');
  const { server, port } = await ServerChild.start({ dataDir, databaseUrl: null, schema: null, influxUrl: null, adminToken: admin });
  const client = new BenchClient(port, admin, 32);
  const streams: ReturnType<typeof streamClient>[] = [];
  let failed = false;
  try {
    console.log(`soak: ${AGENTS} agents every ${STEP_S} s for ${MINUTES} min, ${STREAMS} reading stream clients and one that never reads (data dir ${dataDir})`);
    const fleet = makeFleet(AGENTS);
    const ids: string[] = [];
    for (let i = 0; i < fleet.length; i += 32) {
      const made = await Promise.all(
        fleet.slice(i, i + 32).map(async (p) => {
          const res = await client.request('POST', '/api/v1/agents', JSON.stringify(registration(p)));
          if (res.status !== 201 && res.status !== 200) throw new Error(`registration failed: HTTP ${res.status} ${res.body.slice(0, 200)}`);
          return (JSON.parse(res.body) as { agent_id: string }).agent_id;
        }),
      );
      ids.push(...made);
    }
    for (let i = 0; i <= STREAMS; i++) {
      const res = await client.request('POST', '/api/v1/events/stream-token');
      streams.push(streamClient(port, (JSON.parse(res.body) as { token: string }).token, i < STREAMS));
    }

    const r = prng(7);
    const started = Date.now();
    const endAt = started + MINUTES * 60_000;
    const samples: [number, number][] = [];
    let acknowledged = 0;
    let refused = 0;
    let lastSample = 0;
    const sliceMs = (STEP_S * 1000) / SLICES;
    const perSlice = Math.ceil(AGENTS / SLICES);
    for (let tick = 0; Date.now() < endAt; tick++) {
      const slice = tick % SLICES;
      const from = slice * perSlice;
      const now = Date.now();
      const batch = fleet.slice(from, from + perSlice).map((p, k) => metricsPayload(p, ids[from + k] as string, now, STEP_S, r));
      if (batch.length > 0) {
        const res = await client.request('POST', '/api/v1/metrics', JSON.stringify(batch));
        if (res.status === 202) acknowledged += batch.length;
        else if (res.status === 503) refused += batch.length; // backpressure: not acknowledged, so not owed
        else throw new Error(`ingest failed: HTTP ${res.status} ${res.body.slice(0, 200)}`);
      }
      if (Date.now() - lastSample >= SAMPLE_S * 1000) {
        lastSample = Date.now();
        const rss = rssOf(server.pid) ?? 0;
        samples.push([(lastSample - started) / 60_000, rss / MiB]);
        const live = streams.filter((s) => !s.dropped()).length;
        console.log(`  ${((lastSample - started) / 1000).toFixed(0).padStart(5)} s  rss ${(rss / MiB).toFixed(0).padStart(5)} MiB  acknowledged ${acknowledged}  refused ${refused}  streams open ${live}`);
      }
      await sleep(Math.max(0, started + (tick + 1) * sliceMs - Date.now()));
    }

    // Every acknowledged payload must be stored: count the CPU values over the run.
    await sleep(2000);
    const q = new URLSearchParams({
      start_time: new Date(started - 60_000).toISOString(),
      end_time: new Date(Date.now() + 60_000).toISOString(),
      metric_names: 'cpu_usage_percent',
      aggregation: 'count',
      group_by: 'none',
    });
    const counted = await client.request('GET', `/api/v1/metrics/query?${q.toString()}`);
    const stored = Number((JSON.parse(counted.body) as { data: Record<string, unknown>[] }).data[0]?.cpu_usage_percent ?? 0);
    const secondHalf = samples.filter(([m]) => m >= MINUTES / 2);
    const growth = slope(secondHalf);
    const readers = streams.slice(0, STREAMS);
    console.log(`soak: ${acknowledged} payloads acknowledged, ${stored} stored, ${refused} refused with 503 (retry later)`);
    console.log(`soak: memory ${growth.toFixed(2)} MiB/min over the second half (limit ${MAX_GROWTH}); peak ${Math.max(...samples.map(([, v]) => v)).toFixed(0)} MiB`);
    console.log(`soak: reading stream clients received ${readers.map((s) => s.received()).join(', ')} bytes; the one that never read was ${streams[STREAMS]?.dropped() ? 'dropped' : 'still open'}`);
    if (stored !== acknowledged) {
      console.log(`!!! ${acknowledged - stored} acknowledged payload(s) missing`);
      failed = true;
    }
    if (growth > MAX_GROWTH) {
      console.log(`!!! memory kept growing: ${growth.toFixed(2)} MiB/min`);
      failed = true;
    }
    if (readers.some((s) => s.dropped())) {
      console.log('!!! a reading stream client was dropped');
      failed = true;
    }
  } finally {
    for (const s of streams) s.close();
    client.close();
    await server.stop().catch(() => server.kill());
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(failed ? 'soak: FAILED' : 'soak: passed');
  process.exit(failed ? 1 : 0);
}

if (process.argv[1]?.endsWith('soak.ts')) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
