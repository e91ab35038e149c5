/** The SeriesStore contract against SQLite, one temporary database file per store. */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteSeriesStore } from '../../src/storage/sqlite/series.js';
import { MIGRATION_2_TIERS, tierTables } from '../../src/storage/series-tiers.js';
import { seriesContract } from './series-contract.js';

seriesContract('sqlite', async () => {
  const dir = join(tmpdir(), `agentmon-series-${randomBytes(6).toString('hex')}`);
  const path = join(dir, 'series.db');
  const store = new SqliteSeriesStore({ path });
  // A second connection to the same file, reading raw rows only.
  const raw = new SqliteSeriesStore({ path, readRollups: false });
  return {
    store,
    rollups: {
      raw,
      lastPlan: () => store.lastPlan(),
      dropTiers: async () => {
        const db = new Database(path);
        try {
          db.transaction(() => {
            for (const table of MIGRATION_2_TIERS.flatMap(tierTables)) db.exec(`DROP TABLE ${table}`);
            db.prepare("DELETE FROM agentmon_migrations WHERE component = 'series' AND version = 2").run();
          })();
        } finally {
          db.close();
        }
      },
    },
    cleanup: async () => {
      await raw.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
