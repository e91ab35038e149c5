/**
 * The SeriesStore contract against the series engine, twice: with the default head (the fixtures
 * stay in memory and the log) and with a head so small that nearly every batch is flushed into a
 * block and blocks are merged all the time, so every query also runs over blocks, their tiers and
 * merges, and every deletion over blocks.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeriesEngine, type SeriesEngineOptions } from '../../src/storage/engine/engine.js';
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
