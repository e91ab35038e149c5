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
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeriesEngine, type SeriesEngineOptions } from '../../src/storage/engine/engine.js';
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
