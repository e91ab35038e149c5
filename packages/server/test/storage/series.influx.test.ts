/**
 * The SeriesStore contract against InfluxDB 1.x: a private influxd (influx-server.ts), one fresh
 * database per store. Compared, besides, with the SQLite adapter on the larger fixture.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { InfluxSeriesStore } from '../../src/storage/influx/series.js';
import { SqliteSeriesStore } from '../../src/storage/sqlite/series.js';
import { seriesContract } from './series-contract.js';
import { INFLUX_SKIP, influxServer } from './influx-server.js';

if (INFLUX_SKIP) {
  // A skipped test, not a skipped suite: CI (AGENTMON_REQUIRE_ALL=1) fails on it.
  describe('SeriesStore contract: influx', () => {
    it('runs against InfluxDB', { skip: INFLUX_SKIP }, () => undefined);
  });
} else {
  after(async () => {
    await (await influxServer()).stop();
  });
  seriesContract(
    'influx',
    async () => {
      const server = await influxServer();
      const url = server.freshUrl('t_series');
      const store = new InfluxSeriesStore({ url });
      return {
        store,
        cleanup: async () => {
          await store.close();
          await server.dropDatabase(store.database);
        },
      };
    },
    {
      rollupTiers: false,
      reference: async () => {
        const dir = join(tmpdir(), `agentmon-series-ref-${randomBytes(6).toString('hex')}`);
        const store = new SqliteSeriesStore({ path: join(dir, 'series.db'), readRollups: false });
        return {
          store,
          cleanup: async () => {
            await store.close();
            await rm(dir, { recursive: true, force: true });
          },
        };
      },
    },
  );
}
