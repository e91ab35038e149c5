/**
 * The SeriesStore contract against InfluxDB 1.x: a private influxd (influx-server.ts), one fresh
 * database per store. Compared, besides, with the series engine (raw rows) on the larger fixture.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { InfluxSeriesStore } from '../../src/storage/influx/series.js';
import { SeriesEngine } from '../../src/storage/engine/engine.js';
import type { SeriesQuery, SeriesRow, SeriesStore } from '../../src/storage/ports.js';
import { seriesContract } from './contract/series-contract.js';
import { INFLUX_SKIP, influxServer } from '../../src/testing/influx-server.js';

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
        const engine = new SeriesEngine({ dir, background: false, readRollups: false });
        // InfluxDB answers in JSON, where -0 is 0; the engine keeps -0 as it was stored.
        const store: SeriesStore = {
          migrate: () => engine.migrate(),
          ping: () => engine.ping(),
          close: () => engine.close(),
          insert: (points) => engine.insert(points),
          deleteAgent: (id) => engine.deleteAgent(id),
          deleteOlderThan: (id, before, limit) => engine.deleteOlderThan(id, before, limit),
          agentIds: () => engine.agentIds(),
          agentsWithPoints: (ids, start, end) => engine.agentsWithPoints(ids, start, end),
          stats: () => engine.stats(),
          query: async (q: SeriesQuery): Promise<SeriesRow[]> =>
            (await engine.query(q)).map((row) => ({ ...row, values: Object.fromEntries(Object.entries(row.values).map(([k, v]) => [k, Object.is(v, -0) ? 0 : v])) })),
        };
        return {
          store,
          cleanup: async () => {
            await engine.close();
            await rm(dir, { recursive: true, force: true });
          },
        };
      },
    },
  );

  describe('InfluxDB: names from users', () => {
    const T = Date.UTC(2024, 0, 1, 12);
    const extra = { custom_metrics: {}, health_checks: {}, alerts: [] };
    it('writes and queries agent ids and custom keys with quotes, spaces, commas, equals signs and backslashes', async () => {
      const server = await influxServer();
      const store = new InfluxSeriesStore({ url: server.freshUrl('t_names') });
      try {
        await store.migrate();
        const agent = `o'brien "x", a=b \\c`;
        const key = `queue depth, "p95" = it's \\fine`;
        await store.insert([
          { agent_id: agent, ts: T, environment: 'prod eu', deployment_type: 'k8s,=x', values: { cpu_usage_percent: 1 }, custom: { [key]: 2 }, extra },
          { agent_id: 'plain', ts: T, environment: '', deployment_type: '', values: { cpu_usage_percent: 3 }, custom: { [key]: 4 }, extra },
        ]);
        const metrics = ['cpu_usage_percent', `custom.${key}`];
        const rows = await store.query({ agentIds: [agent], startMs: T, endMs: T, metrics, aggregation: null, intervalMs: null, groupBy: 'agent' });
        assert.deepEqual(rows, [{ agent_id: agent, ts: T, values: { cpu_usage_percent: 1, [`custom.${key}`]: 2 } }]);
        // Many ids make a long statement, sent by POST.
        const many = [...Array.from({ length: 800 }, (_, i) => `agent-${i}-${'x'.repeat(20)}`), 'plain'];
        const sum = await store.query({ agentIds: many, startMs: T, endMs: T, metrics, aggregation: 'sum', intervalMs: null, groupBy: 'none' });
        assert.deepEqual(sum, [{ agent_id: null, ts: T, values: { cpu_usage_percent: 3, [`custom.${key}`]: 4 } }]);
        assert.deepEqual(await store.agentIds(), [agent, 'plain'].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
        assert.equal(await store.deleteAgent(agent), 1);
        assert.deepEqual(await store.agentIds(), ['plain']);
      } finally {
        await server.dropDatabase(store.database);
      }
    });

    it('refuses what line protocol cannot carry, writing nothing', async () => {
      const server = await influxServer();
      const store = new InfluxSeriesStore({ url: server.freshUrl('t_names') });
      try {
        await store.migrate();
        const ok = { agent_id: 'a', ts: T, environment: 'e', deployment_type: 'd', values: {}, custom: {}, extra };
        await assert.rejects(store.insert([ok, { ...ok, custom: { 'two\nlines': 1 } }]), /line break/);
        await assert.rejects(store.insert([ok, { ...ok, agent_id: 'ends\\' }]), /backslash/);
        await assert.rejects(store.insert([ok, { ...ok, agent_id: '' }]), /is empty/);
        assert.equal((await store.stats()).points, 0);
      } finally {
        await server.dropDatabase(store.database);
      }
    });
  });
}
