/**
 * The SeriesStore contract: every adapter registers this suite and must pass it unchanged. The
 * expected values are computed by hand from the fixture below, so a wrong bucket or a null counted
 * as a value shows as an exact mismatch. Adapters with rollup tiers also pass `rollups` hooks: then
 * every aggregated query over a larger fixture must answer from the tiers exactly as from raw rows.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { SERIES_METRIC_NAMES } from '@agentmon/schema';
import { AnswerTooLargeError, type SeriesPoint, type SeriesQuery, type SeriesRow, type SeriesStore } from '../../../src/storage/ports.js';
import { seededRandom as prng } from '../../../src/testing/random.js';

/** What the rollup tests need of an adapter with rollup tiers. */
export interface SeriesRollupHooks {
  /** A store on the same data that answers from raw rows only. */
  raw: SeriesStore;
  /** What the store's last query read (the adapters' `lastPlan()`). */
  lastPlan: () => { source: 'raw' | 'rollup'; tier?: string; rawHead?: boolean; rawTail?: boolean } | null;
  /** Puts the store back to before its tiers: drops the tier tables and forgets their migration. */
  dropTiers: () => Promise<void>;
}

/** What a test needs: a fresh, unmigrated store and a way to remove it. */
export interface OpenedSeriesStore {
  store: SeriesStore;
  cleanup: () => Promise<void>;
  /** Present for adapters with rollup tiers. */
  rollups?: SeriesRollupHooks;
}

const MINUTE = 60_000;
/** 2024-01-01T12:00:00Z, a multiple of 5 minutes since the epoch. */
const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const CPU = 'cpu_usage_percent';
const MEM = 'memory_usage_percent';
const Q = 'custom.q';
const Z = 'custom.z';

function point(agentId: string, ts: number, values: SeriesPoint['values'], custom: Record<string, number> = {}): SeriesPoint {
  return {
    agent_id: agentId,
    ts,
    environment: 'test',
    deployment_type: 'local',
    values,
    custom,
    extra: { custom_metrics: { ...custom, label: 'not a number' }, health_checks: { db: true }, alerts: [] },
  };
}

/**
 * a1 and a2 inside [T0, T0+20m]; a3 only just outside it. memory is absent or null in some
 * payloads, custom.q in some, custom.z in one.
 */
const FIXTURE: readonly SeriesPoint[] = [
  point('a1', T0 + 3 * MINUTE, { [CPU]: 10, [MEM]: 50 }, { q: 4 }),
  point('a1', T0 + 4 * MINUTE, { [CPU]: 5, [MEM]: null }, { q: 2, z: 5 }),
  point('a1', T0 + 7 * MINUTE, { [CPU]: 40, [MEM]: 70 }),
  point('a1', T0 + 17 * MINUTE, { [CPU]: 80 }, { q: 7 }),
  point('a2', T0 + 1 * MINUTE, { [CPU]: 30 }, { q: 10 }),
  point('a2', T0 + 6 * MINUTE, { [CPU]: null, [MEM]: 90 }),
  point('a3', T0 - MINUTE, { [CPU]: 999, [MEM]: 999 }, { q: 999 }),
  point('a3', T0 + 21 * MINUTE, { [CPU]: 999, [MEM]: 999 }, { q: 999 }),
];

function query(overrides: Partial<SeriesQuery>): SeriesQuery {
  return {
    agentIds: null,
    startMs: T0,
    endMs: T0 + 20 * MINUTE,
    metrics: [CPU, MEM, Q],
    aggregation: null,
    intervalMs: null,
    groupBy: 'agent',
    ...overrides,
  };
}

function row(agentId: string | null, minute: number, values: Record<string, number | null>): SeriesRow {
  return { agent_id: agentId, ts: T0 + minute * MINUTE, values };
}

// ------------------------------------------------------------------ rollup fixture

const HOUR = 60 * MINUTE;
const W = 'custom.w';
const AGGREGATIONS = ['avg', 'sum', 'min', 'max', 'count', 'last'] as const;

/**
 * Three agents from T0-10m to T0+3h10m, a payload every 20 s (r1 on whole minutes, so on every tier
 * edge; r2 7 ms later; r3 13 s later), with nulls, a stretch where r3's cpu is null throughout,
 * payloads sharing their ts with another and custom metrics that come and go. `exact`: values are
 * multiples of 1/4 under 2^20, so every sum is exact in any order and both paths must agree to the
 * bit; otherwise values are arbitrary doubles.
 */
function rollupFixture(exact: boolean, seed = 1): SeriesPoint[] {
  const r = prng(seed);
  // Inexact values are positive: with no cancellation, sums added in another order stay within a
  // few ulps relative.
  const value = (): number => (exact ? Math.round((r() - 0.3) * 400) / 4 : r() * 1e3 * Math.exp(r() * 5));
  const points: SeriesPoint[] = [];
  const offsets: Record<string, number> = { r1: 0, r2: 7, r3: 13_000 };
  for (const [agent, offset] of Object.entries(offsets)) {
    for (let k = 0; k < 600; k++) {
      const ts = T0 - 10 * MINUTE + k * 20_000 + offset;
      const cpuGone = agent === 'r3' && ts >= T0 + HOUR && ts < T0 + 2 * HOUR + 5 * MINUTE;
      const values: SeriesPoint['values'] = {
        [CPU]: cpuGone || r() < 0.1 ? null : value(),
        [MEM]: k % 3 === 0 ? null : value(),
        ...(r() < 0.5 ? { gpu_usage_percent: value() } : {}),
      };
      const custom: Record<string, number> = {};
      if (r() < 0.8) custom.q = value();
      if (agent === 'r2' && k % 7 === 0) custom.z = value();
      if (ts < T0 + 30 * MINUTE || ts > T0 + 2 * HOUR) custom.w = value();
      points.push(point(agent, ts, values, custom));
      // Now and then a second payload at the same ts, also as the last one of a 5-min and of a
      // 1-h bucket (k = 29 mod 180), where it decides `last`: the tie goes to the larger value.
      if (k % 50 === 7 || k % 180 === 29) points.push(point(agent, ts, { [CPU]: value(), [MEM]: value() }, { q: value() }));
    }
  }
  return points;
}

