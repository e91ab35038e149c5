/** The SeriesStore contract against SQLite, one temporary database file per store. */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteSeriesStore } from '../../src/storage/sqlite/series.js';
import { seriesContract } from './series-contract.js';

seriesContract('sqlite', async () => {
  const dir = join(tmpdir(), `agentmon-series-${randomBytes(6).toString('hex')}`);
  const store = new SqliteSeriesStore({ path: join(dir, 'series.db') });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
