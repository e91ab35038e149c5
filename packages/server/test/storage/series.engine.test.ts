/**
 * The SeriesStore contract against the series engine, twice: with the default head (the fixtures
 * stay in memory and the log) and with a head so small that nearly every batch is flushed into a
 * block and blocks are merged all the time, so every query also runs over blocks, their tiers and
 * merges, and every deletion over blocks. Then the tiers' edges, on blocks whose edges fall
 * everywhere in the ranges asked.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeriesEngine, type SeriesEngineOptions } from '../../src/storage/engine/engine.js';
import { BlockReader } from '../../src/storage/engine/block.js';
import type { SeriesPoint, SeriesQuery } from '../../src/storage/ports.js';
import { seriesContract } from './contract/series-contract.js';

function engineContract(name: string, options: Partial<SeriesEngineOptions>): void {
  seriesContract(name, async () => {
    const dir = join(tmpdir(), `agentmon-engine-${randomBytes(6).toString('hex')}`);
    const store = new SeriesEngine({ dir, background: false, ...options });
    return {
      store,
      rollups: {
        raw: store.rawView(),
        lastPlan: () => store.lastPlan(),
        dropTiers: async () => store.dropTiersForTest(),
      },
      cleanup: async () => {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  });
}

engineContract('engine', {});
// No backpressure here: the contract inserts large batches back to back and does not retry.
engineContract('engine, blocks and merges', { headMaxRows: 40, headLimitRows: 1_000_000, mergeFanIn: 2, quietMergeMs: 0, coldMergeMs: 0 });

describe('series engine: tiers answer the edges of a range past the data', () => {
  const T0 = Date.UTC(2026, 0, 1);
  /** Three agents every 20 s for 200 min (one 13 s out of step), values the test controls. */
  const points: SeriesPoint[] = [];
  for (let k = 0; k < 600; k++) {
    for (const agent of ['r1', 'r2', 'r3']) {
      const ts = T0 - 10 * 60_000 + k * 20_000 + (agent === 'r3' ? 13_000 : 0);
      points.push({ agent_id: agent, ts, environment: 'e', deployment_type: 'd', values: { cpu_usage_percent: (k * 7 + agent.length) % 17 }, custom: { q: k % 5 }, extra: { custom_metrics: {}, health_checks: {}, alerts: [] } });
    }
  }

  // Blocks of about 13 payloads per agent: head flushes only (fleet tiers, none per chunk), then merged
  // three at a time (tiers per chunk), so block edges fall all over the ranges below.
  for (const [name, mergeFanIn] of [['head flushes', 1_000_000], ['merged blocks', 3]] as const) {
    it(`gives the raw answer for ranges starting and ending anywhere (${name})`, async () => {
      const dir = join(tmpdir(), `agentmon-engine-${randomBytes(6).toString('hex')}`);
      const store = new SeriesEngine({ dir, background: false, sealInWorker: false, headMaxRows: 40, headLimitRows: 1_000_000, mergeFanIn, quietMergeMs: 1e12, coldMergeMs: 1e12 });
      try {
        await store.migrate();
        for (let i = 0; i < points.length; i += 60) {
          await store.insert(points.slice(i, i + 60));
          await store.maintain();
        }
        assert.ok(store.backlog().blocks >= 4, `${store.backlog().blocks} blocks`);
        let tiered = 0;
        for (let start = T0 - 700_000; start < T0 + 12_000_000; start += 137_000) {
          for (const span of [3_600_000, 2 * 3_600_000 + 7_001, 5 * 3_600_000]) {
            for (const groupBy of ['none', 'agent'] as const) {
              const q: SeriesQuery = { agentIds: null, startMs: start, endMs: start + span, metrics: ['cpu_usage_percent', 'custom.q'], aggregation: 'avg', intervalMs: 300_000, groupBy };
              const got = await store.query(q);
              if (store.lastPlan()?.source === 'rollup') tiered++;
              assert.deepEqual(got, await store.rawView().query(q), `${groupBy} [${start - T0}, ${start + span - T0}] ms from T0`);
            }
          }
        }
        assert.ok(tiered > 400, `${tiered} queries read a tier`);
      } finally {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('series engine: a tier of many columns', () => {
  it('answers each of 300 custom metrics from its 5 min and 1 h tiers as from the raw rows', async () => {
    const T0 = Date.UTC(2026, 0, 1);
    const keys = Array.from({ length: 300 }, (_, k) => `k${k}`);
    // One agent's columns are all 0 (its tier section holds 300 columns in a few bytes each), the
    // other's differ by key (each column is told apart).
    const points: SeriesPoint[] = [];
    for (let i = 0; i < 360; i++) {
      for (const agent of ['wide', 'x']) {
        const custom = Object.fromEntries(keys.map((key, k) => [key, agent === 'wide' ? 0 : k]));
        points.push({ agent_id: agent, ts: T0 + i * 20_000, environment: 'e', deployment_type: 'd', values: { cpu_usage_percent: i % 9 }, custom, extra: { custom_metrics: {}, health_checks: {}, alerts: [] } });
      }
    }
    const dir = join(tmpdir(), `agentmon-engine-${randomBytes(6).toString('hex')}`);
    const store = new SeriesEngine({ dir, background: false, sealInWorker: false, headMaxRows: 240, headLimitRows: 1_000_000, mergeFanIn: 2, quietMergeMs: 1e12, coldMergeMs: 1e12 });
    try {
      await store.migrate();
      for (let i = 0; i < points.length; i += 120) {
        await store.insert(points.slice(i, i + 120));
        await store.maintain();
      }
      const metrics = [...keys.map((key) => `custom.${key}`), 'cpu_usage_percent'];
      let tiered = 0;
      for (const intervalMs of [300_000, 3_600_000, 300_000]) {
        const q: SeriesQuery = { agentIds: ['wide', 'x'], startMs: T0, endMs: T0 + 2 * 3_600_000 - 1, metrics, aggregation: 'avg', intervalMs, groupBy: 'agent' };
        const got = await store.query(q);
        if (store.lastPlan()?.source === 'rollup') tiered++;
        assert.deepEqual(got, await store.rawView().query(q), `interval ${intervalMs}`);
        for (const agent of ['wide', 'x']) {
          const rows = got.filter((row) => row.agent_id === agent);
          assert.equal(rows.length, (2 * 3_600_000) / intervalMs);
          const expected = agent === 'wide' ? [0, 0, 0] : [0, 150, 299];
          for (const row of rows) assert.deepEqual([row.values['custom.k0'], row.values['custom.k150'], row.values['custom.k299']], expected);
        }
      }
      assert.equal(tiered, 3, 'every query read a tier');
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('series engine: blocks written by an earlier version', () => {
  // fixtures/engine-v1: written by the engine whose blocks kept a section per tier column (block
  // version 1), from these points: merged blocks with tiers per chunk, and head flushes.
  const T0 = Date.UTC(2026, 0, 1);
  const cpuOf = (k: number, agent: string) => (k * 7 + agent.length) % 17;
  const versions = async (dir: string) => {
    const names = (await readdir(join(dir, 'blocks'))).filter((f) => f.endsWith('.blk'));
    return names.map((f) => {
      const reader = BlockReader.open(join(dir, 'blocks', f));
      try {
        return reader.index.v;
      } finally {
        reader.close();
      }
    });
  };

  it('answers from version 1 tiers as from the raw rows, and merges them into version 2 blocks that answer the same', async () => {
    const dir = join(tmpdir(), `agentmon-engine-${randomBytes(6).toString('hex')}`);
    await cp(new URL('./fixtures/engine-v1', import.meta.url), dir, { recursive: true });
    const open = (merge: boolean) =>
      new SeriesEngine({ dir, background: false, sealInWorker: false, headMaxRows: 1_000_000, headLimitRows: 4_000_000, mergeFanIn: merge ? 2 : 1_000_000, quietMergeMs: merge ? 0 : 1e12, coldMergeMs: merge ? 0 : 1e12 });
    let store = open(false);
    try {
      assert.deepEqual([...new Set(await versions(dir))], [1], 'the fixture holds version 1 blocks');
      await store.migrate();
      const ask = async () => {
        const answers: unknown[] = [];
        let tiered = 0;
        for (let start = T0 - 700_000; start < T0 + 12_000_000; start += 611_000) {
          for (const groupBy of ['none', 'agent'] as const) {
            const q: SeriesQuery = { agentIds: null, startMs: start, endMs: start + 2 * 3_600_000, metrics: ['cpu_usage_percent', 'custom.q', 'memory_usage_percent'], aggregation: 'avg', intervalMs: 300_000, groupBy };
            const got = await store.query(q);
            if (store.lastPlan()?.source === 'rollup') tiered++;
            assert.deepEqual(got, await store.rawView().query(q), `${groupBy} [${start - T0}, ${start + 2 * 3_600_000 - T0}] ms from T0`);
            answers.push(got);
          }
        }
        return { answers, tiered };
      };
      const before = await ask();
      assert.ok(before.tiered > 10, `${before.tiered} queries read a tier`);
      // One agent's hour from the tiers, against the points the fixture was written from.
      const hour = await store.query({ agentIds: ['r2'], startMs: T0, endMs: T0 + 3_600_000 - 1, metrics: ['cpu_usage_percent'], aggregation: 'sum', intervalMs: 3_600_000, groupBy: 'agent' });
      let sum = 0;
      for (let k = 30; k < 210; k++) sum += cpuOf(k, 'r2');
      assert.deepEqual(hour.map((row) => row.values.cpu_usage_percent), [sum]);
      await store.close();

      store = open(true);
      await store.migrate();
      await store.maintain();
      assert.ok((await versions(dir)).includes(2), 'a merge wrote a version 2 block');
      const after = await ask();
      assert.deepEqual(after.answers, before.answers);
      assert.ok(after.tiered > 10, `${after.tiered} queries read a tier`);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