/**
 * Inserts `points` the ways ingest sees them: time-major batches with one payload per agent (the
 * one-row-per-bucket path), agent-major batches of many payloads per bucket (the grouping path),
 * and a late batch of older points after newer ones.
 */
async function insertMixed(store: SeriesStore, points: readonly SeriesPoint[]): Promise<void> {
  const byTime = [...points].sort((a, b) => a.ts - b.ts || a.agent_id.localeCompare(b.agent_id));
  const third = Math.floor(byTime.length / 3);
  const early = byTime.slice(0, third);
  const middle = byTime.slice(third, 2 * third);
  const late = byTime.slice(2 * third);
  // Late third first, agent-major in batches of 150.
  const lateByAgent = [...late].sort((a, b) => a.agent_id.localeCompare(b.agent_id) || a.ts - b.ts);
  for (let i = 0; i < lateByAgent.length; i += 150) await store.insert(lateByAgent.slice(i, i + 150));
  // Then the early third in one batch, older than everything stored.
  await store.insert(early);
  // Then the middle third, a batch per time step of the fleet.
  let batch: SeriesPoint[] = [];
  const seen = new Set<string>();
  for (const p of middle) {
    if (seen.has(p.agent_id)) {
      await store.insert(batch);
      batch = [];
      seen.clear();
    }
    batch.push(p);
    seen.add(p.agent_id);
  }
  if (batch.length > 0) await store.insert(batch);
}

/** The ranges the comparison runs over: aligned to hours, one ms past, ragged, wider than the data, short. */
const RANGES: readonly { name: string; startMs: number; endMs: number }[] = [
  { name: 'aligned', startMs: T0, endMs: T0 + 3 * HOUR - 1 },
  { name: 'aligned+1ms', startMs: T0, endMs: T0 + 3 * HOUR },
  { name: 'ragged', startMs: T0 + 37_123, endMs: T0 + 2 * HOUR + 51 * MINUTE + 7_001 },
  { name: 'all', startMs: T0 - 2 * HOUR, endMs: T0 + 5 * HOUR },
  // One edge ragged, the other past the data: the tiers may answer the edge bucket whose rows are all inside.
  { name: 'ragged start, past the end', startMs: T0 + 37_123, endMs: T0 + 5 * HOUR },
  { name: 'before the start, ragged end', startMs: T0 - 2 * HOUR, endMs: T0 + 2 * HOUR + 51 * MINUTE + 7_001 },
  { name: 'short', startMs: T0 + MINUTE + 1, endMs: T0 + 4 * MINUTE },
];
const INTERVALS: readonly (number | null)[] = [null, MINUTE, 5 * MINUTE, 15 * MINUTE, HOUR, 2 * HOUR, 7 * MINUTE, 90_000];

/** Every aggregated query of the comparison, named for failure messages. */
function rollupCases(): { name: string; q: SeriesQuery }[] {
  const cases: { name: string; q: SeriesQuery }[] = [];
  for (const range of RANGES) {
    for (const intervalMs of INTERVALS) {
      for (const aggregation of AGGREGATIONS) {
        for (const groupBy of ['agent', 'none'] as const) {
          cases.push({
            name: `${aggregation} every ${intervalMs ?? 'range'} ms over ${range.name}, group by ${groupBy}`,
            q: { agentIds: null, startMs: range.startMs, endMs: range.endMs, metrics: [CPU, MEM, 'gpu_usage_percent', Q, Z, W], aggregation, intervalMs, groupBy },
          });
        }
        cases.push({
          name: `${aggregation} every ${intervalMs ?? 'range'} ms over ${range.name}, custom only, agents r1 r3`,
          q: { agentIds: ['r1', 'r3'], startMs: range.startMs, endMs: range.endMs, metrics: [Z, W, Q], aggregation, intervalMs, groupBy: 'none' },
        });
      }
    }
  }
  return cases;
}

/** Asserts that every case answers the same from the tiers as from raw rows; returns how many read a tier. */
async function assertSameAsRaw(
  store: SeriesStore,
  hooks: SeriesRollupHooks,
  cases: readonly { name: string; q: SeriesQuery }[],
  tolerance = 0,
): Promise<number> {
  let tiered = 0;
  for (const { name, q } of cases) {
    const got = await store.query(q);
    if (hooks.lastPlan()?.source === 'rollup') tiered++;
    const want = await hooks.raw.query(q);
    if (tolerance === 0) {
      assert.deepEqual(got, want, name);
      continue;
    }
    assert.equal(got.length, want.length, `${name}: rows`);
    got.forEach((g, i) => {
      const w = want[i] as SeriesRow;
      assert.deepEqual([g.agent_id, g.ts, Object.keys(g.values)], [w.agent_id, w.ts, Object.keys(w.values)], `${name}: row ${i}`);
      for (const [metric, value] of Object.entries(g.values)) {
        const expected = w.values[metric] ?? null;
        // Only sums (and avg) may differ, in their last bits, for adding in another order.
        if (value === null || expected === null || !(q.aggregation === 'sum' || q.aggregation === 'avg')) {
          assert.equal(value, expected, `${name}: row ${i} ${metric}`);
        } else {
          assert.ok(Math.abs(value - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${name}: row ${i} ${metric}: ${value} vs ${expected}`);
        }
      }
    });
  }
  return tiered;
}

/** What an adapter can do beyond the interface, for the parts of the suite that depend on it. */
export interface SeriesContractOptions {
  /**
   * False for adapters that keep no rollup tiers (InfluxDB aggregates in the database): the tier
   * tests (which tier a plan reads, backfilling tiers, tiers following retention) are about tables
   * such an adapter does not have, so they are not registered at all rather than skipped.
   */
  rollupTiers?: boolean;
  /**
   * A store whose answers are the reference (the series engine, raw rows). An adapter without tiers is then
   * compared with it on the larger fixture, every aggregation, interval, range and grouping.
   */
  reference?: () => Promise<OpenedSeriesStore>;
}

/** Registers the SeriesStore contract for one adapter; `open` gives a fresh, unmigrated store. */
export function seriesContract(name: string, open: () => Promise<OpenedSeriesStore>, options: SeriesContractOptions = {}): void {
  describe(`SeriesStore contract: ${name}`, () => {
    describe('lifecycle', () => {
      let opened: OpenedSeriesStore;
      beforeEach(async () => {
        opened = await open();
      });
      afterEach(async () => {
        await opened.cleanup();
      });

      it('migrates once, then applies nothing', async () => {
        const first = await opened.store.migrate();
        assert.ok(first.length > 0, 'a fresh store applies its migrations');
        assert.deepEqual(first, [...first].sort((a, b) => a - b), 'versions are applied in order');
        assert.deepEqual(await opened.store.migrate(), []);
      });

      it('answers ping', async () => {
        await opened.store.migrate();
        await opened.store.ping();
      });

      it('counts payloads in stats', async () => {
        await opened.store.migrate();
        const empty = await opened.store.stats();
        assert.equal(empty.points, 0);
        await opened.store.insert(FIXTURE);
        const full = await opened.store.stats();
        assert.equal(full.points, FIXTURE.length);
        assert.ok(full.bytes === null || full.bytes > 0, `bytes: ${full.bytes}`);
      });
    });

    describe('query', () => {
      let opened: OpenedSeriesStore;
      let store: SeriesStore;
      before(async () => {
        opened = await open();
        store = opened.store;
        await store.migrate();
        // Two batches, so nothing depends on all points arriving together.
        await store.insert(FIXTURE.slice(0, 3));
        await store.insert(FIXTURE.slice(3));
      });
      after(async () => {
        await opened.cleanup();
      });

      it('returns raw points per agent, with null for what a payload lacks', async () => {
        const rows = await store.query(query({ metrics: [CPU, Q, Z] }));
        assert.deepEqual(rows, [
          row('a1', 3, { [CPU]: 10, [Q]: 4, [Z]: null }),
          row('a1', 4, { [CPU]: 5, [Q]: 2, [Z]: 5 }),
          row('a1', 7, { [CPU]: 40, [Q]: null, [Z]: null }),
          row('a1', 17, { [CPU]: 80, [Q]: 7, [Z]: null }),
          row('a2', 1, { [CPU]: 30, [Q]: 10, [Z]: null }),
          row('a2', 6, { [CPU]: null, [Q]: null, [Z]: null }),
        ]);
      });

      it('orders raw points by time and keeps their agent with groupBy none', async () => {
        const rows = await store.query(query({ metrics: [MEM], groupBy: 'none' }));
        assert.deepEqual(rows, [
          row('a2', 1, { [MEM]: null }),
          row('a1', 3, { [MEM]: 50 }),
          row('a1', 4, { [MEM]: null }),
          row('a2', 6, { [MEM]: 90 }),
          row('a1', 7, { [MEM]: 70 }),
          row('a1', 17, { [MEM]: null }),
        ]);
      });

      it('refuses a raw answer larger than maxRows, and answers one that fits', async () => {
        // Six payloads in range (a1: 4, a2: 2), grouped by agent and merged.
        for (const groupBy of ['agent', 'none'] as const) {
          assert.equal((await store.query(query({ metrics: [CPU], groupBy, maxRows: 6 }))).length, 6);
          await assert.rejects(store.query(query({ metrics: [CPU], groupBy, maxRows: 5 })), (err: unknown) => err instanceof AnswerTooLargeError && err.maxRows === 5);
        }
        assert.equal((await store.query(query({ metrics: [CPU], agentIds: ['a2'], maxRows: 2 }))).length, 2, 'counts only the agents asked');
      });

      it('returns one raw row per payload for custom metrics alone', async () => {
        const rows = await store.query(query({ metrics: [Z], agentIds: ['a1'] }));
        assert.deepEqual(rows, [
          row('a1', 3, { [Z]: null }),
          row('a1', 4, { [Z]: 5 }),
          row('a1', 7, { [Z]: null }),
          row('a1', 17, { [Z]: null }),
        ]);
      });

      it('includes both bounds', async () => {
        const rows = await store.query(query({ startMs: T0 + 3 * MINUTE, endMs: T0 + 7 * MINUTE, metrics: [CPU] }));
        assert.deepEqual(rows, [
          row('a1', 3, { [CPU]: 10 }),
          row('a1', 4, { [CPU]: 5 }),
          row('a1', 7, { [CPU]: 40 }),
          row('a2', 6, { [CPU]: null }),
        ]);
        const one = await store.query(query({ startMs: T0 + 7 * MINUTE, endMs: T0 + 7 * MINUTE, metrics: [CPU] }));
        assert.deepEqual(one, [row('a1', 7, { [CPU]: 40 })]);
      });

      it('filters by agent ids', async () => {
        const rows = await store.query(query({ agentIds: ['a2', 'unknown'], metrics: [CPU, Q] }));
        assert.deepEqual(rows, [row('a2', 1, { [CPU]: 30, [Q]: 10 }), row('a2', 6, { [CPU]: null, [Q]: null })]);
        assert.deepEqual(await store.query(query({ agentIds: [], metrics: [CPU] })), []);
        const aggregated = await store.query(query({ agentIds: ['a2'], aggregation: 'sum', intervalMs: 5 * MINUTE }));
        assert.deepEqual(aggregated, [row('a2', 0, { [CPU]: 30, [MEM]: null, [Q]: 10 }), row('a2', 5, { [CPU]: null, [MEM]: 90, [Q]: null })]);
      });

      it('averages per agent in epoch-aligned buckets, ignoring nulls and leaving empty buckets out', async () => {
        const rows = await store.query(query({ aggregation: 'avg', intervalMs: 5 * MINUTE }));
        assert.deepEqual(rows, [
          row('a1', 0, { [CPU]: 7.5, [MEM]: 50, [Q]: 3 }),
          row('a1', 5, { [CPU]: 40, [MEM]: 70, [Q]: null }),
          row('a1', 15, { [CPU]: 80, [MEM]: null, [Q]: 7 }),
          row('a2', 0, { [CPU]: 30, [MEM]: null, [Q]: 10 }),
          row('a2', 5, { [CPU]: null, [MEM]: 90, [Q]: null }),
        ]);
      });

      it('treats an interval without aggregation as avg', async () => {
        const avg = await store.query(query({ aggregation: 'avg', intervalMs: 5 * MINUTE }));
        assert.deepEqual(await store.query(query({ aggregation: null, intervalMs: 5 * MINUTE })), avg);
      });

      it('sums', async () => {
        const rows = await store.query(query({ aggregation: 'sum', intervalMs: 5 * MINUTE }));
        assert.deepEqual(rows, [
          row('a1', 0, { [CPU]: 15, [MEM]: 50, [Q]: 6 }),
          row('a1', 5, { [CPU]: 40, [MEM]: 70, [Q]: null }),
          row('a1', 15, { [CPU]: 80, [MEM]: null, [Q]: 7 }),
          row('a2', 0, { [CPU]: 30, [MEM]: null, [Q]: 10 }),
          row('a2', 5, { [CPU]: null, [MEM]: 90, [Q]: null }),
        ]);
      });

      it('takes the minimum', async () => {
        const rows = await store.query(query({ aggregation: 'min', intervalMs: 5 * MINUTE }));
        assert.deepEqual(rows, [
          row('a1', 0, { [CPU]: 5, [MEM]: 50, [Q]: 2 }),
          row('a1', 5, { [CPU]: 40, [MEM]: 70, [Q]: null }),
          row('a1', 15, { [CPU]: 80, [MEM]: null, [Q]: 7 }),
          row('a2', 0, { [CPU]: 30, [MEM]: null, [Q]: 10 }),
          row('a2', 5, { [CPU]: null, [MEM]: 90, [Q]: null }),
        ]);
      });

      it('takes the maximum', async () => {
        const rows = await store.query(query({ aggregation: 'max', intervalMs: 5 * MINUTE }));
        assert.deepEqual(rows, [
          row('a1', 0, { [CPU]: 10, [MEM]: 50, [Q]: 4 }),
          row('a1', 5, { [CPU]: 40, [MEM]: 70, [Q]: null }),
          row('a1', 15, { [CPU]: 80, [MEM]: null, [Q]: 7 }),
          row('a2', 0, { [CPU]: 30, [MEM]: null, [Q]: 10 }),
          row('a2', 5, { [CPU]: null, [MEM]: 90, [Q]: null }),
        ]);
      });

      it('counts non-null values, 0 when a bucket has none', async () => {
        const rows = await store.query(query({ aggregation: 'count', intervalMs: 5 * MINUTE }));
        assert.deepEqual(rows, [
          row('a1', 0, { [CPU]: 2, [MEM]: 1, [Q]: 2 }),
          row('a1', 5, { [CPU]: 1, [MEM]: 1, [Q]: 0 }),
          row('a1', 15, { [CPU]: 1, [MEM]: 0, [Q]: 1 }),
          row('a2', 0, { [CPU]: 1, [MEM]: 0, [Q]: 1 }),
          row('a2', 5, { [CPU]: 0, [MEM]: 1, [Q]: 0 }),
        ]);
      });

      it('takes the last non-null value', async () => {
        const rows = await store.query(query({ aggregation: 'last', intervalMs: 5 * MINUTE }));
        assert.deepEqual(rows, [
          // cpu: 5 at :04 is later than 10 at :03; memory: null at :04 is skipped for 50 at :03.
          row('a1', 0, { [CPU]: 5, [MEM]: 50, [Q]: 2 }),
          row('a1', 5, { [CPU]: 40, [MEM]: 70, [Q]: null }),
          row('a1', 15, { [CPU]: 80, [MEM]: null, [Q]: 7 }),
          row('a2', 0, { [CPU]: 30, [MEM]: null, [Q]: 10 }),
          row('a2', 5, { [CPU]: null, [MEM]: 90, [Q]: null }),
        ]);
      });

      it('merges agents with groupBy none', async () => {
        const avg = await store.query(query({ aggregation: 'avg', intervalMs: 5 * MINUTE, groupBy: 'none' }));
        assert.deepEqual(avg, [
          row(null, 0, { [CPU]: 15, [MEM]: 50, [Q]: 16 / 3 }),
          row(null, 5, { [CPU]: 40, [MEM]: 80, [Q]: null }),
          row(null, 15, { [CPU]: 80, [MEM]: null, [Q]: 7 }),
        ]);
        const count = await store.query(query({ aggregation: 'count', intervalMs: 5 * MINUTE, groupBy: 'none' }));
        assert.deepEqual(count, [
          row(null, 0, { [CPU]: 3, [MEM]: 1, [Q]: 3 }),
          row(null, 5, { [CPU]: 1, [MEM]: 2, [Q]: 0 }),
          row(null, 15, { [CPU]: 1, [MEM]: 0, [Q]: 1 }),
        ]);
        const last = await store.query(query({ aggregation: 'last', intervalMs: 5 * MINUTE, groupBy: 'none' }));
        assert.deepEqual(last, [
          // memory at :05: a1's 70 at :07 is later than a2's 90 at :06.
          row(null, 0, { [CPU]: 5, [MEM]: 50, [Q]: 2 }),
          row(null, 5, { [CPU]: 40, [MEM]: 70, [Q]: null }),
          row(null, 15, { [CPU]: 80, [MEM]: null, [Q]: 7 }),
        ]);
      });

      it('aligns buckets to the epoch, not to the start of the range', async () => {
        // T0 is 300000 ms past a multiple of 7 minutes, so buckets start at T0-5m, T0+2m, T0+9m, T0+16m.
        const rows = await store.query(query({ metrics: [CPU], aggregation: 'sum', intervalMs: 7 * MINUTE }));
        assert.deepEqual(rows, [
          row('a1', 2, { [CPU]: 55 }),
          row('a1', 16, { [CPU]: 80 }),
          row('a2', -5, { [CPU]: 30 }),
          row('a2', 2, { [CPU]: null }),
        ]);
      });

      it('makes one bucket stamped startMs without an interval', async () => {
        const rows = await store.query(query({ aggregation: 'avg' }));
        assert.deepEqual(rows, [
          row('a1', 0, { [CPU]: 33.75, [MEM]: 60, [Q]: 13 / 3 }),
          row('a2', 0, { [CPU]: 30, [MEM]: 90, [Q]: 10 }),
        ]);
        const shifted = await store.query(query({ aggregation: 'max', startMs: T0 + 2 * MINUTE, metrics: [CPU], groupBy: 'none' }));
        assert.deepEqual(shifted, [row(null, 2, { [CPU]: 80 })]);
        const count = await store.query(query({ aggregation: 'count', groupBy: 'none' }));
        assert.deepEqual(count, [row(null, 0, { [CPU]: 5, [MEM]: 3, [Q]: 4 })]);
      });

      it('returns no row for a range without points', async () => {
        const range = { startMs: T0 + 8 * MINUTE, endMs: T0 + 14 * MINUTE };
        assert.deepEqual(await store.query(query({ ...range })), []);
        assert.deepEqual(await store.query(query({ ...range, aggregation: 'count' })), []);
        assert.deepEqual(await store.query(query({ ...range, aggregation: 'count', groupBy: 'none' })), []);
        assert.deepEqual(await store.query(query({ ...range, aggregation: 'sum', intervalMs: MINUTE, groupBy: 'none' })), []);
      });

      it('aggregates custom metrics alone, with buckets that hold custom points only', async () => {
        const avg = await store.query(query({ metrics: [Q], aggregation: 'avg', intervalMs: 5 * MINUTE }));
        assert.deepEqual(avg, [row('a1', 0, { [Q]: 3 }), row('a1', 15, { [Q]: 7 }), row('a2', 0, { [Q]: 10 })]);
        const count = await store.query(query({ metrics: [Z, Q], aggregation: 'count', intervalMs: 5 * MINUTE }));
        assert.deepEqual(count, [
          row('a1', 0, { [Z]: 1, [Q]: 2 }),
          row('a1', 15, { [Z]: 0, [Q]: 1 }),
          row('a2', 0, { [Z]: 0, [Q]: 1 }),
        ]);
        const sum = await store.query(query({ metrics: [Q], aggregation: 'sum', intervalMs: 5 * MINUTE, groupBy: 'none' }));
        assert.deepEqual(sum, [row(null, 0, { [Q]: 16 }), row(null, 15, { [Q]: 7 })]);
        const last = await store.query(query({ metrics: [Q, Z], aggregation: 'last', intervalMs: 5 * MINUTE }));
        assert.deepEqual(last, [
          row('a1', 0, { [Q]: 2, [Z]: 5 }),
          row('a1', 15, { [Q]: 7, [Z]: null }),
          row('a2', 0, { [Q]: 10, [Z]: null }),
        ]);
        const whole = await store.query(query({ metrics: [Z], aggregation: 'max', groupBy: 'none' }));
        assert.deepEqual(whole, [row(null, 0, { [Z]: 5 })]);
      });

      it('names the agents with payloads in a range, bounds included', async () => {
        assert.deepEqual(await store.agentsWithPoints(null, T0, T0 + 20 * MINUTE), ['a1', 'a2']);
        assert.deepEqual(await store.agentsWithPoints(['a3', 'a2', 'unknown'], T0 - MINUTE, T0), ['a3']);
        assert.deepEqual(await store.agentsWithPoints(null, T0 + 17 * MINUTE, T0 + 17 * MINUTE), ['a1']);
        assert.deepEqual(await store.agentsWithPoints(null, T0 + 8 * MINUTE, T0 + 14 * MINUTE), []);
        assert.deepEqual(await store.agentsWithPoints([], T0, T0 + 20 * MINUTE), []);
      });

      it('rejects an unknown metric name', async () => {
        await assert.rejects(store.query(query({ metrics: ['no_such_metric'] })));
      });
    });

    describe('writes', () => {
      let opened: OpenedSeriesStore;
      let store: SeriesStore;
      beforeEach(async () => {
        opened = await open();
        store = opened.store;
        await store.migrate();
      });
      afterEach(async () => {
        await opened.cleanup();
      });

      const everything = (): Promise<SeriesRow[]> =>
        store.query(query({ startMs: 0, endMs: T0 + 1000 * MINUTE, metrics: [CPU, Q] }));

      it('lists the agents that have points, in byte order', async () => {
        assert.deepEqual(await store.agentIds(), []);
        await store.insert([point('b', T0, { [CPU]: 1 }), point('B', T0, { [CPU]: 1 }), point('a-1', T0, {}), point('b', T0 + 1, {})]);
        assert.deepEqual(await store.agentIds(), ['B', 'a-1', 'b']);
      });

      it('treats an empty batch as a no-op', async () => {
        await store.insert([]);
        assert.equal((await store.stats()).points, 0);
      });

      it('keeps every built-in column and exact millisecond timestamps', async () => {
        const values: Record<string, number> = {};
        SERIES_METRIC_NAMES.forEach((metric, i) => {
          values[metric] = (i + 1) * 1_000_000_007.25;
        });
        const ts = T0 + 123;
        await store.insert([point('r', ts, values)]);
        const rows = await store.query(query({ startMs: ts, endMs: ts, metrics: SERIES_METRIC_NAMES }));
        assert.deepEqual(rows, [{ agent_id: 'r', ts, values }]);
      });

      it('buckets exactly at bucket edges and with wide intervals', async () => {
        const day = Date.UTC(2024, 0, 1);
        await store.insert([
          point('e', T0 - 1, { [CPU]: 1 }),
          point('e', T0, { [CPU]: 2 }),
          point('e', T0 + MINUTE - 1, { [CPU]: 3 }),
          point('e', T0 + MINUTE, { [CPU]: 4 }),
          point('e', Date.UTC(2024, 0, 1, 23, 59, 59, 999), { [CPU]: 8 }),
        ]);
        const minutes = await store.query(query({ startMs: T0 - MINUTE, endMs: T0 + MINUTE, metrics: [CPU], aggregation: 'sum', intervalMs: MINUTE }));
        assert.deepEqual(minutes, [row('e', -1, { [CPU]: 1 }), row('e', 0, { [CPU]: 5 }), row('e', 1, { [CPU]: 4 })]);
        const days = await store.query(query({ startMs: day, endMs: day + 86_400_000, metrics: [CPU], aggregation: 'count', intervalMs: 86_400_000 }));
        assert.deepEqual(days, [{ agent_id: 'e', ts: day, values: { [CPU]: 5 } }]);
        const odd = await store.query(query({ startMs: T0 - 1, endMs: T0 + 1, metrics: [CPU], aggregation: 'sum', intervalMs: 3 }));
        // T0 is a multiple of 3 ms (T0 = 3 * 568036800000), so T0-1 falls in the bucket starting at T0-3.
        assert.deepEqual(odd, [{ agent_id: 'e', ts: T0 - 3, values: { [CPU]: 1 } }, { agent_id: 'e', ts: T0, values: { [CPU]: 2 } }]);
      });

      it('stores a large batch', async () => {
        const batch = Array.from({ length: 1000 }, (_, i) =>
          point(`big-${i % 10}`, T0 + i * 1000, Object.fromEntries(SERIES_METRIC_NAMES.map((m, j) => [m, i + j])), { q: i }),
        );
        await store.insert(batch);
        assert.equal((await store.stats()).points, 1000);
        const sum = await store.query(query({ startMs: T0, endMs: T0 + 1000 * 1000, metrics: [CPU, Q], aggregation: 'sum', groupBy: 'none' }));
        assert.deepEqual(sum, [row(null, 0, { [CPU]: 499_500, [Q]: 499_500 })]);
      });

      it('stores nothing when a payload fails in the database', async () => {
        const bad = point(null as unknown as string, T0 + 2 * MINUTE, { [CPU]: 1 });
        await assert.rejects(store.insert([...FIXTURE.slice(0, 2), bad]));
        assert.equal((await store.stats()).points, 0);
        assert.deepEqual(await everything(), []);
        assert.deepEqual(await store.query(query({ metrics: [Q], aggregation: 'count' })), []);
      });

      it('stores nothing when a custom point fails after the payloads went in', async () => {
        const bad = point('a9', T0 + 2 * MINUTE, { [CPU]: 1 }, { q: 'oops' as unknown as number });
        await assert.rejects(store.insert([...FIXTURE.slice(0, 2), bad, ...FIXTURE.slice(2)]));
        assert.equal((await store.stats()).points, 0);
        assert.deepEqual(await store.query(query({ metrics: [Q], aggregation: 'count' })), []);
      });

      it('rejects non-finite values and stores nothing', async () => {
        await assert.rejects(store.insert([FIXTURE[0] as SeriesPoint, point('a9', T0, { [CPU]: Number.NaN })]));
        await assert.rejects(store.insert([FIXTURE[0] as SeriesPoint, point('a9', T0, { [CPU]: 1 }, { q: Number.POSITIVE_INFINITY })]));
        assert.equal((await store.stats()).points, 0);
        // The store is still usable after failed batches.
        await store.insert(FIXTURE);
        assert.equal((await store.stats()).points, FIXTURE.length);
      });

      it('deletes every point of an agent', async () => {
        await store.insert(FIXTURE);
        assert.deepEqual(await store.agentIds(), ['a1', 'a2', 'a3']);
        assert.equal(await store.deleteAgent('a1'), 4);
        assert.equal(await store.deleteAgent('a1'), 0);
        assert.deepEqual(await store.agentIds(), ['a2', 'a3']);
        assert.equal((await store.stats()).points, FIXTURE.length - 4);
        assert.deepEqual(await store.query(query({ agentIds: ['a1'], metrics: [CPU] })), []);
        const custom = await store.query(query({ startMs: 0, endMs: T0 + 60 * MINUTE, metrics: [Q], aggregation: 'count' }));
        assert.deepEqual(custom, [{ agent_id: 'a2', ts: 0, values: { [Q]: 1 } }, { agent_id: 'a3', ts: 0, values: { [Q]: 2 } }]);
      });

      it('deletes old points in batches of at most limit', async () => {
        await store.insert(Array.from({ length: 10 }, (_, i) => point('r', T0 + i * MINUTE, { [CPU]: i }, { x: i })));
        await store.insert([point('o', T0, { [CPU]: 1 }, { x: 1 }), point('o', T0 + MINUTE, { [CPU]: 2 }, { x: 2 })]);
        const cutoff = T0 + 7 * MINUTE;
        const remaining = async (metric: string): Promise<number[]> =>
          (await store.query(query({ agentIds: ['r'], startMs: T0, endMs: T0 + 60 * MINUTE, metrics: [metric] }))).map((r) => r.values[metric] ?? -1);
        const customCount = async (): Promise<number | null | undefined> =>
          (await store.query(query({ agentIds: ['r'], startMs: T0, endMs: T0 + 60 * MINUTE, metrics: ['custom.x'], aggregation: 'count' })))[0]?.values['custom.x'];

        assert.equal(await store.deleteOlderThan('r', cutoff, 3), 3);
        assert.deepEqual(await remaining(CPU), [3, 4, 5, 6, 7, 8, 9]);
        assert.equal(await customCount(), 7);
        assert.equal(await store.deleteOlderThan('r', cutoff, 3), 3);
        assert.equal(await store.deleteOlderThan('r', cutoff, 3), 1);
        assert.equal(await store.deleteOlderThan('r', cutoff, 3), 0);
        assert.deepEqual(await remaining(CPU), [7, 8, 9]);
        assert.deepEqual(await remaining('custom.x'), [7, 8, 9]);
        assert.equal(await customCount(), 3);
        assert.equal((await store.stats()).points, 5, 'the other agent keeps its points');
      });
    });

    const reference = options.reference;
    if (options.rollupTiers === false && reference !== undefined) {
      describe('same answers as the reference store', () => {
        let opened: OpenedSeriesStore;
        let ref: OpenedSeriesStore;
        before(async () => {
          [opened, ref] = await Promise.all([open(), reference()]);
          await opened.store.migrate();
          await ref.store.migrate();
          // Payloads sharing an agent and a ms are dropped here: which one `last` takes then is
          // the adapter's own (SQL: the larger value; InfluxDB: the later written).
          const seen = new Set<string>();
          const points = rollupFixture(true).filter((p) => {
            const key = `${p.agent_id}@${p.ts}`;
            if (seen.has(key)) return false;
            seen.add(key);
            return true;
          });
          await insertMixed(opened.store, points);
          await insertMixed(ref.store, points);
        });
        after(async () => {
          await Promise.all([opened.cleanup(), ref.cleanup()]);
        });

        it('answers every aggregation, interval, range and grouping exactly as the reference', async () => {
          for (const { name, q } of rollupCases()) assert.deepEqual(await opened.store.query(q), await ref.store.query(q), name);
        });

        it('returns the same raw points', async () => {
          for (const range of RANGES) {
            for (const groupBy of ['agent', 'none'] as const) {
              const q: SeriesQuery = { agentIds: null, startMs: range.startMs, endMs: range.endMs, metrics: [CPU, MEM, Q, Z, W], aggregation: null, intervalMs: null, groupBy };
              assert.deepEqual(await opened.store.query(q), await ref.store.query(q), `${range.name}, group by ${groupBy}`);
            }
          }
        });

        it('deletes in batches to the same points', async () => {
          const cutoff = T0 + 77 * MINUTE + 30_000;
          for (const store of [opened.store, ref.store]) {
            let total = 0;
            for (let deleted = -1; deleted !== 0; total += deleted) {
              deleted = await store.deleteOlderThan('r1', cutoff, 37);
              assert.ok(deleted <= 37);
            }
          }
          const q: SeriesQuery = { agentIds: null, startMs: 0, endMs: T0 + 10 * HOUR, metrics: [CPU, Q], aggregation: 'count', intervalMs: HOUR, groupBy: 'agent' };
          assert.deepEqual(await opened.store.query(q), await ref.store.query(q));
          assert.deepEqual(await opened.store.stats().then((s) => s.points), await ref.store.stats().then((s) => s.points));
        });
      });
    }

    if (options.rollupTiers !== false) describe('rollup tiers', () => {
      let opened: OpenedSeriesStore;
      let store: SeriesStore;
      let hooks: SeriesRollupHooks | undefined;
      const points = rollupFixture(true);
      beforeEach(async () => {
        opened = await open();
        store = opened.store;
        hooks = opened.rollups;
        await store.migrate();
      });
      afterEach(async () => {
        await opened.cleanup();
      });
      const cases = rollupCases();

      it('answers every aggregation, interval, range and grouping as the raw rows do', async (t) => {
        if (hooks === undefined) return t.skip('no rollup tiers');
        await insertMixed(store, points);
        const tiered = await assertSameAsRaw(store, hooks, cases);
        assert.ok(tiered >= cases.length / 3, `only ${tiered} of ${cases.length} queries read a tier`);
      });

      it('reads the coarsest tier that divides the interval, raw rows for ragged edges, raw rows otherwise', async (t) => {
        if (hooks === undefined) return t.skip('no rollup tiers');
        await insertMixed(store, points);
        const plan = async (q: Partial<SeriesQuery>): Promise<ReturnType<SeriesRollupHooks['lastPlan']>> => {
          await store.query({ agentIds: null, startMs: T0, endMs: T0 + 3 * HOUR - 1, metrics: [CPU, Q], aggregation: 'avg', intervalMs: null, groupBy: 'agent', ...q });
          return hooks?.lastPlan() ?? null;
        };
        const tier = async (q: Partial<SeriesQuery>): Promise<string | undefined> => {
          const p = await plan(q);
          return p?.source === 'rollup' ? p.tier : p?.source;
        };
        assert.deepEqual(await plan({ intervalMs: HOUR }), { source: 'rollup', tier: '1h', from: T0, to: T0 + 3 * HOUR, rawHead: false, rawTail: false });
        assert.equal(await tier({ intervalMs: 2 * HOUR, groupBy: 'none' }), '1h');
        assert.equal(await tier({ intervalMs: null, aggregation: 'last' }), '1h');
        assert.equal(await tier({ intervalMs: 5 * MINUTE }), '5m');
        assert.equal(await tier({ intervalMs: 15 * MINUTE, aggregation: 'count' }), '5m');
        const ragged = await plan({ startMs: T0 + 1, endMs: T0 + 3 * HOUR, intervalMs: 5 * MINUTE });
        assert.deepEqual(ragged, { source: 'rollup', tier: '5m', from: T0 + 5 * MINUTE, to: T0 + 3 * HOUR, rawHead: true, rawTail: true });
        // No tier divides 7 min or 90 s; 1 min is finer than every tier; a range shorter than two
        // tier buckets is mostly edge; raw points are raw.
        assert.equal(await tier({ intervalMs: 7 * MINUTE }), 'raw');
        assert.equal(await tier({ intervalMs: 90_000 }), 'raw');
        assert.equal(await tier({ intervalMs: MINUTE }), 'raw');
        assert.equal(await tier({ startMs: T0 + 1, endMs: T0 + 6 * MINUTE, intervalMs: 5 * MINUTE }), 'raw');
        assert.equal(await tier({ aggregation: null, intervalMs: null }), 'raw');
        assert.equal(await tier({ aggregation: null, intervalMs: 5 * MINUTE }), '5m');
      });

      it('agrees with raw rows on sums of arbitrary doubles to a few ulps', async (t) => {
        if (hooks === undefined) return t.skip('no rollup tiers');
        await insertMixed(store, rollupFixture(false, 2));
        const some = cases.filter((c) => c.q.intervalMs === null || c.q.intervalMs === 5 * MINUTE || c.q.intervalMs === HOUR);
        const tiered = await assertSameAsRaw(store, hooks, some, 1e-12);
        assert.ok(tiered > 0);
      });

      it('backfills the tiers from the raw rows of a store that had none', async (t) => {
        if (hooks === undefined) return t.skip('no rollup tiers');
        await insertMixed(store, points);
        await hooks.dropTiers();
        const applied = await store.migrate();
        assert.deepEqual(applied, [2], 'the tier migration runs again');
        const some = cases.filter((c) => c.q.intervalMs === null || c.q.intervalMs === 15 * MINUTE || c.q.intervalMs === 2 * HOUR);
        const tiered = await assertSameAsRaw(store, hooks, some);
        assert.ok(tiered > 0);
        // And ingest goes on into the backfilled tiers.
        await store.insert([point('r1', T0 + 90 * MINUTE + 1, { [CPU]: 1_000 }, { q: -1_000 })]);
        await assertSameAsRaw(store, hooks, some.slice(0, 40));
      });

      it('follows retention: tiers hold exactly what raw rows are left, whatever the cut', async (t) => {
        if (hooks === undefined) return t.skip('no rollup tiers');
        await insertMixed(store, points);
        const some = cases.filter((c) => c.q.intervalMs === null || c.q.intervalMs === 5 * MINUTE || c.q.intervalMs === HOUR);
        // Cuts through a 5-min and a 1-h bucket, in batches that end mid-bucket and mid-ts.
        const cutoff = T0 + 77 * MINUTE + 30_000;
        let total = 0;
        for (let deleted = -1; deleted !== 0; ) {
          deleted = await store.deleteOlderThan('r1', cutoff, 37);
          assert.ok(deleted <= 37);
          total += deleted;
          if (total === 37 || total === 74 * 3) await assertSameAsRaw(store, hooks, some);
        }
        assert.equal(total, points.filter((p) => p.agent_id === 'r1' && p.ts < cutoff).length);
        await assertSameAsRaw(store, hooks, some);
        // Everything of an agent, through retention and by deletion.
        assert.ok((await store.deleteOlderThan('r2', T0 + 10 * HOUR, 100_000)) > 0);
        assert.ok((await store.deleteAgent('r3')) > 0);
        await assertSameAsRaw(store, hooks, some);
        const left = await store.query({ agentIds: null, startMs: 0, endMs: T0 + 10 * HOUR, metrics: [CPU, Q], aggregation: 'count', intervalMs: HOUR, groupBy: 'agent' });
        assert.deepEqual([...new Set(left.map((r) => r.agent_id))], ['r1']);
        assert.equal(hooks.lastPlan()?.source, 'rollup');
      });

    });
  });
}
